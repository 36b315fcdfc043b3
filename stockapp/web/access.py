"""Who may open what: the login and first-run guard, and the role checks of pages."""

from functools import wraps

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_url

from ..extensions import login_manager
from ..htmx import client_redirect
from ..i18n import lazy_gettext as _l
from ..models import Role
from ..models.accounts import SignedIn
from ..services.accounts import any_user, user_for_session
from .errors import error_page

# Endpoints anyone may open: everything else needs a signed-in user.
PUBLIC_ENDPOINTS = {"auth.login", "auth.setup", "auth.language", "static"}
# What a user who must replace a first password may still open.
BEFORE_A_NEW_PASSWORD = {"auth.password", "auth.logout", "live.version"}


def load_user(session_token: str) -> SignedIn | None:
    """flask-login's user loader: the session cookie holds a sign-in session's token."""
    return user_for_session(session_token)


def require_login():
    """Send every page to first-run setup until a user exists, then to login; a user
    given a first password to their own password's page until they have chosen one.
    (The API is not held up: a token is made by a manager for a program, not from
    the password.)"""
    if request.path.startswith("/api/") or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if current_user.is_authenticated:  # a user exists: no need to ask (saves a query)
        if current_user.must_change_password and request.endpoint not in BEFORE_A_NEW_PASSWORD:
            return client_redirect(url_for("auth.password"))
        return None
    if request.endpoint in ("live.version", "live.todo"):
        # A screen left open after its session ended: no redirect, no flashed message.
        return "", 401
    if session.pop("_user_id", None) is not None:  # flask-login's key: a session that ended
        flash(_l("Your session has ended; sign in again."), "info")
        return redirect(login_url(login_manager.login_view, request.url))
    if not any_user():
        return redirect(url_for("auth.setup"))
    return login_manager.unauthorized()


def role_required(role: Role):
    """Refuse (403) a signed-in user whose role is below ``role``."""

    def decorate(view):
        @wraps(view)
        def checked(*args, **kwargs):
            if not current_user.has_role(role):
                return error_page(403)
            return view(*args, **kwargs)

        return checked

    return decorate


def managers_only(view):
    """Refuse (403) everyone but managers, with a page that says so and where to go."""

    @wraps(view)
    def checked(*args, **kwargs):
        if not current_user.has_role(Role.MANAGER):
            return render_template("movements/managers_only.html", status=403), 403
        return view(*args, **kwargs)

    return checked
