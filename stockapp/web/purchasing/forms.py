"""The forms of purchasing: a new PO, a receipt's fixed fields, a rejection."""

from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ...i18n import lazy_gettext as _l
from ...models.ledger import MAX_NOTE, MAX_NUMBER
from ..entry_form import TOO_LONG
from ..inputs import Form, form_id


class POForm(Form):
    number = StringField(
        _l("PO number"),
        validators=[
            DataRequired(message=_l("Give the purchase order a number.")),
            Length(max=MAX_NUMBER, message=TOO_LONG),
        ],
    )
    supplier = SelectField(_l("Supplier"), coerce=form_id, validate_choice=False)
    expected_on = DateField(_l("Expected on"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Length(max=MAX_NOTE, message=TOO_LONG)])
    place = BooleanField(_l("Send to the supplier now (ordered)"), default=True)
    key = HiddenField(validators=[Length(min=1, max=64)])


class ReceiptForm(Form):
    # The warehouse the goods go into (``places.warehouse_choices``); its bins are the
    # lines' locations.
    warehouse = SelectField(_l("Warehouse"))
    note = TextAreaField(_l("Note"), validators=[Length(max=MAX_NOTE, message=TOO_LONG)])
    key = HiddenField(validators=[Length(min=1, max=64)])


def reject_form(message) -> type[Form]:
    """The form a manager turns down a document waiting for them with (a receipt, a
    write-off): the reason, required (``message`` when missing) and bounded."""

    class RejectForm(Form):
        reason = TextAreaField(
            _l("Reason"),
            validators=[DataRequired(message=message), Length(max=MAX_NOTE, message=TOO_LONG)],
        )
        key = HiddenField(validators=[Length(min=1, max=64)])

    return RejectForm


RejectForm = reject_form(_l("Say why the receipt is rejected."))
