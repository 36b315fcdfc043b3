"""Small helpers for answering htmx requests (hypermedia.systems, django-htmx)."""

import json

from flask import Response, flash, redirect, render_template, request


def is_htmx() -> bool:
    """True for an htmx request, but not for a history restore (that wants the page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def page_or_partial(page: str, partial: str, **context) -> str:
    """The partial for htmx (the page includes it), the whole page otherwise."""
    return render_template(partial if is_htmx() else page, **context)


def vary_on_htmx(response: Response) -> Response:
    """Caches must keep the partial and the full page apart."""
    response.vary.add("HX-Request")
    return response


def client_redirect(target: str) -> Response:
    """Open ``target``: a redirect, or for htmx a full-page navigation to it (``HX-Redirect``)."""
    if is_htmx():
        return Response(status=204, headers={"HX-Redirect": target})
    return redirect(target)


def trigger(response: Response, event: str, detail: dict | str | None = None) -> Response:
    """Ask the page to fire ``event`` (kebab-case) so other parts refresh themselves.

    Several calls add several events to the one ``HX-Trigger`` header.
    """
    events = json.loads(response.headers.get("HX-Trigger", "{}"))
    events[event] = {} if detail is None else detail
    # HTTP headers are Latin-1: Chinese messages travel as \u escapes, which htmx reads.
    response.headers["HX-Trigger"] = json.dumps(events)
    return response


def stock_changed(message: str, *, detail: dict, fallback: str) -> Response:
    """A stock-changing form succeeded: htmx gets 204 with ``stock-changed`` (every
    count on the page refreshes) and the message; a plain form post gets the
    message flashed and a redirect to ``fallback``."""
    if not is_htmx():
        flash(message, "success")
        return redirect(fallback)
    response = Response(status=204)
    trigger(response, "stock-changed", detail)
    return trigger(response, "show-message", message)
