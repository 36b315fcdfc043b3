"""RFC 9457 problem details: every API error is ``application/problem+json``."""

from dataclasses import asdict

from flask import Response, jsonify
from werkzeug.exceptions import HTTPException

from ..http_errors import DETAILS, TITLES, status_of
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


def from_http_error(error: HTTPException | int) -> Response:
    """A problem for an HTTP error, keeping its headers (``Allow`` on a 405)."""
    status = status_of(error)
    response = problem(status, TITLES[status], DETAILS[status])
    if isinstance(error, HTTPException) and status == error.code:
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
    return response
