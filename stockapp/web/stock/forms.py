"""The manage-stock dialog's form."""

from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import AnyOf, Length, Optional

from ...i18n import lazy_gettext as _l
from ...models.ledger import MAX_NOTE
from ..entry_form import TOO_LONG
from ..inputs import Form

INBOUND, STOCKTAKE = "inbound", "stocktake"


class StockForm(Form):
    """The dialog's fixed fields; the per-cell quantities are read by ``_read_cells``."""

    mode = HiddenField(validators=[AnyOf([INBOUND, STOCKTAKE])])
    # One key per rendered form: a double tap or a retry posts once.
    key = HiddenField(validators=[Length(min=1, max=64)])
    # Inbound: where the pieces go (``places.place_choices``): a warehouse's usual bins,
    # or one bin of it; left out, the usual bins of the user's own warehouse.
    place = SelectField(_l("Put away in"), validators=[Optional()])
    note = TextAreaField(
        _l("Note"),
        validators=[Length(max=MAX_NOTE, message=TOO_LONG)],
    )
