"""The log's filters and the reversal's reason."""

from flask_login import current_user
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ...i18n import lazy_gettext as _l
from ...models import MovementKind
from ...models.ledger import MAX_NOTE
from ...queries import movements as history
from ...services import reversals, warehouses
from ..inputs import Form
from ..lists import FilterForm, read_filters

# The stock logs: a log is a set of movement kinds (queries.movements.LOGS).
LOG_NAMES = {
    "all": _l("All movements"),
    "inbound": _l("Inbound log"),
    "adjustment": _l("Adjustment log"),
}


class LogFilterForm(FilterForm):
    """The log's filters, read from the query string (a GET form: no CSRF token)."""

    q = StringField(_l("Style or SKU"), validators=[Optional(), Length(max=100)])
    document = StringField(_l("Document"), validators=[Optional(), Length(max=20)])
    operator = SelectField(_l("Operator"), validate_choice=False)
    kind = SelectField(_l("Log"), default="all")

    def __init__(self, formdata):
        super().__init__(formdata=formdata)
        self.operator.choices = [("", _l("Everyone"))] + [(n, n) for n in history.operators()]
        self.kind.choices = {
            str(_l("Logs")): [(key, LOG_NAMES[key]) for key in history.LOGS],
            str(_l("Kinds")): [
                (k, MovementKind.label_of(k)) for k in history.KINDS if k not in LOG_NAMES
            ],
        }

    def criteria(self) -> history.Criteria:
        """What the filter asks for, in the warehouses the signed-in user works in."""
        return history.Criteria(
            warehouse_ids=warehouses.allowed_warehouse_ids(current_user.id),
            search=(self.q.data or "").strip(),
            document=(self.document.data or "").strip(),
            operator=self.operator.data or "",
            kind=self.kind.data if self.kind.data in history.KINDS else "all",
            date_from=self.date_from.data,
            date_to=self.date_to.data,
        )


class ReverseForm(Form):
    reason = TextAreaField(
        _l("Reason"),
        filters=[lambda text: text.strip() if text else text],
        validators=[
            DataRequired(reversals.SAY_WHY),
            Length(max=MAX_NOTE, message=reversals.REASON_TOO_LONG),
        ],
    )
    # One key per dialog opened: a double tap or a retry reverses once (a dialog opened
    # before there were keys sends none).
    key = HiddenField(validators=[Optional(), Length(max=64)])


def filter_form(args) -> LogFilterForm:
    return read_filters(LogFilterForm, args)
