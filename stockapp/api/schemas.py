"""Reading JSON request bodies: types and ranges checked, every bad field named.

A ``Reader`` collects errors keyed by the field's path (``lines[2].qty``) and
``finish()`` raises them together as one ``InvalidInput``.
"""

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from ..models.catalogue import MAX_PRICE
from ..models.ledger import MAX_LINES, MAX_NOTE, MAX_QTY
from ..services.errors import InvalidInput, MalformedRequest

__all__ = ["MAX_NOTE", "Reader", "check_text"]


class Reader:
    def __init__(self, body):
        if not isinstance(body, dict):
            raise MalformedRequest(_l("The request body must be a JSON object."))
        self.body = body
        self.errors: dict[str, object] = {}

    def fail(self, path: str, message) -> None:
        self.errors.setdefault(path, message)

    def text(self, name: str, *, max_length: int, required: bool = True, default: str = "") -> str:
        value = self.body.get(name)
        if value is None:
            if required:
                self.fail(name, _l("This field is required."))
            return default
        return check_text(self, name, value, max_length=max_length, required=required)

    def integer(self, value, path: str, *, minimum: int, maximum: int = MAX_QTY) -> int:
        if value is None:
            self.fail(path, _l("This field is required."))
        elif isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, _l("Enter a whole number."))
        elif isinstance(value, float) and not value.is_integer():
            self.fail(path, _l("Enter a whole number, without a fraction."))
        elif not minimum <= value <= maximum:
            self.fail(path, _l("Enter a number from %(min)d to %(max)d.", min=minimum, max=maximum))
        else:
            return int(value)
        return 0

    def price(self, name: str) -> Decimal | None:
        value = self.body.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.fail(name, _l("Enter a price such as 59.90."))
            return None
        try:
            price = Decimal(str(value))
        except InvalidOperation:
            self.fail(name, _l("Enter a price such as 59.90."))
            return None
        if (
            not price.is_finite()
            or not 0 <= price <= MAX_PRICE
            or price != price.quantize(Decimal("0.01"))
        ):
            self.fail(name, _l("Enter a price from 0 with at most two decimals."))
            return None
        return price

    def labels(self, name: str, *, required: bool) -> list[str]:
        value = self.body.get(name)
        if value is None and not required:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(name, _l("Give a list of texts."))
            return []
        return value

    def lines(self, name: str = "lines", *, unique: bool = True) -> list[tuple[str, dict]]:
        """The ``lines`` list: each a JSON object with a known-looking ``sku``, and
        (when ``unique``) no SKU twice."""
        value = self.body.get(name)
        if not isinstance(value, list) or not value:
            self.fail(name, _l("Give at least one line."))
            return []
        if len(value) > MAX_LINES:
            self.fail(name, _l("At most %(n)d lines per request.", n=MAX_LINES))
            return []
        found, seen = [], set()
        for i, line in enumerate(value):
            path = f"{name}[{i}]"
            if not isinstance(line, dict):
                self.fail(path, _l("Each line must be a JSON object."))
                continue
            sku = line.get("sku")
            if not isinstance(sku, str) or not 0 < len(sku) <= 100:
                self.fail(f"{path}.sku", _l("Give the SKU as text."))
                continue
            if unique and sku in seen:
                self.fail(f"{path}.sku", _l("%(sku)s is listed twice.", sku=sku))
                continue
            seen.add(sku)
            found.append((path, line))
        return found

    def finish(self) -> None:
        if self.errors:
            raise InvalidInput(_l("Some fields need attention."), self.errors)


def check_text(reader: Reader, path: str, value, *, max_length: int, required: bool) -> str:
    if not isinstance(value, str):
        reader.fail(path, _l("Enter text."))
        return ""
    value = value.strip()
    if required and not value:
        reader.fail(path, _l("This field is required."))
    elif len(value) > max_length:
        reader.fail(path, _l("At most %(max)d characters.", max=max_length))
    return value
