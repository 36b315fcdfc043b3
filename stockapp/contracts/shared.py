"""What every contract shares: the field types (bounded by the limits beside the columns),
the request and response bases, the message of each error type, and the problem answer.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    Strict,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError, PydanticUseDefault

from ..i18n import lazy_gettext as _l
from ..models.catalogue import MAX_PRICE, MAX_SKU
from ..models.ledger import MAX_ID, MAX_LINES, MAX_NOTE, MAX_NUMBER, MAX_QTY
from ..models.warehouse import MAX_LOCATION, MAX_WAREHOUSE

DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
CURSOR = r"^[0-9]{1,18}$"
# PostgreSQL's text cannot hold a NUL: no text takes one.
NO_NUL = r"^[^\x00]*$"
# Text that is not blank once the spaces around it are dropped, and has no NUL. The spaces
# are pydantic's (Unicode White_Space); JSON Schema's \s lacks \x85 and has \ufeff, and
# neither takes \x1c-\x1f (str.isspace's) for text: the document and the contract tell a
# blank apart alike.
NOT_BLANK = r"^[^\x00]*[^\x00\s\x1c-\x1f\x85\ufeff][^\x00]*$"
PRICE = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"

# pydantic's error types (and this module's own) → the message the user reads.
MESSAGES = {
    "missing": _l("This field is required."),
    "string_too_short": _l("This field is required."),
    "string_type": _l("Enter text."),
    "string_too_long": lambda ctx: _l("At most %(max)d characters.", max=ctx["max_length"]),
    "int_parsing": _l("Enter a whole number."),
    "int_type": _l("Enter a whole number."),
    "int_from_float": _l("Enter a whole number, without a fraction."),
    "bool_type": _l("Give true or false."),
    "bool_parsing": _l("Give true or false."),
    "price_type": _l("Enter a price such as 59.90."),
    "price_range": _l("Enter a price from 0 with at most two decimals."),
    "date": _l("Enter a date as YYYY-MM-DD."),
    "texts": _l("Give a list of texts."),
    "cursor": _l("Use the next_cursor of the previous page."),
    "enum": _l("Enter a valid value."),
    "string_pattern_mismatch": _l("Text may not contain NUL characters."),
}


class Contract(BaseModel):
    """A request body or query: strict (no ``"12"`` for a number, no ``1`` for true)."""

    model_config = ConfigDict(strict=True)
    # What an entry of a list of these is told when it is not a JSON object.
    not_an_object: ClassVar = _l("Each line must be a JSON object.")


class Answer(BaseModel):
    """A response: built from the service's plain data (or rows), dumped with
    ``mode="json"``."""

    model_config = ConfigDict(from_attributes=True)

    def dumped(self) -> dict:
        return self.model_dump(mode="json")


# --- field types ----------------------------------------------------------------------------


def _null_is_default(value):
    """An optional field sent as null reads as left out (as the API always has)."""
    if value is None:
        raise PydanticUseDefault()
    return value


def _blank_is_default(value):
    """A query parameter sent empty (``?kind=``) reads as left out."""
    if value == "":
        raise PydanticUseDefault()
    return value


# For query parameters that may be sent empty.
BLANK_IS_LEFT_OUT = BeforeValidator(_blank_is_default)


@dataclass(frozen=True)
class Says:
    """A field's own messages for pydantic's error types (no validator runs for them)."""

    messages: dict


def quantity(minimum: int, maximum: int = MAX_QTY, *, in_query: bool = False):
    """A whole number from ``minimum`` to ``maximum``; JSON ``3.0`` is 3, ``true`` and
    ``"3"`` are not (``in_query``: the text of one, as a query string sends it).

    Validated by pydantic-core alone for an integer (the hot path); only a float such as
    ``3.0`` reaches Python, to become an int.
    """
    bounds = {"ge": minimum, "le": maximum}
    out_of_range = _l("Enter a number from %(min)d to %(max)d.", min=minimum, max=maximum)
    says = Says(
        {
            "greater_than_equal": out_of_range,
            "less_than_equal": out_of_range,
            "multiple_of": MESSAGES["int_from_float"],
        }
    )
    if in_query:
        return Annotated[int, Strict(False), Field(**bounds), says]
    whole = Annotated[float, Strict(), Field(multiple_of=1, allow_inf_nan=False, **bounds)]
    return Annotated[
        Annotated[int, Strict(), Field(**bounds)] | Annotated[whole, AfterValidator(int)],
        Field(union_mode="left_to_right"),
        says,
        WithJsonSchema({"type": "integer", "minimum": minimum, "maximum": maximum}),
    ]


def text(max_length: int, *, min_length: int = 1):
    """Text, spaces around it dropped, of at most ``max_length`` characters (and, unless
    ``min_length`` is 0, not blank: the document's pattern says so too)."""
    return Annotated[
        str,
        StringConstraints(
            strip_whitespace=True,
            min_length=min_length,
            max_length=max_length,
            pattern=NOT_BLANK if min_length else NO_NUL,
        ),
    ]


def optional_text(max_length: int):
    """Text that may be left out (or null): ``""`` then."""
    return Annotated[text(max_length, min_length=0), BeforeValidator(_null_is_default)]


def vocabulary(enum: type[StrEnum], unknown=None):
    """One of ``enum``'s values, listed in the document; a wrong one is told ``unknown``."""
    return Annotated[
        enum,
        Strict(False),
        Says({"enum": unknown or MESSAGES["enum"]}),
        WithJsonSchema({"type": "string", "enum": [member.value for member in enum]}),
    ]


def values_of(enum: type[StrEnum]) -> str:
    return ", ".join(member.value for member in enum)


def _price(value) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PydanticCustomError("price_type", "Enter a price.")
    try:
        price = Decimal(str(value))
    except InvalidOperation:
        raise PydanticCustomError("price_type", "Enter a price.") from None
    if (
        not price.is_finite()
        or not 0 <= price <= MAX_PRICE
        or price != price.quantize(Decimal("0.01"))
    ):
        raise PydanticCustomError("price_range", "Out of range.")
    return price


def _day(value) -> date | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str) or not DATE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date", "Enter a date.") from None


