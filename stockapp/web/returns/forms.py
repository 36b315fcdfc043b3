"""The return form's fixed fields; the quantities are read from its grids."""

from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length

from ...i18n import lazy_gettext as _l
from ...models.ledger import MAX_NOTE
from ..entry_form import TOO_LONG
from ..inputs import Form


class ReturnForm(Form):
    note = TextAreaField(_l("Note"), validators=[Length(max=MAX_NOTE, message=TOO_LONG)])
    key = HiddenField(validators=[Length(min=1, max=64)])
