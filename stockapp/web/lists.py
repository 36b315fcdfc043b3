"""What a list page reads from its query string: the state tab, the search, the page."""

from flask import request


def list_filters(states: dict, default: str) -> tuple[str, str, int]:
    """A list page's state tab, search text and page number, from the query string."""
    state = request.args.get("state")
    return (
        state if state in states else default,
        request.args.get("q", "").strip()[:100],
        max(request.args.get("page", 1, type=int), 1),
    )
