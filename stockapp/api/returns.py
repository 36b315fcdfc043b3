"""API endpoint for returns (退货): resellable pieces back into stock, damaged ones
into quarantine or written off at once (``services.returns``)."""

from flask import g

from .. import queries
from ..contracts.returns import NewReturn, PostedReturn
from ..i18n import lazy_gettext as _l
from ..models import Order, Role
from ..services import returns
from . import api
from .access import requires
from .reading import answer, body, idempotency_key, posted


@api.post("/returns")
@requires(Role.CLERK)
def book_return():
    found, refusal = body(NewReturn)
    order_id = refusal.lookup(
        "order",
        found.order,
        lambda value: queries.id_by_number_or_id(Order, value),
        lambda value: _l("No order %(order)s.", order=value),
    )
    # One SKU may come back twice: once resellable, once damaged.
    refusal.listed_twice(
        found.lines,
        key=lambda line: None if None in (line.sku, line.condition) else (line.sku, line.condition),
        message=lambda sku, condition: _l(
            "%(sku)s is listed twice as %(condition)s.", sku=sku, condition=condition
        ),
    )
    # The order's own variants first: one archived since the order was made can come back.
    on_order = queries.order_skus(order_id) if order_id is not None else {}
    variant_ids = refusal.variant_ids(found.lines, known=on_order)
    warehouse_id, _ = refusal.places(found.warehouse) if found.warehouse else (None, [])
    refusal.finish()
    result = returns.book_return(
        lines=[
            returns.ReturnLine(variant_ids[line.sku], line.qty, line.condition)
            for line in found.lines
        ],
        operator_id=g.api_user.id,
        order_id=order_id,
        warehouse_id=warehouse_id,
        note=found.note,
        idempotency_key=idempotency_key(),
    )
    return answer(PostedReturn, posted(result, variant_ids, "return"), 201)
