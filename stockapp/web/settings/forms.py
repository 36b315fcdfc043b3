"""The managers' set-up forms: a supplier, a location, the receiving settings."""

import re

from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ...i18n import lazy_gettext as _l
from ...models.ledger import MAX_NOTE
from ...models.warehouse import MAX_ZONE
from ...services import suppliers
from ..entry_form import TOO_LONG
from ..inputs import Form
from ..inputs import stripped as _strip

TOLERANCE = _l("Enter a whole number from 0 to 100.")


class SupplierForm(Form):
    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Give the supplier a name.")),
            Length(max=suppliers.LIMITS["name"], message=TOO_LONG),
        ],
    )
    contact = StringField(
        _l("Contact person"),
        filters=[_strip],
        validators=[Length(max=suppliers.LIMITS["contact"], message=TOO_LONG)],
    )
    phone = StringField(
        _l("Phone"),
        filters=[_strip],
        validators=[Length(max=suppliers.LIMITS["phone"], message=TOO_LONG)],
        # A text box with the phone keypad: the CSS styles text inputs, not type=tel.
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    note = TextAreaField(
        _l("Note"),
        filters=[_strip],
        validators=[Length(max=suppliers.LIMITS["note"], message=TOO_LONG)],
    )


class LocationForm(Form):
    # The service checks the code's shape (A-01-03) and that it is free.
    code = StringField(
        _l("Code"),
        filters=[_strip],
        render_kw={"placeholder": "A-01-03", "autocomplete": "off", "autocapitalize": "characters"},
    )
    zone = StringField(
        _l("Zone"), filters=[_strip], validators=[Length(max=MAX_ZONE, message=TOO_LONG)]
    )
    note = TextAreaField(
        _l("Note"), filters=[_strip], validators=[Length(max=MAX_NOTE, message=TOO_LONG)]
    )
    is_quarantine = BooleanField(_l("Quarantine: damaged goods are kept here"))


class SettingsForm(Form):
    """Named after the settings' keys, so that the service's errors land beside their field."""

    # Text with the numeric keypad, like every quantity on the floor (the CSS styles
    # text inputs; a type=number box would stand out unstyled).
    over_receipt_tolerance_pct = StringField(
        _l("Over-receipt tolerance (%)"),
        filters=[_strip],
        render_kw={"inputmode": "numeric", "pattern": "[0-9]*", "maxlength": 3},
    )
    po_receipts_need_approval = BooleanField(_l("PO receipts need a manager's approval"))
    direct_receipts_need_approval = BooleanField(
        _l("Receipts without a PO (the manage-stock dialog) need approval")
    )

    def validate_over_receipt_tolerance_pct(self, field):
        if not re.fullmatch(r"[0-9]{1,3}", field.data or "") or int(field.data) > 100:
            raise ValidationError(TOLERANCE)

    def values(self) -> dict:
        return {
            "over_receipt_tolerance_pct": int(self.over_receipt_tolerance_pct.data),
            "po_receipts_need_approval": self.po_receipts_need_approval.data,
            "direct_receipts_need_approval": self.direct_receipts_need_approval.data,
        }
