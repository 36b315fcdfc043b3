"""StockApp (库存管家): stock keeping for garment factories and wholesale warehouses."""

import os
from pathlib import Path

from flask import Flask, current_app, has_request_context, request
from flask_login import current_user

from . import config as config_module
from .db import configure_engine
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
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    app.config.update(config or {})
    app.config["SQLALCHEMY_DATABASE_URI"] = config_module.normalise_database_url(
        app.config.get("SQLALCHEMY_DATABASE_URI")
        or "sqlite:///" + str(Path(app.instance_path) / "stockapp.sqlite")
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config_module.instance_secret_key(app.instance_path)

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


def select_locale() -> str:
    """The user's chosen language, else the language cookie, else the browser's."""
    languages = ("zh_CN", "en")
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if request.cookies.get("lang") in languages:
        return request.cookies["lang"]
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    return "en" if best == "en" else "zh_CN"
