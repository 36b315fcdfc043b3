"""Substring search for the lists, through the trigram indexes of ``models.search``.

``match(text, *columns)`` finds the rows of a table where any of the columns
contains ``text``, ignoring case — what ``ILIKE '%text%'`` finds — and ranks them:
an exact match first, then one that starts with the text, then the rest (a list
orders by the rank, then as usual).

From ``INDEXED`` characters on, the index finds the rows, so a search costs what
it finds: on PostgreSQL the ``pg_trgm`` GIN index serves the ILIKE itself; on
SQLite the FTS5 trigram table answers a phrase query (the text quoted as one FTS5
string: a user's ``"``, ``*`` or ``:`` is just a character).

Ranking sorts every match, so a search is ranked only when the index finds at most
``RANKED_UP_TO`` rows (a probe of that many ids first). A broader text, and a text
of one or two characters (which trigrams cannot serve), is matched with LIKE and
left unranked: the table is read in the list's own order and the read stops at a
full page, at once when many rows match; a short text that matches little reads the
table once, as every search did before. The user's ``%``, ``_`` and ``\\`` are
escaped and match themselves.

Case: ASCII letters fold on both databases. SQLite's FTS5 folds other letters too
(É and é), as PostgreSQL's ILIKE does; SQLite's LIKE, for the texts it scans for,
folds ASCII only.
"""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, case, literal_column, or_, select, table

from ..extensions import db
from ..models import search_table
from .pager import Cursor

# The trigram indexes serve texts of at least this many characters.
INDEXED = 3
# Ranking sorts every match: a text the index finds in more rows than this is left
# unranked ('客户1' in 87,000 of 236,000 orders: 135 ms of SQL ranked; its page 11 ms
# unranked, with the probe). 8,000 ranked styles cost 6 ms; probing 5,001 ids, a few.
RANKED_UP_TO = 5_000
EXACT, PREFIX, CONTAINS = 0, 1, 2
ESCAPE = "\\"


@dataclass(frozen=True)
class Match:
    """Which rows match (a condition on the table), and how well: EXACT, PREFIX or
    CONTAINS, by the best of the columns; None when the match is unranked."""

    where: ColumnElement[bool]
    rank: ColumnElement[int] | None


def match(text: str, *columns) -> Match:
    """The rows whose ``columns`` (of one table, listed in ``models.search.SEARCHED``)
    contain ``text``, ignoring case."""
    columns = [column.expression for column in columns]
    like = escaped(text)
    if len(text) < INDEXED:
        return _scanned(columns, like)
    found = columns[0].table
    if db.session.get_bind().dialect.name == "sqlite":
        names = " ".join(c.name for c in columns)
        phrase = '"' + text.replace('"', '""') + '"'
        index = search_table(found.name)
        ids = (
            select(literal_column("rowid"))
            .select_from(table(index))
            .where(literal_column(index).op("MATCH")(f"{{{names}}} : {phrase}"))
        )
        where = found.c.id.in_(ids)
    else:
        where = _containing(columns, like)  # served by the GIN indexes
        ids = select(found.c.id).where(where)
    if len(db.session.scalars(ids.limit(RANKED_UP_TO + 1)).all()) > RANKED_UP_TO:
        return _scanned(columns, like)
    rank = case(
        (or_(*(c.ilike(like, escape=ESCAPE) for c in columns)), EXACT),
        (or_(*(c.ilike(f"{like}%", escape=ESCAPE) for c in columns)), PREFIX),
        else_=CONTAINS,
    )
    return Match(where, rank)


def _scanned(columns, like: str) -> Match:
    """Unranked: rows found by reading the table in the list's own order, which stops
    at a full page when many rows match. (PostgreSQL plans that walk from its column
    statistics: ILIKE, not lower() LIKE, of which it knows nothing.)"""
    return Match(_containing(columns, like), None)


def _containing(columns, like: str) -> ColumnElement[bool]:
    return or_(*(c.ilike(f"%{like}%", escape=ESCAPE) for c in columns))


def exactly(where: ColumnElement[bool]) -> Match:
    """The rows ``where`` finds (an exact look-up, a SKU or barcode), ranked EXACT."""
    return Match(where, case((where, EXACT), else_=CONTAINS))


def either(*matches: Match) -> Match:
    """Rows any of ``matches`` finds (of tables joined in one query), ranked by the
    best of them; unranked if one is."""
    where = or_(*(m.where for m in matches))
    if any(m.rank is None for m in matches):
        return Match(where, None)
    levels = [(or_(*(m.rank == level for m in matches)), level) for level in (EXACT, PREFIX)]
    return Match(where, case(*levels, else_=CONTAINS))


def ranked(query: Select, found: Match) -> Select:
    """``query`` narrowed to what ``found`` matches, best first (then as the caller
    orders it)."""
    query = query.where(found.where)
    return query if found.rank is None else query.order_by(found.rank)


def cursor_for(found: Match, cursor: Cursor) -> Cursor:
    """How to page a searched list: ranked, by the page's number (its rows are not in
    the order of the list's keyset column); unranked, by the list's own cursor."""
    return cursor if found.rank is None else Cursor(number=cursor.number)


def escaped(text: str) -> str:
    """``text`` for a LIKE pattern with ``ESCAPE '\\'``: its wildcards match themselves."""
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
