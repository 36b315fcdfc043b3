"""JSON API v1: bearer tokens, problem+json errors, an OpenAPI document generated from the
contracts (``stockapp/contracts``)."""

from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api/v1")

# Registers the routes on the blueprint.
from . import (  # noqa: E402
    access,
    accounts,
    catalogue,
    imports,
    movements,
    moves,
    openapi,
    orders,
    purchasing,
    receipts,
    returns,
    stock,
    supplier_returns,
    transfers,
    warehouses,
)

__all__ = [
    "access",
    "accounts",
    "api",
    "catalogue",
    "imports",
    "movements",
    "moves",
    "openapi",
    "orders",
    "purchasing",
    "receipts",
    "returns",
    "stock",
    "supplier_returns",
    "transfers",
    "warehouses",
]
