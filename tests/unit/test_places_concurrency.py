"""Three warehouses at once (issue 14): 16 threads over overlapping variants.

Transfers are shipped, received (some short, some damaged), cancelled once shipped,
raced by a cancel, and decided by a manager; bins are moved; allocation orders are
completed; write-offs are submitted by a clerk and approved or rejected by managers;
receipts arrive. Every document is acted on by two threads at the same moment, with
one idempotency key (a double tap: the second replays the first) or without (a
second tablet: refused). The tasks come in four waves (ships first, decisions last),
but the threads are released together and never wait for each other, so every kind
of task contends with every other.

Afterwards, from the database and from what the threads were told: the stock over
all bins plus in transit is exactly the start plus the receipts less what completed
orders took and what approved write-offs took (a manager's write-off of what a
transfer left in transit among them); in transit is what the transfers say is on
the way; nothing is negative; every movement is one a thread was told of, and every
answer to one document's step names the same movements (done once); a refused step
left nothing behind; the ledger balances.
"""

import itertools
import random
import threading
from collections import Counter, defaultdict

from sqlalchemy import func, select

from stockapp.extensions import db
from stockapp.models import (
    Balance,
    Document,
    DocumentKind,
    DocumentStatus,
    Location,
    Movement,
    MovementKind,
    Order,
    OrderStatus,
    Role,
    Transfer,
    TransferDecision,
    TransferLine,
    TransferStatus,
    WriteOff,
)
from stockapp.services import ledger, moves, orders, receiving, transfers, warehouses, write_offs
from stockapp.services.errors import (
    AlreadyApproved,
    AlreadyCancelled,
    AlreadyCompleted,
    AlreadyReceived,
    AlreadyShipped,
    InsufficientStock,
    InvalidTransition,
)
from stockapp.services.receiving import ArrivedLine
from stockapp.services.transfers import Received
from tests.support.threads import run_threads

THREADS = 16
TRANSFERS = 24
ORDERS = 24
WRITE_OFFS = 16  # submitted before the threads start
LATE_WRITE_OFFS = 8  # submitted by the threads, then approved by them
RECEIPTS = 8
MOVES_PER_WAVE = 16
TOO_MANY = 500  # more than all three warehouses will ever hold of a variant
JOIN_TIMEOUT = 40  # seconds for all the threads: they take 2-5


class NotSubmitted(Exception):
    """An approval of a write-off that no thread has submitted (yet, or at all)."""


# What each kind of task may be refused with under contention; anything else fails.
EXPECTED = {
    "ship": (AlreadyShipped, AlreadyCancelled, InsufficientStock),
    "receive": (AlreadyReceived, AlreadyCancelled, InvalidTransition),
    "cancel": (AlreadyCancelled, InvalidTransition),
    "decide": (AlreadyCancelled, InvalidTransition),
    "move": (InsufficientStock,),
    "complete": (AlreadyCompleted, InsufficientStock),
    "submit": (InsufficientStock,),
    "approve": (AlreadyApproved, InvalidTransition, InsufficientStock, NotSubmitted),
    "reject": (InvalidTransition,),
    "receipt": (),
}
TRANSFER_STEPS = ("ship", "receive", "cancel", "decide")


