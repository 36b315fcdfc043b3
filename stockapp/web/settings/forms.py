"""The managers' set-up forms: a supplier, a location, the receiving settings, a size
group and a colour."""

import re

from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ...i18n import lazy_gettext as _l
from ...models.catalogue import (
    MAX_COLOUR,
    MAX_COLOUR_CODE,
    MAX_GROUP_NAME,
    MAX_GROUP_SIZES,
    MAX_SIZE,
)
from ...models.ledger import MAX_NOTE
from ...models.warehouse import MAX_LOCATION_NAME, MAX_ZONE
from ...services import settings, size_groups, suppliers
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


class LocationNameForm(Form):
    name = StringField(
        _l("Name of the default location"),
        filters=[_strip],
        validators=[Length(max=MAX_LOCATION_NAME, message=TOO_LONG)],
        render_kw={"autocomplete": "off"},
    )


def _label_number(key: str, label) -> StringField:
    """A whole-number setting of the label sheet, within its ``settings.RANGES``."""
    low, high = settings.RANGES[key]

    def check(form, field):
        if not re.fullmatch(r"[0-9]{1,3}", field.data or "") or not low <= int(field.data) <= high:
            raise ValidationError(settings.out_of_range(low, high))

    return StringField(
        label,
        filters=[_strip],
        validators=[check],
        render_kw={"inputmode": "numeric", "pattern": "[0-9]*", "maxlength": 3},
    )


# The label sheet's settings, in the order the page shows them.
LABEL_SHEET = ("label_rows", "label_columns", "label_margin_top_mm", "label_margin_side_mm")


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
    write_offs_need_approval = BooleanField(
        _l("A clerk's write-offs and returns to suppliers need a manager's approval")
    )

    label_rows = _label_number("label_rows", _l("Rows of labels on an A4 sheet"))
    label_columns = _label_number("label_columns", _l("Columns of labels on an A4 sheet"))
    label_margin_top_mm = _label_number("label_margin_top_mm", _l("Top and bottom margin (mm)"))
    label_margin_side_mm = _label_number("label_margin_side_mm", _l("Left and right margin (mm)"))

    label_sheet = LABEL_SHEET

    def validate_over_receipt_tolerance_pct(self, field):
        if not re.fullmatch(r"[0-9]{1,3}", field.data or "") or int(field.data) > 100:
            raise ValidationError(TOLERANCE)

    def values(self) -> dict:
        return {
            "over_receipt_tolerance_pct": int(self.over_receipt_tolerance_pct.data),
            "po_receipts_need_approval": self.po_receipts_need_approval.data,
            "direct_receipts_need_approval": self.direct_receipts_need_approval.data,
            "write_offs_need_approval": self.write_offs_need_approval.data,
        } | {key: int(self[key].data) for key in LABEL_SHEET}


class SizeGroupForm(Form):
    """A size group: its name and its sizes in order, typed in one box ("S M L XL")."""

    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[Length(max=MAX_GROUP_NAME, message=TOO_LONG)],
        render_kw={"autocomplete": "off", "placeholder": "S–3XL"},
    )
    sizes = StringField(
        _l("Sizes, in order"),
        filters=[_strip],
        validators=[Length(max=MAX_GROUP_SIZES * (MAX_SIZE + 1), message=TOO_LONG)],
        render_kw={"autocomplete": "off", "placeholder": "S M L XL 2XL"},
    )

    def values(self) -> dict:
        return {"name": self.name.data, "sizes": size_groups.split_labels(self.sizes.data)}


class ColourForm(Form):
    """A colour of the colour list: its name and an optional code."""

    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[Length(max=MAX_COLOUR, message=TOO_LONG)],
        render_kw={"autocomplete": "off", "placeholder": "黑色"},
    )
    code = StringField(
        _l("Code"),
        filters=[_strip],
        validators=[Length(max=MAX_COLOUR_CODE, message=TOO_LONG)],
        render_kw={"autocomplete": "off", "placeholder": "01"},
    )

    def values(self) -> dict:
        return {"name": self.name.data, "code": self.code.data}
