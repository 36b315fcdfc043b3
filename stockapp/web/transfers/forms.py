"""The new transfer's form: the two warehouses (the quantities travel as entry cells)."""

from wtforms import HiddenField, SelectField
from wtforms.validators import Length

from ...i18n import lazy_gettext as _l
from ..inputs import Form, form_id


class TransferForm(Form):
    # The choices are the warehouses the user works in; the service checks them again.
    from_warehouse = SelectField(_l("From"), coerce=form_id)
    to_warehouse = SelectField(_l("To"), coerce=form_id)
    # One key per rendered form: a double tap or a retry creates one transfer.
    key = HiddenField(validators=[Length(min=1, max=64)])
