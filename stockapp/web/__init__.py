"""The browser pages: blueprints, the login and first-run guard, role checks, errors."""

from datetime import datetime
from functools import cache, wraps

from babel import Locale
from babel.numbers import get_group_symbol
from flask import Flask, redirect, render_template, request, url_for
from flask_babel import format_datetime, format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..api.problems import from_http_error
from ..extensions import db, login_manager
from ..htmx import vary_on_htmx
from ..http_errors import DETAILS, status_of
from ..models import (
    DocumentStatus,
    MovementKind,
    OrderStatus,
    POStatus,
    ReceiptReason,
    Role,
    User,
)
from ..models.ledger import MAX_QTY
from ..services.accounts import any_user

# Endpoints anyone may open: everything else needs a signed-in user.
PUBLIC_ENDPOINTS = {"auth.login", "auth.setup", "auth.language", "static"}


def init_app(app: Flask) -> None:
    from . import auth, catalogue, live, logs, orders, purchasing, setup, stock

    app.register_blueprint(auth.bp)
    app.register_blueprint(catalogue.bp)
    app.register_blueprint(stock.bp)
    app.register_blueprint(logs.bp)
    app.register_blueprint(live.bp)
    app.register_blueprint(orders.bp)
    app.register_blueprint(purchasing.bp)
    app.register_blueprint(setup.bp)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    app.before_request(_require_login)
    app.after_request(vary_on_htmx)
    app.add_template_filter(local_number, "number")
    # The enums, whose label_of gives the user's word for a stored value.
    for vocabulary in (DocumentStatus, MovementKind, OrderStatus, POStatus, ReceiptReason, Role):
        app.add_template_global(vocabulary, vocabulary.__name__)
    app.add_template_global(get_locale)
    app.add_template_filter(local_datetime, "datetime")
    for status in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(status, _error_page)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def _require_login():
    """Send every page to first-run setup until a user exists, then to login."""
    if request.path.startswith("/api/") or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if current_user.is_authenticated:  # a user exists: no need to ask (saves a query)
        return None
    if request.endpoint == "live.version":
        # A screen left open after its session ended: no redirect, no flashed message.
        return "", 401
    if not any_user():
        return redirect(url_for("auth.setup"))
    return login_manager.unauthorized()


@cache
def _group_symbol(locale: Locale) -> str:
    return get_group_symbol(locale)


def local_number(value) -> str:
    """A number as the user's language writes it (1,504). Whole numbers, the common
    case on every page, skip Babel's pattern machinery, which is slow in a loop."""
    if isinstance(value, int):
        return f"{value:,}".replace(",", _group_symbol(get_locale()))
    return format_decimal(value)


def local_datetime(value: datetime | str, format: str = "short") -> str:
    """A stored UTC time (or its ISO text) in the user's language and the app's timezone."""
    when = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return format_datetime(when, format)


# What a cell of a quantity grid takes, and what it says otherwise.
WHOLE_NUMBER = _l("Enter a whole number from 0 to %(max)d.", max=MAX_QTY)


def whole_number(text: str) -> int | None:
    """A quantity typed in a grid cell: ASCII digits, at most MAX_QTY; else None."""
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 7 or int(text) > MAX_QTY:
        return None
    return int(text)


def list_filters(states: dict, default: str) -> tuple[str, str, int]:
    """A list page's state tab, search text and page number, from the query string."""
    state = request.args.get("state")
    return (
        state if state in states else default,
        request.args.get("q", "").strip()[:100],
        max(request.args.get("page", 1, type=int), 1),
    )


def role_required(role: Role):
    """Refuse (403) a signed-in user whose role is below ``role``."""

    def decorate(view):
        @wraps(view)
        def checked(*args, **kwargs):
            if not current_user.has_role(role):
                return _error_page(403)
            return view(*args, **kwargs)

        return checked

    return decorate


def _error_page(error):
    """The error as a page, or as a problem under /api/ (routing errors land here)."""
    status = status_of(error)
    if status == 500:
        db.session.rollback()
    if request.path.startswith("/api/"):
        return from_http_error(error)
    page = render_template("errors/error.html", status=status, message=DETAILS[status])
    return page, status
