"""JSON API v1: bearer tokens, problem+json errors, an OpenAPI document."""

from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api/v1")

from . import orders, purchasing, routes  # noqa: E402,F401  (registers the routes on the blueprint)
