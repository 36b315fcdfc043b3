"""A document that waits for a manager's decision (a write-off, a return to a supplier):
the approve and reject steps its pages share."""

from collections.abc import Callable
from dataclasses import dataclass
from uuid import uuid4

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..htmx import client_redirect, is_htmx, stock_changed
from ..services.errors import DomainError
from . import entry_form


@dataclass(frozen=True)
class Waiting:
    """How one kind of document is decided on its pages.

    ``service``: its ``approve`` and ``reject`` (with an idempotency key); ``view``: the
    document as its page shows it (404 / 403 for one the user may not see); ``page``
    and ``reject_page``: the endpoints of its page and its reject form; ``partial``: the
    template of its page's body; ``name``: its key in the ``stock-changed`` event;
    ``approved(document, pieces)`` and ``rejected``: what the manager is told."""

    service: object
    view: Callable[[int], dict]
    page: str
    reject_page: str
    partial: str
    name: str
    approved: Callable[[dict, int], str]
    rejected: object
    reject_form: type

    def approve(self, document_id: int):
        """Approve: the pieces leave stock, unless their bins no longer hold them."""
        view = self.view(document_id)
        form = entry_form.KeyForm()
        if not form.validate():
            return self._refused(view, _("The page is out of date: reload it."))
        try:
            result = self.service.approve(
                document_id, operator_id=current_user.id, idempotency_key=form.key.data
            )
        except DomainError as refused:
            return self._refused(view, refused.detail)
        pieces = sum(line["qty"] for line in view["lines"])
        return self._done(self.approved(result["document"], pieces), document_id)

    def reject(self, document_id: int):
        """The reject form (GET), or the rejection with its reason (POST)."""
        view = self.view(document_id)
        if request.method == "GET":
            return self._reject_form(view, self.reject_form(key=uuid4().hex))
        form = self.reject_form()
        if not form.validate():
            return self._reject_form(view, form, 422)
        try:
            self.service.reject(
                document_id,
                operator_id=current_user.id,
                reason=form.reason.data.strip(),
                idempotency_key=form.key.data,
            )
        except DomainError as refused:
            form.form_errors.append(refused.detail)
            return self._reject_form(view, form, 422)
        return self._done(str(self.rejected), document_id)

    def _done(self, message: str, document_id: int):
        return stock_changed(
            message,
            detail={self.name: document_id},
            fallback=url_for(self.page, document_id=document_id),
        )

    def _reject_form(self, view: dict, form, status: int = 200):
        template = "moves/_reject.html" if is_htmx() else "moves/reject.html"
        urls = {
            "reject_url": url_for(self.reject_page, document_id=view["id"]),
            "back_url": url_for(self.page, document_id=view["id"]),
        }
        return render_template(template, view=view, form=form, **urls), status

    def _refused(self, view: dict, message):
        if not is_htmx():
            flash(message, "error")
            return client_redirect(url_for(self.page, document_id=view["id"]))
        return (
            render_template(
                self.partial,
                view=self.view(view["id"]),
                action=entry_form.KeyForm(key=uuid4().hex),
                refusal=message,
            ),
            422,
        )
