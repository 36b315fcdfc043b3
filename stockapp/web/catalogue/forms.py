"""The managers' product forms: a new style (its details, sizes, colours and the
barcodes typed per cell of its grid), its details edited, sizes or colours added."""

import json

from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import Length, ValidationError
from wtforms.widgets import CheckboxInput

from ...i18n import lazy_gettext as _l
from ...models.catalogue import MAX_CATEGORY, MAX_CODE, MAX_NAME, MAX_UNIT
from ...services import size_groups
from .. import entry_form
from ..entry_form import TOO_LONG
from ..inputs import CONTROL, Form
from ..inputs import stripped as _strip

# A barcode typed in a cell of the new style's grid: ``barcode:["黑色","36"]``.
BARCODE_CELL = "barcode:"
# The longest line of sizes or colours typed in one box.
MAX_TYPED = 1000


def _price_check(form, field):
    try:
        entry_form.price(field.data or "")
    except ValueError:
        raise ValidationError(entry_form.PRICE) from None


class DetailsForm(Form):
    """A style's name, category, unit and prices: what can change after it is made."""

    name = StringField(
        _l("Name"), filters=[_strip], validators=[Length(max=MAX_NAME, message=TOO_LONG)]
    )
    category = StringField(
        _l("Category"), filters=[_strip], validators=[Length(max=MAX_CATEGORY, message=TOO_LONG)]
    )
    unit = StringField(
        _l("Unit"),
        filters=[_strip],
        validators=[Length(max=MAX_UNIT, message=TOO_LONG)],
        render_kw={"placeholder": "件"},
    )
    cost_price = StringField(
        _l("Cost price"),
        filters=[_strip],
        validators=[_price_check],
        render_kw={"inputmode": "decimal", "maxlength": 14},
    )
    sale_price = StringField(
        _l("Sale price"),
        filters=[_strip],
        validators=[_price_check],
        render_kw={"inputmode": "decimal", "maxlength": 14},
    )

    def details(self) -> dict:
        return {
            "name": self.name.data,
            "category": self.category.data,
            "unit": self.unit.data,
            "cost_price": entry_form.price(self.cost_price.data),
            "sale_price": entry_form.price(self.sale_price.data),
        }


class ChoiceForm(Form):
    """Sizes from a size group or typed, colours from the colour list or typed."""

    size_group = SelectField(_l("Size group"), choices=[], validate_choice=False)
    sizes = StringField(
        _l("Or type the sizes"),
        filters=[_strip],
        validators=[Length(max=MAX_TYPED, message=TOO_LONG)],
        render_kw={"placeholder": "S M L XL", "autocomplete": "off"},
    )
    colours = SelectMultipleField(
        _l("Colours"),
        choices=[],
        validate_choice=False,
        option_widget=CheckboxInput(),
    )
    other_colours = StringField(
        _l("Other colours"),
        filters=[_strip],
        validators=[Length(max=MAX_TYPED, message=TOO_LONG)],
        render_kw={"placeholder": "黑色 白色", "autocomplete": "off"},
    )

    def __init__(self, *args, groups=(), colour_list=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.groups = {str(group.id): group.sizes for group in groups}
        self.size_group.choices = [("", _l("— typed —"))] + [
            (str(group.id), f"{group.name} ({' '.join(group.sizes)})") for group in groups
        ]
        self.colours.choices = [(c.name, f"{c.name} {c.code}".strip()) for c in colour_list]
        if not colour_list:
            self.other_colours.label.text = _l("Colours")

    def validate_colours(self, field):
        if any(not isinstance(c, str) or CONTROL.search(c) for c in field.data or ()):
            raise ValidationError(_l("Choose colours from the list."))

    def chosen_sizes(self) -> list[str]:
        """The typed sizes when any are typed, else the chosen group's."""
        typed = size_groups.split_labels(self.sizes.data)
        return typed or list(self.groups.get(self.size_group.data or "", ()))

    def chosen_colours(self) -> list[str]:
        """The colours ticked (in the list's order), then those typed."""
        wanted = set(self.colours.data or ())
        ticked = [name for name, _label in self.colours.choices if name in wanted]
        typed = size_groups.split_labels(self.other_colours.data)
        return list(dict.fromkeys([*ticked, *typed]))


class NewStyleForm(DetailsForm, ChoiceForm):
    code = StringField(
        _l("Style code"),
        filters=[_strip],
        validators=[Length(max=MAX_CODE, message=TOO_LONG)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "placeholder": "K1"},
    )


def barcode_name(colour: str, size: str) -> str:
    """The name of a grid cell's barcode input."""
    return BARCODE_CELL + json.dumps([colour, size], ensure_ascii=False)


def typed_barcodes(source, cells) -> dict[tuple[str, str], str]:
    """The barcodes typed in the grid's cells (blank: generate one), for ``cells`` only."""
    found = {}
    for colour, size in cells:
        typed = (source.get(barcode_name(colour, size)) or "").strip()
        if typed:
            found[(colour, size)] = typed[:64]
    return found
