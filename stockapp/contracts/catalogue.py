"""Products: a new style with its colour × size variants, and a style as the API shows it."""

from typing import Annotated, ClassVar

from pydantic import BeforeValidator, Field
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
from ..services.catalogue import BARCODE, CODE
from .shared import MESSAGES, Answer, Contract, Money, Price, Texts, optional_text, text

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


class NewProduct(Contract):
    code: Annotated[text(MAX_CODE), Field(json_schema_extra={"pattern": f"^{CODE.pattern}$"})]
    name: text(MAX_NAME)
    sizes: Annotated[
        Texts,
        Field(min_length=1, json_schema_extra={"items": {"type": "string", "maxLength": MAX_SIZE}}),
    ]
    colors: Annotated[
        Texts,
        Field(
            default_factory=list,
            json_schema_extra={"items": {"type": "string", "maxLength": MAX_COLOUR}},
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


class Product(Answer):
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
    colors: list[str]
    variants: list[Variant]
