"""The forms of orders: a new order and a cancellation."""

from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ...i18n import lazy_gettext as _l
from ...models.ledger import MAX_NOTE, MAX_NUMBER
from ...models.orders import MAX_CUSTOMER
from ..entry_form import TOO_LONG
from ..inputs import Form


class OrderForm(Form):
    number = StringField(
        _l("Order number"),
        validators=[
            DataRequired(message=_l("Give the order a number.")),
            Length(max=MAX_NUMBER, message=TOO_LONG),
        ],
    )
    customer = StringField(
        _l("Customer"),
        validators=[
            DataRequired(message=_l("Say who the order is for.")),
            Length(max=MAX_CUSTOMER, message=TOO_LONG),
        ],
    )
    # The warehouse the order ships from (``places.warehouse_choices``); left out of the
    # form for a user of one warehouse.
    warehouse = SelectField(_l("Ships from"))
    note = TextAreaField(_l("Note"), validators=[Length(max=MAX_NOTE, message=TOO_LONG)])
    # One key per rendered form: a double tap or a retry creates one order.
    key = HiddenField(validators=[Length(min=1, max=64)])


class CancelForm(Form):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=MAX_NOTE, message=TOO_LONG)])
    key = HiddenField(validators=[Length(min=1, max=64)])