def test_sixteen_threads_over_three_warehouses_keep_the_books_exact(app, make_user, make_style):
    rng = random.Random(14)
    boss, deputy = make_user(Role.MANAGER), make_user(Role.MANAGER)
    clerk = make_user(Role.CLERK)
    variants = list(make_style("P14", sizes=("S", "M", "L", "XL"), colours=()).values())

    with app.app_context():
        w1 = warehouses.main_warehouse_id()
        w2 = warehouses.create_warehouse(code="W2", name="Two", actor_id=boss)
        w3 = warehouses.create_warehouse(code="W3", name="Three", actor_id=boss)
        warehouse_ids = [w1, w2, w3]
        quarantine = warehouses.create_location(warehouse_id=w2, code="Q", is_quarantine=True)
        warehouses.set_user_warehouses(user_id=clerk, warehouse_ids=warehouse_ids, actor_id=boss)
        bins = {
            w: [default_bin(w)]
            + [warehouses.create_location(warehouse_id=w, code=code) for code in ("A", "B")]
            for w in warehouse_ids
        }
        # The start, of each variant: 30 in each default bin, 8 in each bin A, 2 in each
        # bin B, 5 damaged in W2's quarantine.
        for w in bins:
            receiving.create(
                lines=[
                    ArrivedLine(v, qty, location_id=bins[w][n])
                    for v in variants
                    for n, qty in enumerate((30, 8, 2))
                ]
                + [
                    ArrivedLine(v, 0, damaged=5, location_id=bins[w2][0])
                    for v in variants
                    if w == w2
                ],
                operator_id=boss,
                warehouse_id=w,
                submit=True,
            )

        # Transfers over every pair of warehouses, each to end its own way; two more ask
        # for more than any warehouse holds, so shipping them is refused.
        pairs = list(itertools.permutations(warehouse_ids, 2))
        plans = {}
        for n in range(TRANSFERS + 2):
            source, to = pairs[n % len(pairs)]
            oversized = n >= TRANSFERS
            chosen = rng.sample(variants, 1 if oversized else rng.randint(2, 3))
            lines = {v: TOO_MANY if oversized else rng.randint(2, 4) for v in chosen}
            transfer_id = transfers.create(
                from_warehouse_id=source,
                to_warehouse_id=to,
                lines=list(lines.items()),
                operator_id=boss,
            )["id"]
            plans[transfer_id] = transfer_plan(n, lines, quarantined=to == w2, oversized=oversized)

        # Allocation orders, picked (every third one a piece short); one more orders
        # more than there is, so completing it is refused.
        picked = {}
        for n in range(ORDERS + 1):
            if n == ORDERS:
                lines = {variants[0]: TOO_MANY}
            else:
                lines = {v: rng.randint(1, 3) for v in rng.sample(variants, rng.randint(2, 3))}
            order_id = orders.create(
                number=f"P-{n}", customer="Shop", lines=list(lines.items()), operator_id=clerk
            )["id"]
            picks = dict(lines)
            if n % 3 == 0:
                picks[next(iter(picks))] -= 1
            orders.record_picks(order_id, lines=list(picks.items()), operator_id=clerk)
            picked[order_id] = {v: qty for v, qty in picks.items() if qty}

        # Write-offs waiting for a manager, out of every bin that holds stock.
        stocked = [b for w in warehouse_ids for b in bins[w][:2]] + [quarantine]
        waiting = [
            write_offs.submit(
                location_id=stocked[n % len(stocked)],
                lines=[(v, rng.randint(1, 2)) for v in rng.sample(variants, rng.randint(1, 2))],
                reason="damaged",
                operator_id=clerk,
            )["document"]["id"]
            for n in range(WRITE_OFFS)
        ]
        start = snapshot()
    late = [
        (rng.choice(stocked), tuple((v, 1) for v in rng.sample(variants, rng.randint(1, 2))))
        for _ in range(LATE_WRITE_OFFS)
    ]
    submitted: dict[int, int] = {}  # late write-off → its document, once submitted
    submitted_lock = threading.Lock()

    # The waves: lists of groups, a group being the tasks two threads race. A task is
    # (kind, what…, operator, idempotency key).
    def twice(task: tuple, key: str, other: int | None = None) -> list[tuple]:
        """The same step from two threads: with the same key (a double tap, replayed),
        or, given ``other``, by a second manager without one (refused)."""
        return [(*task, boss, key), (*task, boss, key) if other is None else (*task, other, None)]

    move_keys = itertools.count()

    def some_moves() -> list[list[tuple]]:
        groups = []
        for n in range(MOVES_PER_WAVE):
            w = rng.choice(warehouse_ids)
            source, destination = rng.sample(bins[w], 2)
            lines = tuple((v, rng.randint(1, 5)) for v in rng.sample(variants, rng.randint(1, 2)))
            if n == 0:  # more than any bin holds: refused
                lines = ((rng.choice(variants), TOO_MANY),)
            task = ("move", source, destination, lines, clerk)
            if n % 4 == 1:  # a double tap on one move
                key = f"move-{next(move_keys)}"
                groups.append([(*task, key), (*task, key)])
            else:
                groups.append([(*task, None)])
        return groups

    waves = [some_moves() for _ in range(4)]
    for n, (transfer_id, plan) in enumerate(plans.items()):
        # A double tap or a second manager, in turn: for the ship, and for what follows
        # of each way of ending.
        other, later = None if n % 2 else deputy, None if n // 4 % 2 else deputy
        waves[0].append(twice(("ship", transfer_id), f"ship-{transfer_id}", other))
        if plan["then"] == "cancel":
            waves[2].append(twice(("cancel", transfer_id), f"cancel-{transfer_id}", later))
        elif plan["then"] == "race":  # received and cancelled at the same moment
            waves[2].append(
                [
                    ("receive", transfer_id, boss, f"receive-{transfer_id}"),
                    ("cancel", transfer_id, deputy, None),
                ]
            )
        else:
            waves[2].append(twice(("receive", transfer_id), f"receive-{transfer_id}", later))
        if plan["decide"]:
            waves[3].append(twice(("decide", transfer_id), f"decide-{transfer_id}", later))
    for n in range(RECEIPTS):
        w = warehouse_ids[n % 3]
        lines = tuple((v, rng.choice(bins[w]), rng.randint(1, 3)) for v in rng.sample(variants, 2))
        waves[0].append(twice(("receipt", lines, w), f"receipt-{n}"))
    for n, (location_id, lines) in enumerate(late):
        task = ("submit", n, location_id, lines, clerk, f"write-off-{n}")
        waves[0].append([task, task])
        waves[2].append(twice(("approve", "late", n), f"approve-late-{n}", deputy))
    for order_id in picked:
        other = None if order_id % 2 else deputy
        waves[1].append(twice(("complete", order_id), f"complete-{order_id}", other))
    for n, document_id in enumerate(waiting):
        if n % 8 == 7:  # rejected by two managers at the same moment
            waves[1].append(twice(("reject", document_id), f"reject-{document_id}", deputy))
        elif n % 4 == 3:  # an approval raced by a rejection
            waves[1].append(
                [
                    ("approve", "early", document_id, boss, f"approve-{document_id}"),
                    ("reject", document_id, deputy, None),
                ]
            )
        else:  # a double tap, or a second manager at the same moment
            other = deputy if n % 2 else None
            waves[1].append(
                twice(("approve", "early", document_id), f"approve-{document_id}", other)
            )
    tasks_per_thread = [[] for _ in range(THREADS)]
    turn = 0
    for wave in waves:
        rng.shuffle(wave)
        for group in wave:
            for offset, task in enumerate(group):  # a group's tasks in different threads
                tasks_per_thread[(turn + offset) % THREADS].append(task)
            turn += len(group)

    def act(task: tuple) -> dict:
        kind, *what, operator_id, key = task
        if kind == "ship":
            return transfers.ship(what[0], operator_id=operator_id, idempotency_key=key)
        if kind == "cancel":
            return transfers.cancel(what[0], operator_id=operator_id, idempotency_key=key)
        if kind == "receive":
            return transfers.receive(
                what[0],
                lines=plans[what[0]]["arrived"],
                operator_id=operator_id,
                idempotency_key=key,
            )
        if kind == "decide":
            return transfers.decide(
                what[0],
                lines=plans[what[0]]["decide"],
                operator_id=operator_id,
                idempotency_key=key,
            )
        if kind == "move":
            source, destination, lines = what
            return moves.move(
                from_location_id=source,
                to_location_id=destination,
                lines=list(lines),
                operator_id=operator_id,
                idempotency_key=key,
            )
        if kind == "complete":
            return orders.complete(what[0], operator_id=operator_id, idempotency_key=key)
        if kind == "receipt":
            return receiving.create(
                lines=[ArrivedLine(v, qty, location_id=loc) for v, loc, qty in what[0]],
                operator_id=operator_id,
                warehouse_id=what[1],
                submit=True,
                idempotency_key=key,
            )
        if kind == "submit":
            n, location_id, lines = what
            result = write_offs.submit(
                location_id=location_id,
                lines=list(lines),
                reason="lost",
                operator_id=operator_id,
                idempotency_key=key,
            )
            with submitted_lock:
                submitted[n] = result["document"]["id"]
            return result
        if kind == "approve":
            which, document_id = what
            if which == "late":
                with submitted_lock:
                    if document_id not in submitted:
                        raise NotSubmitted(document_id)
                    document_id = submitted[document_id]
            return write_offs.approve(document_id, operator_id=operator_id, idempotency_key=key)
        assert kind == "reject", kind
        return write_offs.reject(
            what[0], operator_id=operator_id, reason="found it", idempotency_key=key
        )

    acks, tally, errors = run_threads(app, tasks_per_thread, act, EXPECTED, timeout=JOIN_TIMEOUT)
    assert errors == [], errors
    for kind in EXPECTED:
        assert tally[kind + ":ok"] > 0, (kind, tally)
    # Both kinds of contention happened: a step already done, and too little stock.
    for refused in (
        "ship:AlreadyShipped",
        "complete:AlreadyCompleted",
        "approve:AlreadyApproved",
        "ship:InsufficientStock",
        "complete:InsufficientStock",
        "move:InsufficientStock",
    ):
        assert tally[refused] > 0, (refused, tally)

    # What the threads were told: per document and step, the movements of each answer.
    answers = defaultdict(set)  # (document, step) → {movement ids of an answer}
    answered = Counter()  # (document, step) → how many answers
    told = {}  # movement id → (document, variant, location, delta, kind), as answered
    steps_of = defaultdict(set)  # document → the steps a thread was told were done
    for task, result in acks:
        kind = task[0]
        document_id = result["id"] if kind in TRANSFER_STEPS else result["document"]["id"]
        answers[document_id, kind].add(frozenset(m["id"] for m in result["movements"]))
        answered[document_id, kind] += 1
        steps_of[document_id].add(kind)
        for m in result["movements"]:
            told[m["id"]] = (document_id, m["variant_id"], m["location_id"], m["delta"], m["kind"])
    # Done once: every answer to one document's step names the same movements, the
    # replays of a double tap among them.
    assert {key: found for key, found in answers.items() if len(found) > 1} == {}
    replayed = Counter(kind for (_, kind), n in answered.items() if n > 1)
    for kind in set(EXPECTED) - {"reject"}:
        assert replayed[kind] > 0, (kind, replayed)

    with app.app_context():
        movements = movements_since(start["last_movement"])
        # Every movement since the start is one a thread was told of, exactly as told.
        assert movements == told
        by_document = defaultdict(list)
        for document_id, *row in movements.values():
            by_document[document_id].append(tuple(row))

        # All bins plus in transit: the start, plus receipts, less what left the books.
        came, left = Counter(), Counter()
        for _, variant_id, _, delta, kind in movements.values():
            if kind == MovementKind.INBOUND:
                came[variant_id] += delta
            elif kind in (MovementKind.ALLOCATION, MovementKind.WRITE_OFF):
                left[variant_id] -= delta
            else:  # transfers and bin moves only move stock about
                assert kind in (
                    MovementKind.TRANSFER_OUT,
                    MovementKind.TRANSFER_IN,
                    MovementKind.MOVE_OUT,
                    MovementKind.MOVE_IN,
                ), kind
        in_bins, in_transit = stock()
        for v in variants:
            assert in_bins[v] + in_transit[v] == start["stock"][v] + came[v] - left[v], v
        assert sum(in_bins.values()) + sum(in_transit.values()) == sum(
            start["stock"].values()
        ) + sum(came.values()) - sum(left.values())
        assert db.session.scalar(select(func.min(Balance.qty))) >= 0

        check_transfers(plans, steps_of, by_document)
        check_orders(picked, steps_of, by_document)
        check_write_offs(waiting, set(submitted.values()), steps_of, by_document, start)
        # A refused move or receipt left no document behind.
        for kind, step in ((DocumentKind.MOVE, "move"), (DocumentKind.RECEIPT, "receipt")):
            assert documents_since(start, kind) == {
                d for d, steps in steps_of.items() if step in steps
            }, kind
        for document_id in documents_since(start, DocumentKind.MOVE):
            assert sum(delta for _, _, delta, _ in by_document[document_id]) == 0
        assert ledger.discrepancies() == []


