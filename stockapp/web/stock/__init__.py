"""Stock: the manage-stock dialog (inbound ⇄ stocktake), "why this number", and the
live version of stock that open screens poll (its own blueprint, ``live``)."""

from flask import Blueprint

bp = Blueprint("stock", __name__)

from . import live, routes  # noqa: E402, F401  (the routes register themselves on bp)
