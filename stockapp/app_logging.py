"""Application logging: one line per event on standard error, for journalctl.

- INFO: every request (method, path, status, duration in ms, user) and every domain
  refusal (its kind, status, message and the fields it names). The live poll's
  "nothing changed" (``GET /live`` answered 304) is the one request left out: every
  open screen sends it every few seconds, and fifty tablets would bury the shop's
  events under 25 lines a second of it.
- ERROR: every unhandled exception (a 500), with its traceback folded onto its line.

The level is ``LOG_LEVEL`` (``instance/config.py`` or the environment variable
``STOCKAPP_LOG_LEVEL``), default INFO; WARNING keeps only the errors.
"""

import logging
import time

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler

logger = logging.getLogger("stockapp")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class OneLine(logging.Formatter):
    """A record and its traceback on one line: journalctl shows one entry per line."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", "\\n")


class OurHandler(logging.StreamHandler):
    """Standard error, one line per event (a class of its own, so it is added once)."""


def init_app(app: Flask) -> None:
    logger.setLevel(app.config["LOG_LEVEL"])
    if not any(isinstance(h, OurHandler) for h in logger.handlers):
        handler = OurHandler()
        handler.setFormatter(OneLine(FORMAT))
        logger.addHandler(handler)
    logger.removeHandler(default_handler)
    app.before_request(_start_clock)
    app.after_request(_log_request)


def _start_clock() -> None:
    g.request_started = time.perf_counter()


def _log_request(response):
    if response.status_code == 304 and request.endpoint == "live.version":
        return response
    if logger.isEnabledFor(logging.INFO):
        started = g.get("request_started")
        took = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        logger.info(
            "%s %s %d %.1fms user=%s",
            request.method,
            request.full_path.removesuffix("?"),
            response.status_code,
            took,
            _user_name(),
        )
    return response


def _user_name() -> str:
    """Who asked: the API token's user, the signed-in user, or ``-``. Reads only what
    the request has already loaded (logging never costs a query)."""
    user = g.get("api_user") or g.get("_login_user")
    return getattr(user, "username", None) or "-"


def refused(error) -> None:
    """Log a domain refusal (called as it is raised), with the request it answers."""
    if not logger.isEnabledFor(logging.INFO):
        return
    where = f" on {request.method} {request.path}" if has_request_context() else ""
    fields = f" fields={','.join(error.errors)}" if error.errors else ""
    logger.info(
        "refused %s (%d)%s: %s%s", type(error).__name__, error.status, where, error.detail, fields
    )
