"""RFC 9457 problem details: every API error is ``application/problem+json``."""

from dataclasses import asdict

from flask import Response, jsonify
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from ..services.errors import DomainError, InsufficientStock, StaleCount


def problem(status: int, title, detail=None, errors: dict | None = None, **extra) -> Response:
    body = {"type": "about:blank", "title": str(title), "status": status}
    if detail is not None:
        body["detail"] = str(detail)
    if errors:
        body["errors"] = {name: str(message) for name, message in errors.items()}
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def from_domain_error(error: DomainError) -> Response:
    extra = {}
    if isinstance(error, InsufficientStock):
        extra["shortages"] = [asdict(s) | {"short": s.short} for s in error.shortages]
    if isinstance(error, StaleCount):
        extra["differences"] = [asdict(d) for d in error.differences]
    return problem(error.status, error.title, error.detail, error.errors, **extra)


HTTP_TITLES = {
    400: lambda: _("Bad request"),
    401: lambda: _("Sign-in required"),
    403: lambda: _("Your role does not allow this"),
    404: lambda: _("Not found"),
    405: lambda: _("Method not allowed"),
    413: lambda: _("Request too large"),
    415: lambda: _("Unsupported media type"),
    429: lambda: _("Too many requests"),
    500: lambda: _("Internal error: nothing was saved"),
}


def from_http_error(error: HTTPException | int) -> Response:
    status = error if isinstance(error, int) else (error.code or 500)
    title = HTTP_TITLES.get(status, HTTP_TITLES[500])()
    return problem(status, title)
