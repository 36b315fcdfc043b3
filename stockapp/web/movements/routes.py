"""The stock logs (库存日志), "my actions", and reversing a document."""

from urllib.parse import parse_qsl, urlsplit
from uuid import uuid4

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ...htmx import is_htmx, trigger
from ...i18n import lazy_gettext as _l
from ...models import DocumentKind
from ...queries import movements as history
from ...queries.pager import Page
from ...services import reversals
from ...services.errors import DomainError, NotFound, NotPermitted
from ..access import managers_only
from ..errors import error_page
from ..lists import page_args
from . import bp
from .forms import LOG_NAMES, ReverseForm, filter_form

MINE_LIMIT = 100


def _log_context(args) -> dict:
    form = filter_form(args)
    pages = page_args(args)
    found = Page([])
    if not form.errors:
        found = history.page(form.criteria(), cursor=pages["cursor"], limit=pages["per_page"])
    filters = form.query_args()
    tabs = []
    for key, label in LOG_NAMES.items():
        url = url_for("movements.index", **{**filters, "kind": key if key != "all" else None})
        tabs.append({"label": label, "url": url, "current": form.kind.data == key})
    return {
        "form": form,
        "filters": filters,
        "tabs": tabs,
        "found": found,
        "rows": found.rows,
    }


@bp.get("/logs")
@managers_only
def index():
    """The stock logs, filtered; an htmx request gets the log without the page around it."""
    context = _log_context(request.args)
    status = 422 if context["form"].errors else 200
    if is_htmx():
        return render_template("movements/_log.html", **context), status
    return render_template("movements/index.html", **context), status


@bp.get("/logs/mine")
def mine():
    """The signed-in user's own latest movements, whatever their role."""
    context = _mine_context()
    if is_htmx():
        return render_template("movements/_rows.html", **context)
    return render_template("movements/mine.html", **context)


@bp.route("/documents/<int:document_id>/reverse", methods=["GET", "POST"])
@managers_only
def reverse(document_id: int):
    """The reason form (GET), and reversing the document (POST) with what follows from
    it (a receipt's PO), from the log or from the document's own page."""
    document = history.document(document_id)
    form = ReverseForm()
    if document is None:
        form.form_errors.append(_l("Document %(id)s does not exist.", id=document_id))
        return _reverse_form(form, None, document_id, 404)
    try:
        reversals.require_access(document_id, current_user.id)
    except NotPermitted:
        return error_page(403)
    if request.method == "GET":
        form.key.data = uuid4().hex
        return _reverse_form(form, document, document_id, 200)
    if not form.validate_on_submit():
        return _reverse_form(form, document, document_id, 422)
    try:
        reversal = reversals.reverse_document(
            document_id,
            operator_id=current_user.id,
            reason=form.reason.data,
            idempotency_key=form.key.data or None,
        )
    except DomainError as refused:
        form.form_errors.append(refused.detail)
        status = 404 if isinstance(refused, NotFound) else 422
        return _reverse_form(form, history.document(document_id), document_id, status)
    number = reversal["document"]["number"]
    notice = _l(
        "%(original)s is reversed by %(reversal)s.", original=document["number"], reversal=number
    )
    detail = {"document": document["number"], "reversal": number}
    if not is_htmx():
        flash(str(notice), "success")
        return redirect(url_for("movements.index", document=number))
    response = _refreshed_log(notice)
    return trigger(response, "stock-changed", detail)


def _reverse_form(form, document, document_id, status):
    if document is not None:
        document["kind_name"] = DocumentKind(document["kind"]).label
        document["refusal"] = reversals.refusal(
            document["kind"], document["status"], document["number"]
        )
    context = {"form": form, "document": document, "document_id": document_id}
    template = "movements/_reverse_form.html" if is_htmx() else "movements/reverse.html"
    return render_template(template, **context), status


def _refreshed_log(notice) -> Response:
    """The log the reversal was made from, refreshed, in place of its rows.

    The form sits in the dialog; its answer is retargeted to the page's rows,
    with the filters the page shows (htmx sends the page's URL along). Another page
    gets the notice as a message, and follows ``stock-changed`` itself.
    """
    here = urlsplit(request.headers.get("HX-Current-URL", ""))
    if here.path == url_for("movements.mine"):
        context = _mine_context()
        target, template = "#log-rows", "movements/_rows.html"
    elif here.path == url_for("movements.index"):
        args = MultiDict(parse_qsl(here.query, keep_blank_values=True))
        for cursor in ("before", "after", "page"):
            args.pop(cursor, None)
        context = _log_context(args)
        target, template = "#log-view", "movements/_log.html"
    else:  # the document's own page (a bin move's, a write-off's) refreshes itself
        return trigger(Response(status=204), "show-message", str(notice))
    body = render_template(template, notice=notice, **context)
    return Response(body, headers={"HX-Retarget": target, "HX-Reswap": "innerHTML show:top"})


def _mine_context() -> dict:
    found = history.page(history.Criteria(operator_id=current_user.id), limit=MINE_LIMIT)
    return {"rows": found.rows, "mine": True, "limit": MINE_LIMIT}


def log_with_errors():
    context = _log_context(request.args)
    return render_template("movements/index.html", **context), 422
