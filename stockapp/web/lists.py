"""What a list page reads from its query string: the state tab, the search, the page."""

import re

from flask import current_app, request

from ..htmx import page_or_partial

# A keyset cursor (a row's id): ASCII digits that fit a 64-bit integer.
CURSOR = re.compile(r"[0-9]{1,18}")
# A larger ``?page=N`` is read as this one: far past the end of any list, and an offset
# far inside any integer the databases take.
MAX_PAGE = 100_000


def list_filters(states: dict, default: str) -> tuple[str, str]:
    """A list page's state tab and search text, from the query string."""
    state = request.args.get("state")
    return state if state in states else default, request.args.get("q", "").strip()[:100]


def page_args(args=None) -> dict:
    """Which page of a list to show, as the list's query takes it: its number
    (``?page=N``, 1 … MAX_PAGE), the keyset cursor (``?before=<id>``, None unless it
    is a well-formed id) and the page size."""
    args = request.args if args is None else args
    before = args.get("before", "")
    return {
        "page": min(max(args.get("page", 1, type=int), 1), MAX_PAGE),
        "before": int(before) if CURSOR.fullmatch(before) else None,
        "per_page": current_app.config["PAGE_SIZE"],
    }


def state_list(reader, states: dict, default: str, page: str, partial: str):
    """A list with state tabs and a search (orders, POs): the page, or for htmx its rows.

    ``states`` maps a tab to (its label, the statuses it shows); ``reader`` is the
    list's query, taking ``statuses``, ``search`` and the page arguments.
    """
    state, search = list_filters(states, default)
    found = reader(statuses=states[state][1], search=search, **page_args())
    return page_or_partial(page, partial, found=found, state=state, states=states, search=search)
