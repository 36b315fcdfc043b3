"""The stock logs (库存日志) over the movements: the logs, their exports, "my actions",
reversing a document."""

from flask import Blueprint

bp = Blueprint("movements", __name__)

from . import exports, routes  # noqa: E402, F401  (they register themselves on bp)
