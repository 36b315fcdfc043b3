"""API endpoints for bin moves (移库) and write-offs (报损): ``services.moves`` and
``services.write_offs``. Locations are named by code within a warehouse (the user's
own unless the body names one: ``Refusal.places``)."""

from flask import g

from ..access import Reads
from ..contracts.moves import NewMove, NewWriteOff, PostedMove, WriteOff, WriteOffResult
from ..contracts.purchasing import Rejection
from ..i18n import lazy_gettext as _l
from ..models import Role
from ..models.ledger import MAX_ID
from ..queries import moves as found_in
from ..services import moves, warehouses, write_offs
from ..services.errors import NotFound
from . import api
from .access import requires
from .reading import (
    answer,
    body,
    idempotency_key,
    placed_movements,
    reversal_ref,
    unique_skus,
)

WRITE_OFF = f"/write-offs/<int(max={MAX_ID}):write_off_id>"


@api.post("/moves")
@requires(Role.CLERK)
def post_move():
    found, refusal = body(NewMove)
    _, (source, destination) = refusal.places(
        found.warehouse, from_location=found.from_location, to_location=found.to_location
    )
    source, destination = (place.id if place else None for place in (source, destination))
    unique_skus(refusal, found.lines)
    variant_ids = refusal.variant_ids(found.lines)
    refusal.finish()
    result = moves.move(
        from_location_id=source,
        to_location_id=destination,
        lines=[(variant_ids[line.sku], line.qty) for line in found.lines],
        operator_id=g.api_user.id,
        note=found.note,
        idempotency_key=idempotency_key(),
    )
    codes = {source: found.from_location.upper(), destination: found.to_location.upper()}
    return answer(
        PostedMove,
        {"move": result["document"], "movements": placed_movements(result, variant_ids, codes)},
        201,
    )


@api.post("/write-offs")
@requires(Role.CLERK)
def post_write_off():
    found, refusal = body(NewWriteOff)
    _, (location,) = refusal.places(found.warehouse, location=found.location)
    location = location.id if location else None
    unique_skus(refusal, found.lines)
    variant_ids = refusal.variant_ids(found.lines)
    refusal.finish()
    result = write_offs.submit(
        location_id=location,
        lines=[(variant_ids[line.sku], line.qty) for line in found.lines],
        reason=found.reason,
        operator_id=g.api_user.id,
        note=found.note,
        idempotency_key=idempotency_key(),
    )
    return _decided(result, 201)


@api.get(WRITE_OFF)
@requires(Reads.MOVEMENTS)
def get_write_off(write_off_id: int):
    return answer(WriteOff, _write_off(write_off_id))


@api.post(f"{WRITE_OFF}/approve")
@requires(Role.MANAGER)
def approve_write_off(write_off_id: int):
    _write_off(write_off_id)
    result = write_offs.approve(
        write_off_id, operator_id=g.api_user.id, idempotency_key=idempotency_key()
    )
    return _decided(result)


@api.post(f"{WRITE_OFF}/reject")
@requires(Role.MANAGER)
def reject_write_off(write_off_id: int):
    _write_off(write_off_id)
    found, refusal = body(Rejection)
    refusal.finish()
    result = write_offs.reject(
        write_off_id,
        operator_id=g.api_user.id,
        reason=found.reason,
        idempotency_key=idempotency_key(),
    )
    return _decided(result)


def _write_off(write_off_id: int) -> dict:
    detail = found_in.write_off_detail(write_off_id)
    if detail is None:
        raise NotFound(_l("Write-off %(id)s does not exist.", id=write_off_id))
    warehouses.require_location(g.api_user.id, detail["place"].id)
    return detail | {"reversal": reversal_ref(detail["reversal"])}


def _decided(result: dict, status: int = 200):
    """The write-off as it is now, and what it posted."""
    detail = _write_off(result["document"]["id"])
    variant_ids = {line["sku"]: line["variant"].id for line in detail["lines"]}
    placed = placed_movements(result, variant_ids, {detail["place"].id: detail["location"]})
    return answer(WriteOffResult, {"write_off": detail, "movements": placed}, status)
