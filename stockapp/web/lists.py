"""What a list page reads from its query string: the state tab, the search, the page."""

import re

from flask import current_app, request

from ..htmx import page_or_partial
from ..models.catalogue import MAX_CODE
from ..queries.pager import Cursor

# A keyset cursor of an id list: ASCII digits that fit a 64-bit integer.
CURSOR = re.compile(r"[0-9]{1,18}")
# An old ``?page=N`` link (no cursor) is read by offset; a larger N is read as this one.
MAX_PAGE = 1_000


def list_filters(states: dict, default: str) -> tuple[str, str]:
    """A list page's state tab and search text, from the query string."""
    state = request.args.get("state")
    return state if state in states else default, request.args.get("q", "").strip()[:100]


def page_args(args=None, *, codes: bool = False) -> dict:
    """Which page of a list to show, as the list's query takes it: the ``cursor``
    (``?before=`` or ``?after=`` a key, and the page's number ``?page=N``, 1 … MAX_PAGE)
    and the page size. A key is an id, or with ``codes`` a style code; a malformed
    one is ignored (the first page)."""
    args = request.args if args is None else args
    keys = {name: _key(args.get(name, ""), codes) for name in ("before", "after")}
    if keys["before"] is not None:
        keys["after"] = None
    number = min(max(args.get("page", 1, type=int), 1), MAX_PAGE)
    return {
        "cursor": Cursor(**keys, number=number),
        "per_page": current_app.config["PAGE_SIZE"],
    }


def _key(text: str, codes: bool):
    if codes:
        return text if 0 < len(text) <= MAX_CODE else None  # a style code
    return int(text) if CURSOR.fullmatch(text) else None


def state_list(reader, states: dict, default: str, page: str, partial: str):
    """A list with state tabs and a search (orders, POs): the page, or for htmx its rows.

    ``states`` maps a tab to (its label, the statuses it shows); ``reader`` is the
    list's query, taking ``statuses``, ``search`` and the page arguments.
    """
    state, search = list_filters(states, default)
    found = reader(statuses=states[state][1], search=search, **page_args())
    return page_or_partial(page, partial, found=found, state=state, states=states, search=search)