# ------------------------------------------------------------------ the plan


def transfer_plan(n: int, lines: dict[int, int], *, quarantined: bool, oversized: bool) -> dict:
    """How transfer ``n`` is to end: received in full (it closes), received short (a
    manager then writes off or returns what is left), cancelled once shipped, or
    received and cancelled at the same moment. Short: one piece missing of the first
    line and one damaged of the second, which goes into the destination's quarantine
    if it has one (``quarantined``) and otherwise stays in transit."""
    then = "cancel" if oversized else ("full", "short", "cancel", "race")[n % 4]
    arrived = [Received(v, qty) for v, qty in lines.items()]
    if then in ("short", "race"):
        (first, a), (second, b) = list(lines.items())[:2]
        arrived[0] = Received(first, a - 1)
        arrived[1] = Received(second, b - 1, damaged=1, reason="torn")
    left = [
        x.variant_id
        for x in arrived
        if lines[x.variant_id] - x.received - (x.damaged if quarantined else 0)
    ]
    decision = TransferDecision.WRITE_OFF if n % 8 == 1 else TransferDecision.RETURN
    return {
        "lines": lines,
        "then": then,
        "arrived": arrived,
        "decide": [(v, decision) for v in left] if then == "short" else [],
    }


# ------------------------------------------------------------------ reading the books


