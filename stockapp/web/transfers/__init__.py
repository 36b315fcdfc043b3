"""Transfers (调拨) between warehouses: the list, one transfer's page with its steps, and
the printable transfer slip (调拨单)."""

from flask import Blueprint

bp = Blueprint("transfers", __name__)

from . import routes  # noqa: E402, F401  (the routes register themselves on bp)
