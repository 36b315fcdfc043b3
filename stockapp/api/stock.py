"""Stock over the API: one variant's figures, inbound and stocktake."""

from flask import g

from .. import queries
from ..access import Reads
from ..contracts.stock import Inbound, PostedReceipt, PostedStocktake, Stock, StockQuery, Stocktake
from ..i18n import lazy_gettext as _l
from ..models import Role
from ..services import counting, receiving
from ..services.errors import NotFound
from ..services.warehouses import allowed_warehouse_ids
from . import api
from .access import requires
from .reading import answer, body, idempotency_key, posted, query, unique_skus


@api.get("/stock")
@requires(Reads.STOCK)
def get_stock():
    sku = query(StockQuery).sku
    variant = queries.variant_by_sku(sku)
    if variant is None:
        raise NotFound(_l("No variant with SKU %(sku)s.", sku=sku))
    level = queries.stock_levels([variant.id])[variant.id]
    held = queries.places(variant.id, allowed_warehouse_ids(g.api_user.id))
    per_warehouse: dict[str, dict] = {}
    for place in held:
        if place["in_transit"]:
            continue
        figures = per_warehouse.setdefault(
            place["warehouse"], {"warehouse": place["warehouse"], "on_hand": 0, "quarantine": 0}
        )
        figures["quarantine" if place["quarantine"] else "on_hand"] += place["on_hand"]
    return answer(
        Stock,
        {
            "sku": sku,
            **level.as_dict(),
            "in_transit": queries.in_transit(variant.id),
            "warehouses": list(per_warehouse.values()),
            "locations": [p for p in held if not p["in_transit"]],
        },
    )


@api.post("/inbound")
@requires(Role.CLERK)
def post_inbound():
    found, variant_ids, (warehouse_id, (location,)) = _stock_lines(Inbound)
    result = receiving.receive(
        lines=[(variant_ids[line.sku], line.qty) for line in found.lines],
        operator_id=g.api_user.id,
        note=found.note,
        warehouse_id=warehouse_id,
        location_id=location.id if location else None,
        idempotency_key=idempotency_key(),
    )
    return answer(PostedReceipt, posted(result, variant_ids, "receipt"), 201)


@api.post("/stocktake")
@requires(Role.CLERK)
def post_stocktake():
    found, variant_ids, _ = _stock_lines(Stocktake)
    result = counting.count(
        lines=[
            counting.CountLine(variant_ids[line.sku], line.counted, line.expected)
            for line in found.lines
        ],
        operator_id=g.api_user.id,
        note=found.note,
        idempotency_key=idempotency_key(),
    )
    return answer(PostedStocktake, posted(result, variant_ids, "stocktake"), 201)


def _stock_lines(model):
    """The body, each SKU once and known; the SKU → variant id map; and the warehouse
    and location an inbound body names (``Refusal.places``)."""
    found, refusal = body(model)
    unique_skus(refusal, found.lines)
    variant_ids = refusal.variant_ids(found.lines)
    place = None, [None]  # a stocktake's: the service's
    if model is Inbound:
        place = refusal.places(found.warehouse, location=found.location)
    refusal.finish()
    return found, variant_ids, place
