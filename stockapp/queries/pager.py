"""One pager for every list: a page is read with one row more than it shows, and that
row only says whether another page follows (no COUNT over the table).

Every list is cut by keyset on the column it is ordered by: ids newest first (orders,
POs, receipts, the logs), style codes A → Z (the product list). ``before=<key>``
reads the rows whose key sorts below it, ``after=<key>`` those above it, so a page
deep in the past costs what the first one does. The next page of an id list is
``before`` its last id and the previous one ``after`` its first; a list by code the
other way round. A page read back toward the top is read in the opposite order and
turned round; once nothing lies above it, it is the first page, read as such.

Only an old ``?page=N`` link, which carries no cursor, is cut by offset, and the
pages' own links never do that.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Select, false

from ..extensions import db
from ..models.ledger import MAX_ID, Int64


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: below ``before``, above ``after`` (a key of the list's order
    column), or, with neither, the ``number``-th page from the top. ``number`` is also
    the page's label; the pages' links carry it along."""

    before: Any = None
    after: Any = None
    number: int = 1

    def args(self) -> dict:
        """The query arguments that name this cursor (a refresh asks for the same page)."""
        named = {"before": self.before, "after": self.after}
        return {"page": self.number} | {k: v for k, v in named.items() if v is not None}

    def backwards(self, descending: bool = True) -> bool:
        """Whether this page is read toward the top of a list in that order."""
        return (self.after if descending else self.before) is not None

    def narrow(self, query: Select, by) -> Select:
        """``query`` cut at the cursor. A key past the range of a 32-bit id column (which
        PostgreSQL refuses as a parameter) lies above every row."""

        def beyond(key) -> bool:
            return isinstance(key, int) and key > MAX_ID and not isinstance(by.type, Int64)

        if self.before is not None:
            return query if beyond(self.before) else query.where(by < self.before)
        if self.after is not None:
            return query.where(false()) if beyond(self.after) else query.where(by > self.after)
        return query

    def order(self, by, descending: bool = True):
        """The order to read in: the list's, or the opposite one when read backwards."""
        return by.desc() if descending != self.backwards(descending) else by.asc()

    def cut(
        self, found: list, *, limit: int, key: Callable, descending: bool = True
    ) -> "Page | None":
        """The page in ``found`` (read with ``limit + 1``, in ``order``); None when a page
        read backwards reached the top: the caller reads the first page instead."""
        more = len(found) > limit
        rows = found[:limit]
        ahead, behind = ("before", "after") if descending else ("after", "before")
        if self.backwards(descending):
            if not more:
                return None
            rows.reverse()
            has_next, has_previous = True, True
        else:
            has_next, has_previous = more, self.before is not None or self.after is not None
            has_previous = has_previous or self.number > 1
        number = self.number if has_previous else 1
        previous = None
        if has_previous:
            previous = {"page": max(number - 1, 1)}
            if rows and number > 2:
                previous[behind] = key(rows[0])
        following = {"page": number + 1, ahead: key(rows[-1])} if has_next and rows else None
        return Page(rows, number=number, cursor=self, next=following, previous=previous)


FIRST = Cursor()


@dataclass(frozen=True)
class Page:
    rows: list
    number: int = 1  # the page's number, counted from the top (the first page)
    cursor: Cursor = FIRST  # what the page was read with
    next: dict | None = None  # the query arguments of the next page; None on the last
    previous: dict | None = None  # of the previous page; None on the first

    @property
    def has_next(self) -> bool:
        return self.next is not None

    @property
    def next_cursor(self):
        """The key the next page is read from (``before`` or ``after``), None on the last."""
        if self.next is None:
            return None
        return self.next.get("before", self.next.get("after"))

    def with_rows(self, rows: list) -> "Page":
        """The same page showing ``rows`` (what its rows were turned into)."""
        return replace(self, rows=rows)


def fetch(
    query: Select,
    *,
    by,
    limit: int,
    cursor: Cursor = FIRST,
    descending: bool = True,
    key: Callable | None = None,
) -> Page:
    """One page of ``query`` (not ordered: the pager orders it ``by`` the column, newest
    or highest first when ``descending``). A query of one entity gives its objects, of
    several its rows; ``key(row)`` is a row's value of ``by`` (``row.id`` by default)."""
    key = key or _id_of
    page = cursor.cut(
        _rows(query, by, cursor, limit, descending), limit=limit, key=key, descending=descending
    )
    if page is None:
        page = FIRST.cut(
            _rows(query, by, FIRST, limit, descending), limit=limit, key=key, descending=descending
        )
    return page


def _rows(query: Select, by, cursor: Cursor, limit: int, descending: bool) -> list:
    query = cursor.narrow(query, by).order_by(cursor.order(by, descending)).limit(limit + 1)
    if cursor.before is None and cursor.after is None and cursor.number > 1:
        query = query.offset((cursor.number - 1) * limit)
    if len(query.column_descriptions) == 1:
        return list(db.session.scalars(query))
    return list(db.session.execute(query))


def _id_of(row) -> int:
    return row.id


def each(read_page: Callable[..., Page], *, limit: int, batch: int = 1000):
    """Every row of a list newest first, up to ``limit`` of them, read ``batch`` at a
    time: ``read_page(cursor=…, limit=…)`` reads one page of it (an export)."""
    cursor, left = FIRST, limit
    while left > 0:
        found = read_page(cursor=cursor, limit=min(batch, left))
        yield from found.rows
        left -= len(found.rows)
        if found.next_cursor is None:
            return
        cursor = Cursor(before=found.next_cursor)