def default_bin(warehouse_id: int) -> int:
    return db.session.scalar(
        select(Location.id).where(Location.warehouse_id == warehouse_id, Location.is_default)
    )


def snapshot() -> dict:
    """The stock per variant over every location, and the last movement and document."""
    return {
        "stock": dict(
            db.session.execute(
                select(Balance.variant_id, func.sum(Balance.qty)).group_by(Balance.variant_id)
            ).all()
        ),
        "last_movement": db.session.scalar(select(func.max(Movement.id))),
        "last_document": db.session.scalar(select(func.max(Document.id))),
    }


def movements_since(movement_id: int) -> dict[int, tuple]:
    """Movement id → (document, variant, location, delta, kind), after ``movement_id``."""
    rows = db.session.execute(
        select(
            Movement.id,
            Movement.document_id,
            Movement.variant_id,
            Movement.location_id,
            Movement.delta,
            Movement.kind,
        ).where(Movement.id > movement_id)
    )
    return {row.id: tuple(row)[1:] for row in rows}


def documents_since(start: dict, kind: DocumentKind) -> set[int]:
    return set(
        db.session.scalars(
            select(Document.id).where(Document.kind == kind, Document.id > start["last_document"])
        )
    )


def stock() -> tuple[Counter, Counter]:
    """Per variant: the pieces in bins (quarantine included), and those in transit,
    which must be what the transfers say is on its way to each destination."""
    transit = set(db.session.scalars(select(Location.id).where(Location.is_transit)))
    in_bins, in_transit, per_transit = Counter(), Counter(), Counter()
    for variant_id, location_id, qty in db.session.execute(
        select(Balance.variant_id, Balance.location_id, Balance.qty)
    ):
        if location_id in transit:
            in_transit[variant_id] += qty
            per_transit[variant_id, location_id] += qty
        else:
            in_bins[variant_id] += qty
    on_the_way = Counter()
    for transfer in db.session.scalars(select(Transfer)):
        location_id = warehouses.transit_location_id(transfer.to_warehouse_id)
        for line in transfer.lines:
            on_the_way[line.variant_id, location_id] += in_transit_of(line)
    assert +per_transit == +on_the_way
    return in_bins, in_transit


