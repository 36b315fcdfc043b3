"""Returns (退货): goods back from a customer, resellable or damaged."""

from flask import Blueprint

bp = Blueprint("returns", __name__)

from . import routes  # noqa: E402, F401  (the routes register themselves on bp)
