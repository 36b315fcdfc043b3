"""Accounts: sign in, sign out, first-run setup, the language switch, the users, one's
own password, API tokens and the audit trail.

The blueprint keeps its name ``auth`` (``auth.login`` is the login view).
"""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import audit, routes, users  # noqa: E402, F401  (they register themselves on bp)