def in_transit_of(line: TransferLine) -> int:
    return line.shipped - line.received - line.quarantined - line.written_off - line.returned


# ------------------------------------------------------------------ the documents


def check_transfers(plans: dict, steps_of: dict, by_document: dict) -> None:
    """Each transfer is in the state its acknowledged steps lead to and moved what they
    moved; a refused step moved nothing; a race of receive and cancel had one winner."""
    for transfer_id, plan in plans.items():
        transfer = db.session.get(Transfer, transfer_id)
        lines = {line.variant_id: line for line in transfer.lines}
        steps, moved = steps_of[transfer_id], by_document[transfer_id]
        shipped = "ship" in steps
        label = (transfer_id, plan["then"], sorted(steps), transfer.status)
        assert (transfer.shipped_at is not None) == shipped, label
        into_transit = Counter()
        for variant_id, _, delta, kind in moved:
            if kind == MovementKind.TRANSFER_OUT and delta > 0:
                into_transit[variant_id] += delta
        assert into_transit == Counter(plan["lines"] if shipped else {}), label
        # Nothing is made or lost on the way, but what a manager wrote off.
        assert sum(delta for _, _, delta, kind in moved if kind != MovementKind.WRITE_OFF) == 0
        if not shipped:
            assert moved == [] and not {"receive", "decide"} & steps, label
            assert all(line.shipped == 0 for line in lines.values()), label
            wanted = TransferStatus.CANCELLED if "cancel" in steps else TransferStatus.DRAFT
            assert transfer.status == wanted, label
            continue
        assert not {"receive", "cancel"} <= steps, label
        if "cancel" in steps:
            assert transfer.status == TransferStatus.CANCELLED, label
            assert {v: line.returned for v, line in lines.items()} == plan["lines"], label
        elif "receive" in steps:
            arrived = {x.variant_id: (x.received, x.damaged) for x in plan["arrived"]}
            assert {v: (x.received, x.damaged) for v, x in lines.items()} == arrived, label
            left = sum(in_transit_of(line) for line in lines.values())
            if "decide" in steps or not left:
                assert transfer.status == TransferStatus.CLOSED and left == 0, label
            else:
                assert transfer.status == TransferStatus.RECEIVED, label
        else:
            assert transfer.status == TransferStatus.SHIPPED, label
            assert {v: in_transit_of(line) for v, line in lines.items()} == plan["lines"], label


