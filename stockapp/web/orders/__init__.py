"""Allocation orders (配货单): list, new order, picking, 配货完成, cancel, picking list."""

from flask import Blueprint

bp = Blueprint("orders", __name__)

from . import routes  # noqa: E402, F401  (the routes register themselves on bp)
