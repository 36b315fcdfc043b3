"""Accounts: sign in, sign out, first-run setup and the language switch.

The blueprint keeps its name ``auth`` (``auth.login`` is the login view).
"""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import routes  # noqa: E402, F401  (the routes register themselves on bp)
