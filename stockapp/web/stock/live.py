"""Live counts: the version of stock, reservations and picks, for screens that poll it.

Every open list, product page and order page asks ``GET /live`` every few
seconds with the version it last saw in ``If-None-Match``; while nothing has
changed the answer is an empty 304. The version lives in the database, so it is
the same for every worker and every app server on one PostgreSQL. It is read with
the signed-in user (``accounts.user_for_session``): a poll is one statement.
"""

from flask import Blueprint, Response, request
from flask_login import current_user

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
