"""Transfers (调拨) over the API. Clerks create, ship (from the source they work in) and
receive (at the destination they work in); managers decide and cancel; everyone reads
the transfers of a warehouse they work in. ``services.transfers`` decides what each
state and warehouse allows."""

from datetime import datetime

from flask import g

from ..access import Reads
from ..contracts.transfers import Decisions, NewTransfer, Receipt, TransferState
from ..i18n import lazy_gettext as _l
from ..models import Role
from ..models.ledger import MAX_ID
from ..queries import warehouses as warehouse_queries
from ..queries.transfers import readable_transfer
from ..services import transfers
from . import api
from .access import requires
from .reading import answer, body, idempotency_key, unique_skus

TRANSFER = f"/transfers/<int(max={MAX_ID}):transfer_id>"


@api.post("/transfers")
@requires(Role.CLERK)
def create_transfer():
    found, refusal = body(NewTransfer)
    unique_skus(refusal, found.lines)
    variant_ids = refusal.variant_ids(found.lines)
    source = refusal.lookup("from_warehouse", found.from_warehouse, _warehouse_id, _no_warehouse)
    to = refusal.lookup("to_warehouse", found.to_warehouse, _warehouse_id, _no_warehouse)
    refusal.finish()
    result = transfers.create(
        from_warehouse_id=source,
        to_warehouse_id=to,
        lines=[(variant_ids[line.sku], line.qty) for line in found.lines],
        operator_id=g.api_user.id,
        idempotency_key=idempotency_key(),
    )
    return answer(TransferState, _state(result["id"]), 201)


@api.get(TRANSFER)
@requires(Reads.WAREHOUSES)
def get_transfer(transfer_id: int):
    return answer(TransferState, _state(transfer_id))


@api.post(f"{TRANSFER}/ship")
@requires(Role.CLERK)
def ship_transfer(transfer_id: int):
    transfers.ship(transfer_id, operator_id=g.api_user.id, idempotency_key=idempotency_key())
    return answer(TransferState, _state(transfer_id))


@api.post(f"{TRANSFER}/receive")
@requires(Role.CLERK)
def receive_transfer(transfer_id: int):
    detail = _readable(transfer_id)
    found, refusal = body(Receipt)
    unique_skus(refusal, found.lines)
    variant_ids = refusal.variant_ids(found.lines, known=_skus(detail))
    location_id = None
    if found.location is not None:
        location = warehouse_queries.location_by_code(
            detail["transfer"].to_warehouse_id, found.location.upper()
        )
        if location is None:
            refusal.fail("location", _l("Choose a bin of the destination warehouse."))
        else:
            location_id = location.id
    refusal.finish()
    transfers.receive(
        transfer_id,
        lines=[
            transfers.Received(variant_ids[x.sku], x.received, x.damaged, x.reason)
            for x in found.lines
        ],
        location_id=location_id,
        operator_id=g.api_user.id,
        idempotency_key=idempotency_key(),
    )
    return answer(TransferState, _state(transfer_id))


@api.post(f"{TRANSFER}/decide")
@requires(Role.MANAGER)
def decide_transfer(transfer_id: int):
    detail = _readable(transfer_id)
    found, refusal = body(Decisions)
    unique_skus(refusal, found.lines)
    variant_ids = refusal.variant_ids(found.lines, known=_skus(detail))
    refusal.finish()
    transfers.decide(
        transfer_id,
        lines=[(variant_ids[x.sku], x.action) for x in found.lines],
        operator_id=g.api_user.id,
        idempotency_key=idempotency_key(),
    )
    return answer(TransferState, _state(transfer_id))


@api.post(f"{TRANSFER}/cancel")
@requires(Role.MANAGER)
def cancel_transfer(transfer_id: int):
    transfers.cancel(transfer_id, operator_id=g.api_user.id, idempotency_key=idempotency_key())
    return answer(TransferState, _state(transfer_id))


def _warehouse_id(code: str) -> int | None:
    found = warehouse_queries.warehouse_by_code(code.upper())
    return None if found is None else found.id


def _no_warehouse(code: str):
    return _l("No warehouse with code %(code)s.", code=code)


def _readable(transfer_id: int) -> dict:
    return readable_transfer(g.api_user.id, transfer_id)


def _skus(detail: dict) -> dict[str, int]:
    return {sku: line.variant_id for line, sku, _ in detail["lines"]}


def _state(transfer_id: int) -> dict:
    detail = _readable(transfer_id)
    transfer = detail["transfer"]
    return {
        "id": transfer_id,
        "number": detail["number"],
        "status": transfer.status,
        "from_warehouse": detail["from_warehouse"],
        "to_warehouse": detail["to_warehouse"],
        "created_at": detail["created_at"].isoformat(),
        "shipped_at": _timestamp(transfer.shipped_at),
        "received_at": _timestamp(transfer.received_at),
        "closed_at": _timestamp(transfer.closed_at),
        "lines": [
            {
                "sku": sku,
                **{
                    name: getattr(line, name)
                    for name in (
                        "qty",
                        "shipped",
                        "received",
                        "damaged",
                        "written_off",
                        "returned",
                        "in_transit",
                        "reason",
                    )
                },
            }
            for line, sku, _ in detail["lines"]
        ],
    }


def _timestamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
