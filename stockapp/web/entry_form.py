"""Forms of style grids (a new order, a return, a purchase order): the quantities
typed per variant travel with the form, and a style is added by code or scan."""

from dataclasses import dataclass, field

from flask import request
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField
from wtforms.validators import Length

from .. import queries
from ..i18n import lazy_gettext as _l
from ..models import Style
from ..models.ledger import MAX_QTY
from ..services.errors import DomainError
from .inputs import CONTROL, ONE_LINE, Form

# What a text field over its limit says (``max`` is the field's Length).
TOO_LONG = _l("At most %(max)d characters.")
# What a cell of a quantity grid takes, and what it says otherwise.
WHOLE_NUMBER = _l("Enter a whole number from 0 to %(max)d.", max=MAX_QTY)


def whole_number(text: str) -> int | None:
    """A quantity typed in a grid cell: ASCII digits, at most MAX_QTY; else None."""
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 7 or int(text) > MAX_QTY:
        return None
    return int(text)


@dataclass
class Entry:
    """Quantities typed per variant on a form of style grids (a new order, a return).

    The styles on the form travel with it (``style``), so adding one more keeps
    everything typed so far: the form is rendered again from the request.
    """

    styles: list[Style] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, object] = field(default_factory=dict)
    add_error: object = None

    def number(self, name: str) -> int:
        """The whole number typed in ``name`` (0 if blank); a bad one is noted."""
        number = whole_number(self.values.get(name, "").strip() or "0")
        if number is None:
            self.errors[name] = WHOLE_NUMBER
            return 0
        return number


def read_entry(source, prefixes: tuple[str, ...]) -> Entry:
    """The styles and the typed cells of an entry form; ``add`` brings in one more style.

    ``add`` takes a style code, a SKU or a barcode (a scan); a SKU or barcode
    also adds one piece to that variant's first cell.
    """
    entry = Entry()
    codes = list(dict.fromkeys(c for c in source.getlist("style") if c and not CONTROL.search(c)))
    codes = codes[:50]
    entry.styles = [s for s in (queries.style_by_code(c) for c in codes) if s is not None]
    entry.values = {name: value for name, value in source.items() if name.split("-")[0] in prefixes}
    added = source.get("add", "").strip()[:100]
    if CONTROL.search(added):
        entry.add_error = ONE_LINE
    elif added:
        code = queries.style_code_for(added)
        if code is None:
            entry.add_error = _l("No style, SKU or barcode %(code)s.", code=added)
        else:
            if code not in {s.code for s in entry.styles}:
                entry.styles.append(queries.style_by_code(code))
            variant = next(
                (
                    v
                    for s in entry.styles
                    for v in s.variants
                    if not v.archived and added in (v.sku, v.barcode)
                ),
                None,
            )
            if variant is not None:
                name = f"{prefixes[0]}-{variant.id}"
                entry.values[name] = str(entry.number(name) + 1)
    return entry


def grids(entry: Entry) -> list[dict]:
    return [{"style": s, "matrix": queries.stock_matrix(s)} for s in entry.styles]


def source():
    """What a form was sent with: the POST, or a GET that carries the form on (``key``);
    None for a form opened afresh."""
    if request.method == "POST":
        return request.form
    return request.args if "key" in request.args else None


def validate(form: Form) -> bool:
    """Validate; errors of hidden fields (CSRF token, key) show at the top of the form."""
    if form.validate():
        return True
    for name in ("csrf_token", "key"):
        form.form_errors.extend(form.errors.get(name, []))
    return False


def show_refusal(form: FlaskForm, refused: DomainError) -> None:
    """The service's messages beside their fields; the rest on top of the form."""
    placed = False
    for name, message in refused.errors.items():
        # A checkbox shows no message of its own: its message goes on top.
        if name in form and not isinstance(form[name], BooleanField):
            form[name].errors = [*form[name].errors, message]
            placed = True
        else:
            form.form_errors.append(message)
    if not placed and not form.form_errors:
        form.form_errors.append(refused.detail)


class KeyForm(Form):
    """A one-button POST: its CSRF token and an idempotency key."""

    key = HiddenField(validators=[Length(min=1, max=64)])
