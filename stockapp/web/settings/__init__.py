"""Settings: the managers' set-up pages (suppliers, locations, receiving settings)."""

from flask import Blueprint

bp = Blueprint("settings", __name__)

from . import routes  # noqa: E402, F401  (the routes register themselves on bp)
