"""Who may open what: the login and first-run guard, and the role checks of pages."""

from functools import wraps
from urllib.parse import urlsplit

from flask import flash, render_template, request, session, url_for
from flask_login import current_user, login_url

from ..extensions import login_manager
from ..htmx import client_redirect, is_htmx
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
    ended = session.pop("_user_id", None) is not None  # flask-login's key: a session that ended
    if not ended and not any_user():
        return client_redirect(url_for("auth.setup"))
    if not ended and not is_htmx():
        return login_manager.unauthorized()
    if ended:
        flash(_l("Your session has ended; sign in again."), "info")
    else:
        flash(login_manager.login_message, login_manager.login_message_category)
    # An htmx request (a dialog, a list refreshing) sends the whole page to the login,
    # never the login into the dialog; the login comes back to that page.
    back = current_page() if is_htmx() else request.url
    return client_redirect(login_url(login_manager.login_view, back))


def same_site_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site (never another host), else None."""
    if target and target.startswith("/") and not urlsplit(target).netloc and "\\" not in target:
        return target
    return None


def current_page() -> str | None:
    """The page an htmx request was sent from (its ``HX-Current-URL``), as a path on
    this site; None if it names another site."""
    parts = urlsplit(request.headers.get("HX-Current-URL", ""))
    if parts.scheme not in ("http", "https") or parts.netloc != request.host:
        return None
    return same_site_path(parts.path + (f"?{parts.query}" if parts.query else ""))


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
