"""Settings: the managers' set-up pages (suppliers, locations, receiving settings,
size groups and colours)."""

from flask import Blueprint

bp = Blueprint("settings", __name__)

from . import routes, size_lists  # noqa: E402, F401  (the routes register themselves on bp)
