"""Returns to the supplier (退供应商) over the API: ``services.supplier_returns``. Clerks
submit out of the bins of a warehouse they work in (by code; left out, their own, as
``Refusal.places`` says); managers approve and reject; a return is read by those who work in its
warehouse."""

from flask import g

from .. import queries
from ..access import Reads
from ..contracts.purchasing import Rejection
from ..contracts.supplier_returns import NewSupplierReturn, SupplierReturn, SupplierReturnResult
from ..i18n import lazy_gettext as _l
from ..models import PurchaseOrder, Role
from ..models.ledger import MAX_ID
from ..queries.supplier_returns import supplier_return_detail
from ..services import supplier_returns, warehouses
from ..services.errors import NotFound
from . import api
from .access import requires
from .reading import answer, body, idempotency_key, placed_movements, reversal_ref

SUPPLIER_RETURN = f"/supplier-returns/<int(max={MAX_ID}):supplier_return_id>"


@api.post("/supplier-returns")
@requires(Role.CLERK)
def post_supplier_return():
    found, refusal = body(NewSupplierReturn)
    if found.supplier is not None and not queries.supplier_exists(found.supplier):
        refusal.fail("supplier", _l("No supplier %(supplier)s.", supplier=found.supplier))
    po_id = refusal.lookup(
        "purchase_order",
        found.purchase_order,
        lambda value: queries.id_by_number_or_id(PurchaseOrder, value),
        lambda value: _l("No purchase order %(po)s.", po=value),
    )
    lines = found.lines or []  # an entry that is no object is None, and named already
    _, places = refusal.places(
        found.warehouse,
        **{f"lines[{i}].location": line and line.location for i, line in enumerate(lines)},
    )
    refusal.listed_twice(
        lines,
        key=lambda line: (
            None if None in (line.sku, line.location) else (line.sku, line.location.upper())
        ),
        message=lambda sku, code: _l(
            "%(sku)s from %(location)s is listed twice.", sku=sku, location=code
        ),
    )
    variant_ids = refusal.variant_ids(lines)
    refusal.finish()
    result = supplier_returns.submit(
        supplier_id=found.supplier,
        po_id=po_id,
        lines=[
            (variant_ids[line.sku], place.id, line.qty)
            for line, place in zip(lines, places, strict=True)
        ],
        reason=found.reason,
        operator_id=g.api_user.id,
        note=found.note,
        idempotency_key=idempotency_key(),
    )
    return _decided(result, 201)


@api.get(SUPPLIER_RETURN)
@requires(Reads.PURCHASING)
def get_supplier_return(supplier_return_id: int):
    return answer(SupplierReturn, _readable(supplier_return_id))


@api.post(f"{SUPPLIER_RETURN}/approve")
@requires(Role.MANAGER)
def approve_supplier_return(supplier_return_id: int):
    _readable(supplier_return_id)
    result = supplier_returns.approve(
        supplier_return_id, operator_id=g.api_user.id, idempotency_key=idempotency_key()
    )
    return _decided(result)


@api.post(f"{SUPPLIER_RETURN}/reject")
@requires(Role.MANAGER)
def reject_supplier_return(supplier_return_id: int):
    _readable(supplier_return_id)
    found, refusal = body(Rejection)
    refusal.finish()
    result = supplier_returns.reject(
        supplier_return_id,
        operator_id=g.api_user.id,
        reason=found.reason,
        idempotency_key=idempotency_key(),
    )
    return _decided(result)


def _readable(supplier_return_id: int) -> dict:
    """The return, if the caller works in its warehouse (``NotFound``, ``NotPermitted``)."""
    detail = supplier_return_detail(supplier_return_id)
    if detail is None:
        raise NotFound(_l("Return to supplier %(id)s does not exist.", id=supplier_return_id))
    warehouses.require_warehouse(g.api_user.id, detail["warehouse_id"])
    return detail | {"purchase_order": detail["po"], "reversal": reversal_ref(detail["reversal"])}


def _decided(result: dict, status: int = 200):
    """The return as it is now, and what it posted."""
    detail = _readable(result["document"]["id"])
    variant_ids = {line["sku"]: line["variant"].id for line in detail["lines"]}
    codes = {line["place"].id: line["location"] for line in detail["lines"]}
    movements = placed_movements(result, variant_ids, codes)
    return answer(SupplierReturnResult, {"supplier_return": detail, "movements": movements}, status)
