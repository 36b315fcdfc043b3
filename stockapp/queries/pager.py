"""One pager for every list: a page is read with one row more than it shows, and that
row only says whether another page follows (no COUNT over the table).

Lists ordered by id, newest first (orders, POs, receipts, the logs), are cut by
keyset: ``before`` is the last id shown, so a page deep in the past costs what
the first one does. A list ordered by something else (styles by code), and an
old ``?page=N`` link that carries no ``before``, are cut by offset.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy import Select

from ..extensions import db


@dataclass(frozen=True)
class Page:
    rows: list
    has_next: bool = False
    number: int = 1  # the page's number, counted from the newest (the first) page
    before: int | None = None  # the cursor this page was read below, if any
    next_before: int | None = None  # the cursor of the next page (keyset lists)

    def with_rows(self, rows: list) -> "Page":
        """The same page showing ``rows`` (what its rows were turned into)."""
        return replace(self, rows=rows)


def cut(
    found: list,
    *,
    limit: int,
    number: int = 1,
    before: int | None = None,
    key: Callable | None = None,
) -> Page:
    """A page of ``found``, read with ``limit + 1``; ``key(row)`` is a row's id, the
    cursor of the next page (keyset lists)."""
    has_next = len(found) > limit
    rows = found[:limit]
    next_before = key(rows[-1]) if has_next and key is not None else None
    return Page(rows, has_next, number, before, next_before)


def fetch(
    query: Select,
    *,
    limit: int,
    number: int = 1,
    before: int | None = None,
    by=None,
    key: Callable | None = None,
) -> Page:
    """One page of ``query``, which the caller has ordered.

    With ``by`` (the id column the list is ordered by, descending) and ``before``,
    the rows below that id; otherwise the ``number``-th page by offset. A query
    of one entity gives its objects, of several its rows. ``key`` (a row's id,
    ``row.id`` by default) gives the next page's cursor where ``by`` is given.
    """
    if by is not None and before is not None:
        query = query.where(by < before)
    elif number > 1:
        query = query.offset((number - 1) * limit)
    query = query.limit(limit + 1)
    if len(query.column_descriptions) == 1:
        found = list(db.session.scalars(query))
    else:
        found = list(db.session.execute(query))
    if by is not None and key is None:
        key = _id_of
    return cut(found, limit=limit, number=number, before=before, key=key)


def _id_of(row) -> int:
    return row.id
