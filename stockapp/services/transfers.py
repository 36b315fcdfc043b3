"""Transfers (调拨): stock moved between two warehouses through in transit (在途).

draft → shipped (the pieces leave the source's sellable bins for the destination's
transit location) → received at the destination (received pieces into a bin, damaged
ones into its quarantine location if it has one) → closed when nothing is left in
transit; otherwise a manager decides each line left: write it off, or return it to the
source → closed. A draft or a shipped transfer can be cancelled (a shipped one's pieces
go back to the source). Every step claims the transfer's row (a second ship, receive
or cancel waits for the first and is refused), posts through the ledger in the same
transaction, and with an idempotency key runs at most once. Receiving more than was
shipped is refused: over pieces are not this transfer's.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, select, update

from ..database import Prepared, mark_stock_changed, run, utcnow
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import (
    DocumentKind,
    DocumentStatus,
    Location,
    MovementKind,
    Transfer,
    TransferDecision,
    TransferLine,
    TransferStatus,
    Variant,
    Warehouse,
    document_number,
)
from ..models.ledger import MAX_NOTE
from . import documents, ledger
from .errors import (
    AlreadyCancelled,
    AlreadyReceived,
    AlreadyShipped,
    InvalidInput,
    InvalidTransition,
    NotFound,
    NotPermitted,
)
from .idempotency import run_once
from .warehouses import (
    allowed_warehouse_ids,
    quarantine_location_id,
    require_warehouse,
    transit_location_id,
    usual_locations,
)

transfers = Transfer.__table__
transfer_lines = TransferLine.__table__
documents_table = documents.documents


@dataclass(frozen=True)
class Received:
    """What arrived of one variant: ``received`` sellable pieces, ``damaged`` ones."""

    variant_id: int
    received: int
    damaged: int = 0
    reason: str = ""


def create(
    *,
    from_warehouse_id: int,
    to_warehouse_id: int,
    lines: Sequence[tuple[int, int]],
    operator_id: int,
    idempotency_key: str | None = None,
) -> dict:
    """A draft transfer of ``(variant_id, qty)`` lines between two active warehouses,
    both of which the operator works in; nothing moves yet. ``InvalidInput`` names the
    bad fields (``to_warehouse``, ``lines``, ``lines[i]``) and nothing is written.
    Returns ``{"id", "number", "status"}``."""
    documents.within_line_cap(lines)

    def work() -> dict:
        for warehouse_id in (from_warehouse_id, to_warehouse_id):
            require_warehouse(operator_id, warehouse_id)
        errors = _line_errors(lines)
        if from_warehouse_id == to_warehouse_id:
            errors["to_warehouse"] = _l("Choose a warehouse other than the source.")
        # Read FOR SHARE: a deactivation under way (it locks the row FOR UPDATE) is waited
        # for and its outcome read; one that starts later waits for this transfer, and sees it.
        both = db.session.execute(
            select(Warehouse.code, Warehouse.active)
            .where(Warehouse.id.in_([from_warehouse_id, to_warehouse_id]))
            .order_by(Warehouse.id)
            .with_for_update(read=True)
        ).all()
        inactive = [code for code, active in both if not active]
        if inactive:
            errors["warehouse"] = _l(
                "Warehouse %(code)s is deactivated: reactivate it first.", code=inactive[0]
            )
        if errors:
            raise InvalidInput(_l("Some fields need attention."), errors)
        document = documents.create(
            DocumentKind.TRANSFER,
            operator_id=operator_id,
            status=DocumentStatus.DRAFT,
            parts=[
                (
                    transfers,
                    [
                        {
                            "from_warehouse_id": from_warehouse_id,
                            "to_warehouse_id": to_warehouse_id,
                            "status": TransferStatus.DRAFT,
                            **dict.fromkeys(_STEP_COLUMNS),
                        }
                    ],
                ),
                (
                    transfer_lines,
                    [
                        {"variant_id": v, "qty": qty, **dict.fromkeys(_PIECES, 0), "reason": ""}
                        for v, qty in lines
                    ],
                ),
            ],
        )
        return {"id": document["id"], "number": document["number"], "status": TransferStatus.DRAFT}

    return run_once(
        work,
        user_id=operator_id,
        key=idempotency_key,
        request={"transfer": [from_warehouse_id, to_warehouse_id], "lines": lines},
    )


def ship(transfer_id: int, *, operator_id: int, idempotency_key: str | None = None) -> dict:
    """Ship a draft from its source, which the operator works in: each line's pieces
    leave the source's sellable bins (lowest location first, never quarantine) for the
    destination's transit location, in one ledger post (TRANSFER_OUT). Too little in
    the source is refused with ``InsufficientStock`` naming each variant, the warehouse
    and the shortfall, and nothing changes. A second ship gets ``AlreadyShipped``."""

    def work() -> dict:
        header = _permitted(transfer_id, operator_id, "from")
        claimed, _ = _claim(transfer_id, "ship", shipped_by=operator_id)
        if not all(
            db.session.scalars(select(Warehouse.active).where(Warehouse.id.in_(_both(header))))
        ):
            raise InvalidTransition(_l("A warehouse of this transfer is deactivated."))
        lines = _lines(transfer_id)
        transit = transit_location_id(header.to_warehouse_id)
        wanted = {line.variant_id: line.qty for line in lines}
        taken, held = ledger.take_from_locations(
            wanted, warehouse_id=header.from_warehouse_id, also=[transit]
        )
        into = [ledger.Line(v, transit, qty) for v, qty in sorted(wanted.items())]
        posted = _post(taken + into, MovementKind.TRANSFER_OUT, claimed, operator_id, held)
        run(_SHIP_LINES, {"t": transfer_id})
        run(_SET_DOCUMENT_STATUS, {"d": transfer_id, "status": DocumentStatus.POSTED})
        return _result(claimed, TransferStatus.SHIPPED, posted)

    return run_once(work, user_id=operator_id, key=idempotency_key, request={"ship": transfer_id})


def receive(
    transfer_id: int,
    *,
    lines: Sequence[Received],
    operator_id: int,
    location_id: int | None = None,
    idempotency_key: str | None = None,
) -> dict:
    """Receive a shipped transfer at its destination, which the operator works in.

    Per line: ``received`` pieces go from transit into ``location_id`` (a sellable bin
    of the destination) or the variant's usual bin there; ``damaged`` ones into the
    destination's quarantine location, or, without one, stay in transit for the
    manager. A line not given arrived with nothing. More than was shipped is refused
    (``InvalidInput`` on ``lines[i]``), as is a variant not on the transfer. When
    nothing is left in transit the transfer closes; otherwise it waits for a manager's
    decision (``received``). A second receipt gets ``AlreadyReceived``."""
    documents.within_line_cap(lines)

    def work() -> dict:
        header = _permitted(transfer_id, operator_id, "to")
        on_transfer = {line.variant_id: line for line in _lines(transfer_id)}
        errors = {}
        seen = set()
        for i, line in enumerate(lines):
            found = on_transfer.get(line.variant_id)
            if found is None:
                errors[f"lines[{i}]"] = _l("This variant is not on the transfer.")
            elif line.variant_id in seen:
                errors[f"lines[{i}]"] = _l("This variant is listed twice.")
            elif min(line.received, line.damaged) < 0:
                errors[f"lines[{i}]"] = _l("Quantities cannot be below 0.")
            elif line.received + line.damaged > found.qty:
                errors[f"lines[{i}]"] = _l(
                    "%(sku)s: %(arrived)d would be more than the %(shipped)d shipped.",
                    sku=found.sku,
                    arrived=line.received + line.damaged,
                    shipped=found.qty,
                )
            elif len(line.reason) > MAX_NOTE:
                errors[f"lines[{i}]"] = _l("At most %(max)d characters.", max=MAX_NOTE)
            seen.add(line.variant_id)
        into = location_id or None
        if into is not None and not _sellable_in(into, header.to_warehouse_id):
            errors["location"] = _l("Choose a bin of the destination warehouse.")
        if errors:
            raise InvalidInput(_l("Some fields need attention."), errors)
        claimed, _ = _claim(transfer_id, "receive", received_by=operator_id)
        given = {line.variant_id: line for line in lines}
        arrived = [given.get(v, Received(v, 0)) for v in sorted(on_transfer)]
        transit = transit_location_id(header.to_warehouse_id)
        quarantine = quarantine_location_id(header.to_warehouse_id)
        usual = usual_locations(on_transfer, header.to_warehouse_id)
        moves, updates = [], []
        for line in arrived:
            quarantined = line.damaged if quarantine is not None else 0
            if line.received:
                moves.append(
                    ledger.Line(line.variant_id, into or usual[line.variant_id], line.received)
                )
            if quarantined:
                moves.append(ledger.Line(line.variant_id, quarantine, quarantined))
            if line.received + quarantined:
                moves.append(ledger.Line(line.variant_id, transit, -(line.received + quarantined)))
            updates.append(
                {
                    "t": transfer_id,
                    "v": line.variant_id,
                    "received": line.received,
                    "damaged": line.damaged,
                    "quarantined": quarantined,
                    "reason": line.reason,
                }
            )
        posted = _post(moves, MovementKind.TRANSFER_IN, claimed, operator_id)
        run(_RECEIVE_LINE, updates)
        left = sum(on_transfer[u["v"]].qty - u["received"] - u["quarantined"] for u in updates)
        status = _close_if_done(transfer_id, left, operator_id)
        return _result(claimed, status, posted)

    return run_once(
        work,
        user_id=operator_id,
        key=idempotency_key,
        request={
            "receive": transfer_id,
            "lines": [(x.variant_id, x.received, x.damaged, x.reason) for x in lines],
            "location": location_id,
        },
    )


def decide(
    transfer_id: int,
    *,
    lines: Sequence[tuple[int, TransferDecision]],
    operator_id: int,
    idempotency_key: str | None = None,
) -> dict:
    """A manager's decision on what is left in transit of a received transfer, per
    variant: write it off (WRITE_OFF out of transit) or return it to the source (into
    the variant's usual bin there, TRANSFER_IN). When nothing is left the transfer
    closes. A variant with nothing left is refused (``InvalidInput`` on ``lines[i]``)."""
    documents.within_line_cap(lines)

    def work() -> dict:
        header = _permitted(transfer_id, operator_id, "either")
        claimed, _ = _claim(transfer_id, "decide")
        on_transfer = {line.variant_id: line for line in _lines(transfer_id)}
        errors = {}
        seen = set()
        for i, (variant_id, _) in enumerate(lines):
            found = on_transfer.get(variant_id)
            if found is None or found.in_transit == 0:
                errors[f"lines[{i}]"] = _l("Nothing of this variant is left to decide.")
            elif variant_id in seen:
                errors[f"lines[{i}]"] = _l("This variant is listed twice.")
            seen.add(variant_id)
        if not lines:
            errors["lines"] = _l("Decide at least one line.")
        if errors:
            raise InvalidInput(_l("Some fields need attention."), errors)
        transit = transit_location_id(header.to_warehouse_id)
        returned = sorted(v for v, action in lines if action == TransferDecision.RETURN)
        usual = usual_locations(returned, header.from_warehouse_id)
        pairs = [(v, transit) for v, _ in lines] + [(v, usual[v]) for v in returned]
        # One lock, in the ledger's order, for both posts (their balances are apart).
        held = ledger.lock_balances(pairs)
        posted = []
        for action, kind in (
            (TransferDecision.WRITE_OFF, MovementKind.WRITE_OFF),
            (TransferDecision.RETURN, MovementKind.TRANSFER_IN),
        ):
            chosen = sorted(v for v, a in lines if a == action)
            moves = [ledger.Line(v, transit, -on_transfer[v].in_transit) for v in chosen]
            if action == TransferDecision.RETURN:
                moves += [ledger.Line(v, usual[v], on_transfer[v].in_transit) for v in chosen]
            if moves:
                posted += _post(moves, kind, claimed, operator_id, held)
        run(
            _DECIDE_LINE,
            [
                {
                    "t": transfer_id,
                    "v": v,
                    "off": on_transfer[v].in_transit if a == TransferDecision.WRITE_OFF else 0,
                    "back": on_transfer[v].in_transit if a == TransferDecision.RETURN else 0,
                }
                for v, a in lines
            ],
        )
        left = sum(x.in_transit for v, x in on_transfer.items() if v not in seen)
        status = _close_if_done(transfer_id, left, operator_id)
        return _result(claimed, status, posted)

    return run_once(
        work,
        user_id=operator_id,
        key=idempotency_key,
        request={"decide": transfer_id, "lines": [(v, str(a)) for v, a in lines]},
    )


def cancel(transfer_id: int, *, operator_id: int, idempotency_key: str | None = None) -> dict:
    """Cancel a draft (nothing moves) or a shipped transfer (what is in transit goes back
    into the source's usual bins, TRANSFER_IN). A received transfer is decided, not
    cancelled; a second cancel gets ``AlreadyCancelled``."""

    def work() -> dict:
        header = _permitted(transfer_id, operator_id, "either")
        claimed, was = _claim(transfer_id, "cancel", closed_by=operator_id)
        posted = []
        if was == TransferStatus.SHIPPED:
            lines = _lines(transfer_id)
            transit = transit_location_id(header.to_warehouse_id)
            usual = usual_locations([x.variant_id for x in lines], header.from_warehouse_id)
            moves = [ledger.Line(x.variant_id, transit, -x.in_transit) for x in lines]
            moves += [ledger.Line(x.variant_id, usual[x.variant_id], x.in_transit) for x in lines]
            posted = _post(moves, MovementKind.TRANSFER_IN, claimed, operator_id)
            run(_RETURN_ALL, {"t": transfer_id})
        else:
            run(_SET_DOCUMENT_STATUS, {"d": transfer_id, "status": DocumentStatus.REJECTED})
        return _result(claimed, TransferStatus.CANCELLED, posted)

    return run_once(
        work, user_id=operator_id, key=idempotency_key, request={"cancel_transfer": transfer_id}
    )


def may_read(user_id: int, from_warehouse_id: int, to_warehouse_id: int) -> bool:
    """Whether the user works in either warehouse of a transfer."""
    allowed = allowed_warehouse_ids(user_id)
    return allowed is None or bool({from_warehouse_id, to_warehouse_id} & allowed)


# ---------------------------------------------------------------- the parts

_PIECES = ("shipped", "received", "damaged", "quarantined", "written_off", "returned")
_STEP_COLUMNS = (
    "shipped_by",
    "shipped_at",
    "received_by",
    "received_at",
    "closed_by",
    "closed_at",
)
# Each step: the states it may start from, and the state it leaves (receive and decide
# close the transfer afterwards when nothing is left in transit).
_STEPS = {
    "ship": ((TransferStatus.DRAFT,), TransferStatus.SHIPPED),
    "receive": ((TransferStatus.SHIPPED,), TransferStatus.RECEIVED),
    "decide": ((TransferStatus.RECEIVED,), TransferStatus.RECEIVED),
    "cancel": ((TransferStatus.DRAFT, TransferStatus.SHIPPED), TransferStatus.CANCELLED),
}


@dataclass(frozen=True)
class _Line:
    variant_id: int
    sku: str
    qty: int
    in_transit: int


def _lines(transfer_id: int) -> list[_Line]:
    return [_Line(*row) for row in run(_LINES, {"t": transfer_id})]


_LINES = Prepared(
    select(
        transfer_lines.c.variant_id,
        Variant.sku,
        transfer_lines.c.qty,
        transfer_lines.c.shipped
        - transfer_lines.c.received
        - transfer_lines.c.quarantined
        - transfer_lines.c.written_off
        - transfer_lines.c.returned,
    )
    .join(Variant.__table__, Variant.id == transfer_lines.c.variant_id)
    .where(transfer_lines.c.document_id == bindparam("t"))
    .order_by(transfer_lines.c.variant_id)
)


def _permitted(transfer_id: int, user_id: int, side: str):
    """The transfer's header, if the user works in its ``side`` ("from", "to" or
    "either"); its warehouses never change, so this reads it without a lock."""
    header = db.session.execute(
        select(transfers.c.from_warehouse_id, transfers.c.to_warehouse_id).where(
            transfers.c.document_id == transfer_id
        )
    ).first()
    if header is None:
        raise NotFound(_l("Transfer %(id)s does not exist.", id=transfer_id))
    allowed = allowed_warehouse_ids(user_id)
    wanted = {
        "from": {header.from_warehouse_id},
        "to": {header.to_warehouse_id},
        "either": set(_both(header)),
    }[side]
    if allowed is not None and not wanted & allowed:
        if may_read(user_id, header.from_warehouse_id, header.to_warehouse_id):
            message = (
                _l("Only the source warehouse ships a transfer.")
                if side == "from"
                else _l("Only the destination warehouse receives a transfer.")
            )
            raise NotPermitted(message)
        raise NotPermitted(_l("You do not work in this warehouse."))
    return header


def _both(header) -> tuple[int, int]:
    return header.from_warehouse_id, header.to_warehouse_id


def _claim(transfer_id: int, step: str, **by) -> tuple[dict, TransferStatus]:
    """Lock the transfer's row and move it on by ``step`` (ship, receive, decide,
    cancel) from a state that step may start from; return it and the state it was in.
    A second step waits for the first, then is refused by the state it left. ``by``:
    the column of who did it, set with the time."""
    status = db.session.scalar(
        select(transfers.c.status).where(transfers.c.document_id == transfer_id).with_for_update()
    )
    number = document_number(DocumentKind.TRANSFER, transfer_id)
    starts, to = _STEPS[step]
    if status not in starts:
        _refuse(number, step, TransferStatus(status))
    values = {"status": to}
    for column, user_id in by.items():
        values |= {column: user_id, column.replace("_by", "_at"): utcnow()}
    run(_SET_HEADER(tuple(values)), {"t": transfer_id, **values})
    return {"id": transfer_id, "number": number}, TransferStatus(status)


@cache
def _SET_HEADER(columns: tuple[str, ...]) -> Prepared:
    return Prepared(
        update(transfers)
        .where(transfers.c.document_id == bindparam("t"))
        .values({column: bindparam(column) for column in columns})
    )


def _refuse(number: str, step: str, status: TransferStatus):
    if status == TransferStatus.CANCELLED:
        raise AlreadyCancelled(_l("Transfer %(number)s is cancelled.", number=number))
    if step == "ship":
        raise AlreadyShipped(_l("Transfer %(number)s is already shipped.", number=number))
    if step == "receive" and status != TransferStatus.DRAFT:
        raise AlreadyReceived(_l("Transfer %(number)s is already received.", number=number))
    raise InvalidTransition(
        _l(
            "Transfer %(number)s (%(status)s): not allowed now.",
            number=number,
            status=status.label,
        )
    )


def _close_if_done(transfer_id: int, left: int, operator_id: int) -> TransferStatus:
    if left:
        return TransferStatus.RECEIVED
    run(_CLOSE, {"t": transfer_id, "by": operator_id, "at": utcnow()})
    return TransferStatus.CLOSED


def _post(moves, kind, claimed: dict, operator_id: int, held=None) -> list[dict]:
    posted = ledger.post(
        moves,
        kind=kind,
        operator_id=operator_id,
        document_id=claimed["id"],
        note=claimed["number"],
        held=held,
    )
    mark_stock_changed()
    return posted


def _result(claimed: dict, status: TransferStatus, posted: list[dict]) -> dict:
    return {**claimed, "status": status, "movements": posted}


def _sellable_in(location_id: int, warehouse_id: int) -> bool:
    found = db.session.get(Location, location_id)
    return (
        found is not None
        and found.warehouse_id == warehouse_id
        and not (found.is_quarantine or found.is_transit)
    )


def _line_errors(lines: Sequence[tuple[int, int]]) -> dict[str, object]:
    if not lines:
        return {"lines": _l("Add at least one size with a quantity.")}
    active = set(
        db.session.scalars(
            select(Variant.id).where(
                Variant.id.in_({v for v, _ in lines}), Variant.archived.is_(False)
            )
        )
    )
    errors: dict[str, object] = {}
    seen = set()
    for i, (variant_id, qty) in enumerate(lines):
        if variant_id not in active:
            errors[f"lines[{i}]"] = _l("This variant does not exist or is archived.")
        elif variant_id in seen:
            errors[f"lines[{i}]"] = _l("This variant is listed twice.")
        elif qty <= 0:
            errors[f"lines[{i}]"] = _l("Transfer at least one piece.")
        seen.add(variant_id)
    return errors


_line = (transfer_lines.c.document_id == bindparam("t")) & (
    transfer_lines.c.variant_id == bindparam("v")
)
_SHIP_LINES = Prepared(
    update(transfer_lines)
    .where(transfer_lines.c.document_id == bindparam("t"))
    .values(shipped=transfer_lines.c.qty)
)
_RECEIVE_LINE = Prepared(
    update(transfer_lines)
    .where(_line)
    .values(
        received=bindparam("received"),
        damaged=bindparam("damaged"),
        quarantined=bindparam("quarantined"),
        reason=bindparam("reason"),
    )
)
_DECIDE_LINE = Prepared(
    update(transfer_lines)
    .where(_line)
    .values(
        written_off=transfer_lines.c.written_off + bindparam("off"),
        returned=transfer_lines.c.returned + bindparam("back"),
    )
)
# A cancelled shipment: everything in transit went back.
_RETURN_ALL = Prepared(
    update(transfer_lines)
    .where(transfer_lines.c.document_id == bindparam("t"))
    .values(
        returned=transfer_lines.c.shipped
        - transfer_lines.c.received
        - transfer_lines.c.quarantined
        - transfer_lines.c.written_off
    )
)
_CLOSE = Prepared(
    update(transfers)
    .where(transfers.c.document_id == bindparam("t"))
    .values(status=TransferStatus.CLOSED, closed_by=bindparam("by"), closed_at=bindparam("at"))
)
_SET_DOCUMENT_STATUS = Prepared(
    update(documents_table)
    .where(documents_table.c.id == bindparam("d"))
    .values(status=bindparam("status"))
)
