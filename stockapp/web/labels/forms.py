"""The labels' options: the layout and whether the sale price is printed."""

from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import ValidationError

from ...i18n import lazy_gettext as _l
from ...queries.labels import MAX_PER_CELL
from ..inputs import Form

# The layouts: an A4 sheet (rows × columns from the settings) or a thermal roll.
LAYOUTS = {
    "sheet": _l("A4 sheet"),
    "40x30": _l("Roll, 40 × 30 mm"),
    "50x30": _l("Roll, 50 × 30 mm"),
}
# What a count of labels takes, and what it says otherwise.
COUNT = _l("Enter a whole number from 0 to %(max)d.", max=MAX_PER_CELL)


def label_count(text: str) -> int | None:
    """A count of labels typed in a cell: ASCII digits, 0 … MAX_PER_CELL; else None."""
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 4 or int(text) > MAX_PER_CELL:
        return None
    return int(text)


class LabelOptions(Form):
    """Read from the query string (printing changes nothing: a GET form, no CSRF token)."""

    class Meta:
        csrf = False

    layout = SelectField(_l("Layout"), default="sheet")
    price = BooleanField(_l("Print the sale price"), default=True)

    def __init__(self, formdata):
        super().__init__(formdata=formdata)
        self.layout.choices = list(LAYOUTS.items())


class ProductLabelsForm(LabelOptions):
    """A product's labels: a count per cell (``n-<variant id>``, read by the route)."""

    each = StringField(
        _l("Same for every cell"),
        render_kw={"inputmode": "numeric", "pattern": "[0-9]*", "maxlength": 3},
    )

    def validate_each(self, field):
        if field.data.strip() and label_count(field.data) is None:
            raise ValidationError(COUNT)
