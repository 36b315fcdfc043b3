"""Live counts: the version of stock, reservations and picks, for screens that poll it.

Every open list, product page and order page asks ``GET /live`` every few
seconds with the version it last saw in ``If-None-Match``; while nothing has
changed the answer is an empty 304. The version lives in the database, so it is
the same for every worker and every app server on one PostgreSQL. It is read with
the signed-in user (``accounts.user_for_session``): a poll is one statement.

A manager's header holds the to-do (what waits for a manager): it is read when
the page opens and again on ``stock-changed``, which the poll fires only when the
version changed, so the 304 path stays that one statement.
"""

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from ... import queries
from ...models import Role
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
