"""Purchasing: purchase orders (采购单), receiving against them, and receipts (入库单)."""

from flask import Blueprint

bp = Blueprint("purchasing", __name__)

from . import receipts, receiving, routes  # noqa: E402, F401  (they register themselves on bp)
