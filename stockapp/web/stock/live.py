"""Live counts: the version of stock, reservations and picks, for screens that poll it.

Every open list, product page and order page asks ``GET /live`` every few
seconds with the version it last saw in ``If-None-Match``; while nothing has
changed the answer is an empty 304. The version lives in the database, so it is
the same for every worker and every app server on one PostgreSQL. It is read with
the signed-in user (``accounts.user_for_session``): a poll is one statement.
A poll that finds nothing changed is answered before Flask dispatches it
(``UnchangedPolls``): the request machinery cost more than the check.

A manager's header holds the to-do (what waits for a manager): it is read when
the page opens and again on ``stock-changed``, which the poll fires only when the
version changed, so the 304 path stays that one statement.
"""

from flask import Blueprint, Flask, Response, render_template, request
from flask_login import current_user
from werkzeug.http import quote_etag

from ... import queries
from ...headers import security_headers
from ...models import Role
from ...services.accounts import user_for_session
from ..access import role_required

bp = Blueprint("live", __name__)


@bp.get("/live")
def version():
    etag = str(current_user.stock_version)
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        response = Response(etag, mimetype="text/plain")
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/live/todo")
@role_required(Role.MANAGER)
def todo():
    """The header's to-do: receipts waiting for approval, orders picked in full and
    waiting for 配货完成, low-stock variants; each opens its list."""
    counts = queries.manager_todo()
    return render_template("_todo.html", todo=counts, total=sum(counts.values()))


class UnchangedPolls:
    """WSGI middleware: answers a poll whose version has not changed (``GET /live``
    with an ``If-None-Match`` that still holds) before Flask dispatches it.

    Fifty tablets poll every few seconds, and nearly every poll is such a 304. The
    answer needs the session cookie read, the signed-in user checked and the version
    compared, with the very functions the page requests use (the session interface,
    ``accounts.user_for_session``); the request context, the URL routing, the
    before- and after-request hooks and the response object cost three times that.
    Anything else (no cookie, a session that ended, a changed version) goes on to
    Flask, which answers it as any other request.
    """

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if (
            environ.get("PATH_INFO") == "/live"
            and environ.get("REQUEST_METHOD") == "GET"
            and "HTTP_IF_NONE_MATCH" in environ
            and not environ.get("QUERY_STRING")
        ):
            answer = self._unchanged(environ)
            if answer is not None:
                start_response("304 NOT MODIFIED", answer)
                return []
        return self.wsgi_app(environ, start_response)

    def _unchanged(self, environ) -> list | None:
        app = self.app
        request = app.request_class(environ)
        session = app.session_interface.open_session(app, request)
        token = session.get("_user_id") if session is not None else None
        if not isinstance(token, str):
            return None
        with app.app_context():
            user = user_for_session(token, apart=True)
        if user is None:
            return None
        etag = str(user.stock_version)
        if not request.if_none_match.contains(etag):
            return None
        return [
            ("ETag", quote_etag(etag)),
            ("Cache-Control", "no-store"),
            ("Vary", "HX-Request, Cookie"),  # as Flask's answer says (``vary_on_htmx``)
            *security_headers(app.config).items(),
        ]
