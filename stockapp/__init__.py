"""StockApp (库存管家): stock keeping for garment factories and wholesale warehouses."""

import os
from datetime import timedelta
from pathlib import Path

from babel import Locale
from flask import Flask, current_app, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from . import app_logging, headers
from . import config as config_module
from .database import configure_engine
from .extensions import babel, csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the app: defaults, then ``instance/config.py``, then the environment.

    ``config`` (tests) is applied last and wins over everything.
    """
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(config_module.Defaults)
    app.config.from_pyfile("config.py", silent=True)
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("STOCKAPP_LOG_LEVEL"):
        app.config["LOG_LEVEL"] = os.environ["STOCKAPP_LOG_LEVEL"].upper()
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if os.environ.get("STOCKAPP_HTTPS"):
        app.config["HTTPS"] = config_module.is_on(os.environ["STOCKAPP_HTTPS"])
    app.config.update(config or {})
    if app.config["HTTPS"]:
        # Behind the shop's HTTPS proxy: one hop, whose forwarded headers name the
        # client's address, the scheme and the host the browser asked for.
        app.config["SESSION_COOKIE_SECURE"] = True
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    app.config["SQLALCHEMY_DATABASE_URI"] = config_module.normalise_database_url(
        app.config.get("SQLALCHEMY_DATABASE_URI")
        or "sqlite:///" + str(Path(app.instance_path) / "stockapp.sqlite")
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config_module.instance_secret_key(app.instance_path)
    # The cookie lives as long as a session may: its signature is refused after it too.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=app.config["SESSION_MAX_SECONDS"])

    app_logging.init_app(app)
    headers.init_app(app)
    app.session_interface = CookieSessionsForPagesOnly()
    app.json.ensure_ascii = False  # Chinese names and notes as UTF-8, not \u escapes
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    with app.app_context():
        configure_engine(db.engine)

    from . import cli, web
    from .api import api

    web.init_app(app)
    csrf.exempt(api)
    app.register_blueprint(api)
    cli.init_app(app)
    return app


class CookieSessionsForPagesOnly(SecureCookieSessionInterface):
    """The API authenticates by bearer token alone: it neither reads nor sets cookies."""

    def open_session(self, app, request):
        if request.path.startswith("/api/"):
            return self.null_session_class()
        return super().open_session(app, request)

    def get_signing_serializer(self, app):
        """Flask builds the cookie's serializer on every request; it depends only on the
        app's configuration, so each app keeps the one it built."""
        serializer = app.extensions.get("stockapp.session_serializer")
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            app.extensions["stockapp.session_serializer"] = serializer
        return serializer


# Parsed once: babel's Locale.parse scans every known locale name on each call.
LOCALES = {code: Locale.parse(code) for code in ("zh_CN", "en")}


def select_locale() -> Locale:
    """The user's chosen language, else the language cookie, else the browser's."""
    if not has_request_context():
        return LOCALES[current_app.config["BABEL_DEFAULT_LOCALE"]]
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return LOCALES[current_user.locale]
    if request.cookies.get("lang") in LOCALES:
        return LOCALES[request.cookies["lang"]]
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    return LOCALES["en" if best == "en" else "zh_CN"]
