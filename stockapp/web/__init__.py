"""The browser pages: one package per area, wired up here.

``init_app`` registers the blueprints, the login and first-run guard, the
template helpers and the error pages; what they do lives in their own modules.
"""

from flask import Flask

from ..extensions import login_manager
from ..htmx import vary_on_htmx
from ..i18n import lazy_gettext as _l
from . import access, errors, inputs, labels, templating

ERROR_PAGES = (400, 403, 404, 405, 413, 429, 500)


def init_app(app: Flask) -> None:
    from . import (
        accounts,
        catalogue,
        imports,
        movements,
        moves,
        orders,
        purchasing,
        returns,
        settings,
        stock,
        supplier_returns,
        transfers,
        warehouses,
    )

    inputs.init_app(app)  # the converters first: the routes below are built with them
    for area in (
        accounts,
        catalogue,
        stock,
        movements,
        moves,
        orders,
        returns,
        purchasing,
        settings,
        warehouses,
        transfers,
        supplier_returns,
        imports,
    ):
        app.register_blueprint(area.bp)
    app.register_blueprint(stock.live.bp)
    app.wsgi_app = stock.live.UnchangedPolls(app, app.wsgi_app)
    app.register_blueprint(labels.bp)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(access.load_user)
    # The server checks each request's sign-in session (services.accounts); flask-login's
    # own "protection" would only rewrite the cookie of a signed-out screen.
    login_manager.session_protection = None
    app.before_request(access.require_login)
    app.after_request(vary_on_htmx)
    templating.init_app(app)
    for status in ERROR_PAGES:
        app.register_error_handler(status, errors.error_page)