def check_orders(picked: dict, steps_of: dict, by_document: dict) -> None:
    """A completed order took exactly its picked pieces, by one allocation; any other
    is still being picked, with no allocation at all."""
    allocations = defaultdict(list)
    for document_id, order_id in db.session.execute(
        select(Document.id, Document.order_id).where(Document.kind == DocumentKind.ALLOCATION)
    ):
        allocations[order_id].append(document_id)
    for order_id, picks in picked.items():
        order = db.session.get(Order, order_id)
        found = allocations[order_id]
        if order.status == OrderStatus.COMPLETED:
            assert len(found) == 1 and "complete" in steps_of[found[0]], order_id
            taken = Counter()
            for variant_id, _, delta, kind in by_document[found[0]]:
                assert kind == MovementKind.ALLOCATION and delta < 0
                taken[variant_id] -= delta
            assert taken == Counter(picks), order_id
        else:
            assert order.status == OrderStatus.PICKING and found == [], order_id


def check_write_offs(waiting: list, late: set, steps_of: dict, by_document: dict, start) -> None:
    """An approved write-off took exactly its lines out of its bin, once; a rejected
    or still waiting one took nothing; none is both approved and rejected; every
    write-off the threads made is one they were told of."""
    assert documents_since(start, DocumentKind.WRITE_OFF) == late
    for document_id in [*waiting, *late]:
        write_off = db.session.get(WriteOff, document_id)
        status = db.session.get(Document, document_id).status
        steps = steps_of[document_id]
        assert not {"approve", "reject"} <= steps, document_id
        if "approve" in steps:
            assert status == DocumentStatus.POSTED, document_id
            assert sorted(by_document[document_id]) == sorted(
                (line.variant_id, write_off.location_id, -line.qty, MovementKind.WRITE_OFF)
                for line in write_off.lines
            ), document_id
        else:
            assert by_document[document_id] == [], document_id
            wanted = DocumentStatus.REJECTED if "reject" in steps else DocumentStatus.SUBMITTED
            assert status == wanted, document_id
