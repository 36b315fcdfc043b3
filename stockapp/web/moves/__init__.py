"""Bin moves (移库) and write-offs (报损) on the floor, and the managers' approval of
write-offs."""

from flask import Blueprint

bp = Blueprint("moves", __name__)

from . import routes, write_offs  # noqa: E402, F401  (the routes register themselves on bp)
