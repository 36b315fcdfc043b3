"""The catalogue: the product list and the product page with its stock matrix."""

from flask import Blueprint

bp = Blueprint("catalogue", __name__)

from . import manage, routes  # noqa: E402, F401  (the routes register themselves on bp)