def _cursor(value):
    if isinstance(value, str) and not re.fullmatch(CURSOR, value):
        raise PydanticCustomError("cursor", "Not a cursor.")
    return value


def _texts(value):
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise PydanticCustomError("texts", "Give a list of texts.")
    if any("\x00" in item for item in value):
        raise PydanticCustomError("string_pattern_mismatch", "No NUL.")
    return value


_GIVE_LINES = _l("Give at least one line.")


def lines(item: type[Contract]):
    """1 to ``MAX_LINES`` ``item`` objects (no Python validator here: a before-validator
    would have pydantic build the whole list in Python before validating it)."""
    return Annotated[
        list[item],
        Field(min_length=1, max_length=MAX_LINES),
        Says(
            {
                "list_type": _GIVE_LINES,
                "too_short": _GIVE_LINES,
                "too_long": _l("At most %(n)d lines per request.", n=MAX_LINES),
            }
        ),
    ]


Qty = quantity(1)
Count = quantity(0)


_GIVE_SKU = _l("Give the SKU as text.")
Sku = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_SKU, pattern=NO_NUL),
    Says({"string_type": _GIVE_SKU, "string_too_short": _GIVE_SKU, "string_too_long": _GIVE_SKU}),
]
Note = optional_text(MAX_NOTE)
Number = text(MAX_NUMBER)
Texts = Annotated[list[str], BeforeValidator(_texts)]
Price = Annotated[
    Decimal | None,
    PlainValidator(_price),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": PRICE},
                {"type": "number", "minimum": 0, "maximum": float(MAX_PRICE), "multipleOf": 0.01},
            ],
            "description": "Two decimals at most, 0 or more.",
            "examples": ["59.90"],
        }
    ),
]
Day = Annotated[
    date | None,
    PlainValidator(_day),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2025-03-31"]}),
]
Cursor = Annotated[
    str | None,
    BeforeValidator(_cursor),
    BLANK_IS_LEFT_OUT,
    WithJsonSchema({"type": "string", "pattern": CURSOR}),
]


def number_or_id(field: str, give):
    """A document named by its number (text, spaces around it dropped) or its id (a whole
    number); ``give`` tells what a value of another type should have been."""
    MESSAGES[f"give_{field}"] = give

    def check(value):
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():  # JSON Schema's integer
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID:
            return value
        if not isinstance(value, str):
            raise PydanticCustomError(f"give_{field}", "Give its number or id.")
        number = value.strip()
        if "\x00" in number:
            raise PydanticCustomError("string_pattern_mismatch", "No NUL.")
        if not number:
            raise PydanticCustomError("string_too_short", "Required.")
        if len(number) > MAX_NUMBER:
            raise PydanticCustomError("string_too_long", "Too long.", {"max_length": MAX_NUMBER})
        return number

    return Annotated[
        int | str | None,
        PlainValidator(check),
        WithJsonSchema(
            {
                "oneOf": [
                    {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                    # Not blank (spaces around it are dropped), and no NUL.
                    {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": MAX_NUMBER,
                        "pattern": NOT_BLANK,
                    },
                ]
            }
        ),
    ]


Money = Annotated[
    Decimal,
    PlainSerializer(lambda value: str(value.quantize(Decimal("0.01"))), return_type=str),
    WithJsonSchema({"type": "string", "pattern": PRICE, "examples": ["59.90"]}),
]
Flag = Annotated[bool, BeforeValidator(_null_is_default)]
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


# --- what every error answers ---------------------------------------------------------------


class Shortage(Answer):
    sku: str
    location: str
    on_hand: int
    requested: int
    short: int


class Difference(Answer):
    sku: str
    expected: int
    on_hand: int


class Problem(Answer):
    """RFC 9457 problem details, as ``application/problem+json``."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = Field(None, description="Absent when ``errors`` says it all.")
    errors: dict[str, str] | None = Field(
        None, description="Field path (such as lines[0].qty) → message."
    )
    shortages: list[Shortage] | None = None
    differences: list[Difference] | None = Field(
        None, description="Stocktake: lines whose expected no longer matches on hand."
    )


# A location by its code (as its bin label carries it), in the body's warehouse.
LocationCode = Annotated[
    text(MAX_LOCATION), Field(description="A location's code, such as A-01-03.")
]
# A warehouse that a body may leave out (``Refusal.places`` then takes the user's own).
WarehouseCode = Annotated[
    optional_text(MAX_WAREHOUSE),
    Field(
        description="The warehouse, by code; left out: the main warehouse if you work in it, "
        "else the one warehouse you work in."
    ),
]
