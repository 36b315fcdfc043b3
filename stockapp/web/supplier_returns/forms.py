"""The fixed fields of a return to the supplier; the pieces are read from its grids."""

from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import Length

from ...i18n import lazy_gettext as _l
from ...models import SupplierReturnReason
from ...models.ledger import MAX_NOTE
from ..entry_form import TOO_LONG
from ..inputs import Form, form_id
from ..purchasing.forms import reject_form


class SupplierReturnForm(Form):
    location = SelectField(_l("Location"), validate_choice=False)
    supplier = SelectField(_l("Supplier"), coerce=form_id, validate_choice=False)
    purchase_order = SelectField(_l("Purchase order"), coerce=form_id, validate_choice=False)
    reason = SelectField(
        _l("Reason"),
        choices=[(reason.value, reason.label) for reason in SupplierReturnReason],
        default=SupplierReturnReason.DAMAGED.value,
    )
    note = TextAreaField(_l("Note"), validators=[Length(max=MAX_NOTE, message=TOO_LONG)])
    key = HiddenField(validators=[Length(min=1, max=64)])


RejectForm = reject_form(_l("Say why the return to the supplier is rejected."))
