"""The log's filters and the reversal's reason."""

from werkzeug.datastructures import MultiDict
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ...i18n import lazy_gettext as _l
from ...models import MovementKind
from ...models.ledger import MAX_NOTE
from ...queries import movements as history
from ..inputs import Form

# The stock logs: a log is a set of movement kinds (queries.movements.LOGS).
LOG_NAMES = {
    "all": _l("All movements"),
    "inbound": _l("Inbound log"),
    "adjustment": _l("Adjustment log"),
}


class LogFilterForm(Form):
    """The log's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Style or SKU"), validators=[Optional(), Length(max=100)])
    document = StringField(_l("Document"), validators=[Optional(), Length(max=20)])
    operator = SelectField(_l("Operator"), validate_choice=False)
    kind = SelectField(_l("Log"), default="all")
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def __init__(self, formdata):
        super().__init__(formdata=formdata)
        self.operator.choices = [("", _l("Everyone"))] + [(n, n) for n in history.operators()]
        self.kind.choices = {
            str(_l("Logs")): [(key, LOG_NAMES[key]) for key in history.LOGS],
            str(_l("Kinds")): [
                (k, MovementKind.label_of(k)) for k in history.KINDS if k not in LOG_NAMES
            ],
        }

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def criteria(self) -> history.Criteria:
        return history.Criteria(
            search=(self.q.data or "").strip(),
            document=(self.document.data or "").strip(),
            operator=self.operator.data or "",
            kind=self.kind.data if self.kind.data in history.KINDS else "all",
            date_from=self.date_from.data,
            date_to=self.date_to.data,
        )

    def query_args(self) -> dict:
        """The filters as query-string arguments, leaving out the empty ones."""
        args = {
            "q": self.q.data,
            "document": self.document.data,
            "operator": self.operator.data,
            "kind": self.kind.data if self.kind.data != "all" else None,
            "from": self.date_from.data.isoformat() if self.date_from.data else None,
            "to": self.date_to.data.isoformat() if self.date_to.data else None,
        }
        return {name: value for name, value in args.items() if value}


class ReverseForm(Form):
    reason = TextAreaField(
        _l("Reason"),
        filters=[lambda text: text.strip() if text else text],
        validators=[
            DataRequired(_l("Say why this document is reversed.")),
            Length(max=MAX_NOTE, message=_l("Keep the reason under %(max)d characters.")),
        ],
    )


def filter_form(args) -> LogFilterForm:
    # The form's fields are named like the query string, but for the dates.
    renamed = MultiDict(args)
    for short, field in (("from", "date_from"), ("to", "date_to")):
        if short in renamed:
            renamed.setlist(field, renamed.poplist(short))
    form = LogFilterForm(renamed)
    form.validate()
    return form
