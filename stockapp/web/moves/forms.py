"""The fixed fields of the move and write-off forms; the pieces are read from their grids."""

from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import Length

from ...i18n import lazy_gettext as _l
from ...models import WriteOffReason
from ...models.ledger import MAX_NOTE
from ..entry_form import TOO_LONG
from ..inputs import Form
from ..purchasing.forms import reject_form

# A location id as a hidden field or a choice carries it.
LOCATION_ID = r"[0-9]{1,9}"


class MoveForm(Form):
    """The source and destination locations travel as ids, once their labels are scanned."""

    source = HiddenField()
    destination = HiddenField()
    note = TextAreaField(_l("Note"), validators=[Length(max=MAX_NOTE, message=TOO_LONG)])
    key = HiddenField(validators=[Length(min=1, max=64)])


class WriteOffForm(Form):
    location = SelectField(_l("Location"), validate_choice=False)
    reason = SelectField(
        _l("Reason"),
        choices=[(reason.value, reason.label) for reason in WriteOffReason],
        default=WriteOffReason.DAMAGED.value,
    )
    note = TextAreaField(_l("Note"), validators=[Length(max=MAX_NOTE, message=TOO_LONG)])
    key = HiddenField(validators=[Length(min=1, max=64)])


RejectForm = reject_form(_l("Say why the write-off is rejected."))
