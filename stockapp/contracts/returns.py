"""Returns (退货): goods back from a customer, resellable or damaged."""

from typing import Annotated

from pydantic import Field

from ..i18n import lazy_gettext as _l
from ..models import ReturnCondition
from .shared import (
    Contract,
    Note,
    Qty,
    Sku,
    WarehouseCode,
    lines,
    number_or_id,
    values_of,
    vocabulary,
)
from .stock import posted


class ReturnLine(Contract):
    sku: Sku
    qty: Qty
    condition: vocabulary(
        ReturnCondition,
        _l(
            "Unknown condition. Use one of: %(conditions)s.",
            conditions=values_of(ReturnCondition),
        ),
    ) = ReturnCondition.RESELLABLE


class NewReturn(Contract):
    order: Annotated[
        number_or_id("order", _l("Give the order number, or the order id.")),
        Field(description="The completed order it comes back from: its number, or its id."),
    ] = None
    warehouse: Annotated[
        WarehouseCode,
        Field(
            description=(
                "Without an order: the warehouse the pieces go back into, by code; left out: the "
                "main warehouse if you work in it, else the one warehouse you work in. Against an "
                "order they go back into the order's warehouse (none other may be named)."
            )
        ),
    ] = ""
    note: Note = ""
    lines: Annotated[lines(ReturnLine), Field(description="A SKU may appear once per condition.")]


PostedReturn = posted("PostedReturn", "return")
