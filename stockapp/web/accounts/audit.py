"""The audit trail (操作日志): who changed what that is not stock, before → after, with
the stock log's filters, pager and Excel export."""

from flask import render_template, request
from flask_babel import gettext as _
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from ...access import Reads
from ...htmx import is_htmx
from ...i18n import lazy_gettext as _l
from ...models import AuditSubject, Role
from ...models.accounts import MAX_AUDIT_KEY
from ...queries import accounts as account_queries
from ...queries import movements as history
from ...queries.pager import Page
from ..access import role_required
from ..exports import local_time, xlsx_response
from ..lists import FilterForm, page_args, read_filters
from ..settings.routes import SECTIONS
from ..templating import local_datetime
from . import bp

# An export holds at most this many rows; a note says when it was cut.
EXPORT_LIMIT = 100_000
COLUMNS = [
    (_l("Time"), 20),
    (_l("Who"), 14),
    (_l("What"), 12),
    (_l("Change"), 12),
    (_l("Name"), 24),
    (_l("Field"), 20),
    (_l("Before"), 30),
    (_l("After"), 30),
]


class AuditFilterForm(FilterForm):
    subject = SelectField(_l("What"), default="")
    actor = SelectField(_l("Who"), default="", validate_choice=False)
    key = StringField(_l("Name"), validators=[Optional(), Length(max=MAX_AUDIT_KEY)])

    def __init__(self, formdata):
        super().__init__(formdata=formdata)
        self.subject.choices = [("", _l("Everything"))] + [(s.value, s.label) for s in AuditSubject]
        everyone = [("", _l("Everyone")), (account_queries.TERMINAL, _l("Terminal"))]
        self.actor.choices = everyone + [(name, name) for name in history.operators()]

    def criteria(self) -> account_queries.AuditCriteria:
        return account_queries.AuditCriteria(
            subject=self.subject.data or "",
            actor=self.actor.data or "",
            key=(self.key.data or "").strip(),
            date_from=self.date_from.data,
            date_to=self.date_to.data,
        )


@bp.get("/audit")
@role_required(Reads.ACCOUNTS)
def audit_trail():
    """The audit trail, newest first, filtered; an htmx request gets it without the page."""
    form = read_filters(AuditFilterForm, request.args)
    found = Page([])
    if not form.errors:
        pages = page_args()
        found = account_queries.audit_page(
            form.criteria(), cursor=pages["cursor"], limit=pages["per_page"]
        )
    context = {
        "form": form,
        "filters": form.query_args(),
        "found": found,
        "field_name": field_name,
        "shown": shown,
        "sections": SECTIONS,
    }
    status = 422 if form.errors else 200
    template = "accounts/_audit.html" if is_htmx() else "accounts/audit.html"
    return render_template(template, **context), status


@bp.get("/audit/export.xlsx")
@role_required(Reads.ACCOUNTS)
def audit_export():
    """The filtered audit trail as an Excel workbook, one row per field changed."""
    form = read_filters(AuditFilterForm, request.args)
    if form.errors:
        return audit_trail()
    rows = _export_rows(form.criteria())
    return xlsx_response(
        COLUMNS, rows, capped=_capped_note, name="audit-trail", sheet_name=str(_l("Audit trail"))
    )


def _export_rows(criteria: account_queries.AuditCriteria):
    """Each field a change names as a row of the export's columns (a change naming none
    as one row); None last when the export was cut."""
    found = account_queries.each_audit_row(criteria, limit=EXPORT_LIMIT + 1)
    for taken, row in enumerate(found, start=1):
        if taken > EXPORT_LIMIT:
            yield None
            return
        head = [
            local_time(row.at),
            str(row.actor or _("Terminal")),
            str(row.subject.label),
            str(row.action.label),
            row.subject_key,
        ]
        for name, before, after in row.fields or [("", None, None)]:
            yield [*head, str(field_name(name)), shown(name, before), shown(name, after)]


# The names of the fields audit rows record, as the trail shows them; a field not
# named here shows as it is stored.
FIELD_NAMES = {
    "display_name": _l("Display name"),
    "role": _l("Role"),
    "active": _l("Active"),
    "password": _l("Password"),
    "tokens_revoked": _l("Tokens revoked"),
    "user": _l("User"),
    "expires_at": _l("Expires"),
    "revoked_at": _l("Revoked"),
    "value": _l("Value"),
    "name": _l("Name"),
    "contact": _l("Contact person"),
    "phone": _l("Phone"),
    "note": _l("Note"),
    "zone": _l("Zone"),
    "is_quarantine": _l("Quarantine"),
    "category": _l("Category"),
    "unit": _l("Unit"),
    "cost_price": _l("Cost price"),
    "sale_price": _l("Sale price"),
    "sizes": _l("Sizes"),
    "colours": _l("Colours"),
    "barcode": _l("Barcode"),
    "code": _l("Code"),
    "low_stock_threshold": _l("Low-stock threshold"),
}


def field_name(name: str):
    return FIELD_NAMES.get(name, name)


def shown(name: str, value) -> str:
    """A field's value as the trail shows it: empty for none, yes or no, a role's name,
    a password only as reset or changed, a list as its items, else its text."""
    if value is None:
        return ""
    if value is True:
        return str(_l("Yes"))
    if value is False:
        return str(_l("No"))
    if name == "role" and value in set(Role):
        return str(Role(value).label)
    if name == "password":
        return str(PASSWORD_EVENTS.get(value, value))
    if isinstance(value, list):  # a style's sizes or colours, in their order
        return " ".join(str(item) for item in value)
    if name.endswith("_at") and isinstance(value, str):  # a time, stored in ISO 8601
        return local_datetime(value)
    return str(value)


PASSWORD_EVENTS = {"set": _l("set"), "reset": _l("reset"), "changed": _l("changed")}


def _capped_note():
    return _l(
        "Only the newest %(limit)d changes are exported: narrow the filters for the rest.",
        limit=EXPORT_LIMIT,
    )
