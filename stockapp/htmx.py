"""Small helpers for answering htmx requests (hypermedia.systems, django-htmx)."""

import json

from flask import Response, request


def is_htmx() -> bool:
    """True for an htmx request, but not for a history restore (that wants the page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def vary_on_htmx(response: Response) -> Response:
    """Caches must keep the partial and the full page apart."""
    response.vary.add("HX-Request")
    return response


def trigger(response: Response, event: str, detail: dict | str | None = None) -> Response:
    """Ask the page to fire ``event`` (kebab-case) so other parts refresh themselves.

    Several calls add several events to the one ``HX-Trigger`` header.
    """
    events = json.loads(response.headers.get("HX-Trigger", "{}"))
    events[event] = {} if detail is None else detail
    # HTTP headers are Latin-1: Chinese messages travel as \u escapes, which htmx reads.
    response.headers["HX-Trigger"] = json.dumps(events)
    return response
