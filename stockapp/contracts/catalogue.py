"""Products: a new style with its colour × size variants, and a style as the API shows it."""

from typing import Annotated, ClassVar

from pydantic import BeforeValidator, Field, PlainValidator, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from ..i18n import lazy_gettext as _l
from ..models.catalogue import (
    MAX_BARCODE,
    MAX_CATEGORY,
    MAX_CODE,
    MAX_COLOUR,
    MAX_NAME,
    MAX_SIZE,
    MAX_UNIT,
)
from ..services.catalogue import BARCODE, CODE, MAX_THRESHOLD
from .shared import (
    BLANK_IS_LEFT_OUT,
    MESSAGES,
    NO_NUL,
    Answer,
    Contract,
    Flag,
    Money,
    Price,
    Texts,
    optional_text,
    quantity,
    text,
)

MESSAGES["barcodes"] = _l("Give a list of {size, color, barcode}.")


class NewBarcode(Contract):
    not_an_object: ClassVar = MESSAGES["barcodes"]

    size: text(MAX_SIZE)
    color: optional_text(MAX_COLOUR) = ""
    barcode: Annotated[
        text(MAX_BARCODE), Field(json_schema_extra={"pattern": f"^{BARCODE.pattern}$"})
    ]


def _barcodes(value):
    if not isinstance(value, list):
        raise PydanticCustomError("barcodes", "Give a list of barcodes.")
    return value


def _labels(max_length: int) -> dict:
    """The document's word on a list of sizes or colours: texts of at most
    ``max_length`` characters, no NUL (``Texts`` refuses one)."""
    return {"items": {"type": "string", "maxLength": max_length, "pattern": NO_NUL}}


class NewProduct(Contract):
    code: Annotated[text(MAX_CODE), Field(json_schema_extra={"pattern": f"^{CODE.pattern}$"})]
    name: text(MAX_NAME)
    sizes: Annotated[
        Texts,
        Field(min_length=1, json_schema_extra=_labels(MAX_SIZE)),
    ]
    colors: Annotated[
        Texts,
        Field(
            default_factory=list,
            json_schema_extra=_labels(MAX_COLOUR),
        ),
    ]
    category: optional_text(MAX_CATEGORY) = ""
    unit: optional_text(MAX_UNIT) = ""
    cost_price: Price = None
    sale_price: Price = None
    barcodes: Annotated[
        list[NewBarcode],
        BeforeValidator(_barcodes),
        Field(
            default_factory=list,
            description="Barcodes to use; other variants get an internal EAN-13.",
        ),
    ]


_SIZES = Field(default_factory=list, json_schema_extra=_labels(MAX_SIZE))
_COLOURS = Field(default_factory=list, json_schema_extra=_labels(MAX_COLOUR))


class ProductsQuery(Contract):
    q: Annotated[str, StringConstraints(max_length=100, pattern=NO_NUL), BLANK_IS_LEFT_OUT] = ""
    category: Annotated[
        str, StringConstraints(max_length=MAX_CATEGORY, pattern=NO_NUL), BLANK_IS_LEFT_OUT
    ] = ""
    active: Annotated[bool, BLANK_IS_LEFT_OUT] = Field(
        default=True, description="false: the archived products."
    )
    limit: quantity(1, 500, in_query=True) = 50
    # The last style code of the previous page.
    cursor: Annotated[
        str,
        StringConstraints(max_length=MAX_CODE, pattern=f"^{CODE.pattern}$"),
        BLANK_IS_LEFT_OUT,
    ] = None


class ProductChange(Contract):
    """Only the fields sent change; ``active: false`` archives, ``true`` restores."""

    name: text(MAX_NAME) = None
    category: optional_text(MAX_CATEGORY) = None
    unit: optional_text(MAX_UNIT) = None
    cost_price: Price = None
    sale_price: Price = None
    active: Flag = None


class NewVariants(Contract):
    sizes: Annotated[Texts, _SIZES]
    colors: Annotated[Texts, _COLOURS]


MESSAGES["threshold"] = _l("Enter a whole number from 0 to %(max)d, or null.", max=MAX_THRESHOLD)


def _threshold(value):
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_THRESHOLD:
        raise PydanticCustomError("threshold", "Not a threshold.")
    return value


Threshold = Annotated[
    int | None,
    PlainValidator(_threshold),
    WithJsonSchema(
        {"anyOf": [{"type": "integer", "minimum": 0, "maximum": MAX_THRESHOLD}, {"type": "null"}]}
    ),
]


class VariantChange(Contract):
    """Only the fields sent change; ``threshold: null`` clears it."""

    barcode: Annotated[
        text(MAX_BARCODE), Field(json_schema_extra={"pattern": f"^{BARCODE.pattern}$"})
    ] = None
    threshold: Threshold = None
    archived: Flag = None


class Variant(Answer):
    sku: str
    barcode: str | None
    size: str
    color: str | None
    archived: bool
    low_stock_threshold: int | None
    on_hand: int
    reserved: int
    available: int


class _Style(Answer):
    """What a style answers with, in the list and alone."""

    code: str
    name: str
    category: str
    unit: str
    # Left out for viewers: costs are read by clerks and managers (access.Reads).
    cost_price: Money | None = Field(
        default=None, description="Absent for viewers (who may not read costs)."
    )
    sale_price: Money | None
    active: bool
    sizes: list[str]


class Product(_Style):
    colors: list[str]
    variants: list[Variant]


class ProductSummary(_Style):
    on_hand: int
    low_stock_variants: int


class ProductPage(Answer):
    items: list[ProductSummary]
    next_cursor: str | None
