"""Error pages: the HTTP errors of the browser pages (and of routing under /api/)."""

from flask import render_template, request

from ..api.problems import from_http_error
from ..extensions import db
from ..http_errors import DETAILS, status_of


def error_page(error):
    """The error as a page, or as a problem under /api/ (routing errors land here).

    A 500 rolls the session back first, so the page is rendered from a clean one.
    """
    status = status_of(error)
    if status == 500:
        db.session.rollback()
    if request.path.startswith("/api/"):
        return from_http_error(error)
    page = render_template("errors/error.html", status=status, message=DETAILS[status])
    return page, status
