"""API endpoints for suppliers and purchase orders (采购单).

Each reads its contract (every bad field named at once), calls one service
(``services.suppliers``, ``services.purchasing``) and answers through a response model.

Checks that depend on what is stored and may change once the request has succeeded (a
number or a name taken) are left to the service when they are the only error: a repeat
with its Idempotency-Key must reach the service to get its first result back. With other
errors, they are named beside them.
"""

from flask import g

from .. import queries
from ..access import Reads
from ..contracts.purchasing import (
    NewPurchaseOrder,
    NewSupplier,
    PurchaseOrder,
    PurchaseOrderPage,
    PurchaseOrderRef,
    PurchaseOrdersQuery,
    Supplier,
    SupplierList,
)
from ..i18n import lazy_gettext as _l
from ..models import PurchaseOrder as PurchaseOrderRow
from ..models import Role
from ..models.ledger import MAX_ID
from ..queries.pager import Cursor
from ..services import purchasing, suppliers
from ..services.errors import NotFound
from ..services.idempotency import run_once
from . import api
from .access import requires
from .reading import answer, body, idempotency_key, query, unique_skus

PO = f"/purchase-orders/<int(max={MAX_ID}):po_id>"


@api.post("/suppliers")
@requires(Role.MANAGER)
def create_supplier():
    found, refusal = body(NewSupplier)
    if refusal.errors and found.name and queries.supplier_named(found.name):
        refusal.fail("name", _l("A supplier of this name exists already."))
    refusal.finish()
    fields = found.model_dump()

    def work() -> dict:
        return Supplier.model_validate(
            queries.supplier_by_id(suppliers.save(**fields, actor_id=g.api_user.id))
        ).dumped()

    result = run_once(
        work, user_id=g.api_user.id, key=idempotency_key(), request={"create_supplier": fields}
    )
    return answer(Supplier, result, 201)


@api.get("/suppliers")
@requires(Reads.PURCHASING)
def list_suppliers():
    return answer(SupplierList, {"items": suppliers.listing()})


@api.post("/purchase-orders")
@requires(Role.MANAGER)
def create_purchase_order():
    found, refusal = body(NewPurchaseOrder)
    supplier = found.supplier
    if supplier is not None and not queries.supplier_exists(supplier):
        refusal.fail("supplier", _l("No supplier %(supplier)s.", supplier=supplier))
    unique_skus(refusal, found.lines)
    variant_ids = refusal.variant_ids(found.lines)
    number = found.number
    if refusal.errors and number and queries.id_by_number_or_id(PurchaseOrderRow, number):
        refusal.fail("number", _l("Purchase order %(number)s already exists.", number=number))
    refusal.finish()
    result = purchasing.create(
        number=number,
        supplier_id=supplier,
        lines=[
            purchasing.OrderedLine(variant_ids[line.sku], line.qty, line.unit_cost)
            for line in found.lines
        ],
        operator_id=g.api_user.id,
        expected_on=found.expected_on,
        note=found.note,
        place=found.place,
        idempotency_key=idempotency_key(),
    )
    return answer(PurchaseOrderRef, result, 201)


@api.get("/purchase-orders")
@requires(Reads.PURCHASING)
def list_purchase_orders():
    """Newest first, keyset-paginated like /movements, each with its totals."""
    asked = query(PurchaseOrdersQuery)
    found = queries.po_list(
        statuses=[asked.status] if asked.status else None,
        per_page=asked.limit,
        cursor=Cursor(before=int(asked.cursor) if asked.cursor else None),
    )
    items = [
        {
            **row,
            "id": row["po"].id,
            "number": row["po"].number,
            "supplier": row["po"].supplier,
            "status": row["po"].status,
            "expected_on": row["po"].expected_on,
            "created_at": row["po"].created_at.isoformat(),
        }
        for row in found.rows
    ]
    next_cursor = str(found.next_cursor) if found.next_cursor is not None else None
    return answer(PurchaseOrderPage, {"items": items, "next_cursor": next_cursor})


@api.get(PO)
@requires(Reads.PURCHASING)
def get_purchase_order(po_id: int):
    po = queries.po_detail(po_id)
    if po is None:
        raise NotFound(_l("Purchase order %(id)s does not exist.", id=po_id))
    return answer(PurchaseOrder, po)


@api.post(f"{PO}/place")
@requires(Role.MANAGER)
def place_purchase_order(po_id: int):
    result = purchasing.place(po_id, operator_id=g.api_user.id, idempotency_key=idempotency_key())
    return answer(PurchaseOrderRef, result)


@api.post(f"{PO}/close")
@requires(Role.MANAGER)
def close_purchase_order(po_id: int):
    result = purchasing.close(po_id, operator_id=g.api_user.id, idempotency_key=idempotency_key())
    return answer(PurchaseOrderRef, result)
