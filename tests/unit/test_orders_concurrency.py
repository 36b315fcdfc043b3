"""Many tablets completing, cancelling and returning allocation orders at once.

16 threads × 20 operations over 60 picked orders on 6 variants with too little
stock for all of them: complete an order (with its idempotency key), retry a
completion that may be done already (same key, or none), cancel an order as a
clerk, cancel a completed order as a manager (a reversal), and return part of a
completed order (resellable or damaged). Afterwards, from the database: every
completed order was taken down exactly once, every order cancelled after
completion was restored exactly once, on hand is the initial stock less what
completed orders shipped plus what came back resellable, nothing is negative,
the ledger balances, and every refusal was an expected domain error.
"""

import random
import threading
from collections import Counter, defaultdict

from sqlalchemy import select

from stockapp.extensions import db
from stockapp.models import (
    Balance,
    Document,
    Movement,
    Order,
    OrderLine,
    OrderStatus,
    ReturnCondition,
    Role,
)
from stockapp.queries import stock_levels
from stockapp.services import ledger, orders, receiving, returns
from stockapp.services.errors import (
    AlreadyCancelled,
    AlreadyCompleted,
    InsufficientStock,
    InvalidInput,
    InvalidTransition,
    NotPermitted,
)
from stockapp.services.returns import ReturnLine
from tests.support.db import on_hand

THREADS = 16
OPERATIONS = 20
ORDERS = 60
INITIAL = 25

# What each operation may be refused with; anything else fails the test.
EXPECTED = {
    "complete": (InsufficientStock, AlreadyCompleted, InvalidTransition),
    "retry": (InsufficientStock, AlreadyCompleted, InvalidTransition),
    "cancel": (AlreadyCancelled, NotPermitted),
    "reverse": (AlreadyCancelled, InvalidTransition),
    "return": (InvalidTransition, InvalidInput),
}


def test_concurrent_completions_cancels_and_returns_keep_the_books_straight(
    app, make_user, make_style
):
    clerk, manager = make_user(Role.CLERK), make_user(Role.MANAGER)
    sizes = ("S", "M", "L", "XL", "2XL", "3XL")
    variants = list(make_style("K1", sizes=sizes, colours=()).values())
    setup = random.Random(7)
    ordered: dict[int, dict[int, int]] = {}
    picked: dict[int, dict[int, int]] = {}
    with app.app_context():
        receiving.receive(lines=[(v, INITIAL) for v in variants], operator_id=clerk)
        for n in range(ORDERS):
            lines = {v: setup.randint(1, 4) for v in setup.sample(variants, setup.randint(2, 4))}
            # Every fifth order is picked one short on one line: short-shipped on completion.
            picks = dict(lines)
            more_than_one = [v for v, qty in lines.items() if qty > 1]
            if n % 5 == 0 and more_than_one:
                picks[more_than_one[0]] -= 1
            order_id = orders.create(
                number=f"C-{n}", customer="Shop", lines=list(lines.items()), operator_id=clerk
            )["id"]
            orders.record_picks(order_id, lines=list(picks.items()), operator_id=clerk)
            ordered[order_id], picked[order_id] = lines, picks
    order_ids = list(ordered)

    barrier = threading.Barrier(THREADS)
    hint_lock = threading.Lock()
    completed_hint: list[int] = []  # orders some thread saw completed: likelier targets
    outcomes = []

    def target(rng: random.Random) -> int:
        with hint_lock:
            if completed_hint and rng.random() < 0.7:
                return rng.choice(completed_hint)
        return rng.choice(order_ids)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        acks, tally, errors = [], Counter(), []
        with app.app_context():
            barrier.wait()
            for _ in range(OPERATIONS):
                choice = rng.random()
                try:
                    if choice < 0.35:
                        op, order_id = "complete", rng.choice(order_ids)
                        done = orders.complete(
                            order_id, operator_id=manager, idempotency_key=f"complete-{order_id}"
                        )
                        acks.append(("complete", order_id, done["document"]["id"]))
                        with hint_lock:
                            completed_hint.append(order_id)
                    elif choice < 0.5:
                        op, order_id = "retry", target(rng)
                        key = f"complete-{order_id}" if rng.random() < 0.5 else None
                        done = orders.complete(order_id, operator_id=manager, idempotency_key=key)
                        acks.append(("complete", order_id, done["document"]["id"]))
                    elif choice < 0.62:
                        op, order_id = "cancel", rng.choice(order_ids)
                        result = orders.cancel(order_id, operator_id=clerk)
                        assert result["reversal"] is None
                        acks.append(("cancel", order_id, None))
                    elif choice < 0.77:
                        op, order_id = "reverse", target(rng)
                        result = orders.cancel(
                            order_id, operator_id=manager, reason="wrong shop", may_reverse=True
                        )
                        reversal = result["reversal"]
                        acks.append(("cancel", order_id, reversal and reversal["document"]["id"]))
                    else:
                        op, order_id = "return", target(rng)
                        variant = rng.choice(list(picked[order_id]))
                        qty = rng.randint(1, 2)
                        condition = (
                            ReturnCondition.DAMAGED
                            if rng.random() < 0.3
                            else ReturnCondition.RESELLABLE
                        )
                        booked = returns.book_return(
                            lines=[ReturnLine(variant, qty, condition)],
                            operator_id=clerk,
                            order_id=order_id,
                        )
                        acks.append(
                            ("return", order_id, variant, qty, condition, booked["document"]["id"])
                        )
                    tally[op + ":ok"] += 1
                except EXPECTED[op] as refusal:
                    tally[f"{op}:{type(refusal).__name__}"] += 1
                except Exception as unexpected:  # any other error fails the test
                    errors.append(f"{op} {order_id}: {unexpected!r}")
        outcomes.append((acks, tally, errors))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"

    assert [e for _, _, errs in outcomes for e in errs] == []
    acks = [ack for thread_acks, _, _ in outcomes for ack in thread_acks]
    tally = sum((t for _, t, _ in outcomes), Counter())
    for op in ("complete", "cancel", "reverse", "return"):
        assert tally[op + ":ok"] > 0, tally
    assert sum(n for key, n in tally.items() if not key.endswith(":ok")) > 0, tally

    completions = defaultdict(set)  # order → allocation documents its completions returned
    cancels = defaultdict(list)  # order → reversal document (or None) per acknowledged cancel
    returned = Counter()  # (order, variant) → pieces acknowledged as returned
    resellable = Counter()  # variant → pieces acknowledged back into stock
    return_documents = set()
    for ack in acks:
        if ack[0] == "complete":
            completions[ack[1]].add(ack[2])
        elif ack[0] == "cancel":
            cancels[ack[1]].append(ack[2])
        else:
            _, order_id, variant, qty, condition, document_id = ack
            returned[order_id, variant] += qty
            if condition == ReturnCondition.RESELLABLE:
                resellable[variant] += qty
            return_documents.add(document_id)

    with app.app_context():
        assert min(db.session.scalars(select(Balance.qty))) >= 0
        assert ledger.discrepancies() == []
        documents = defaultdict(list)
        for row in db.session.execute(
            select(
                Document.id, Document.order_id, Document.kind, Document.status, Document.reverses_id
            )
            .where(Document.order_id.is_not(None))
            .order_by(Document.id)
        ):
            documents[row.order_id].append(row)
        moves = defaultdict(list)
        for row in db.session.execute(
            select(
                Movement.id,
                Movement.document_id,
                Movement.variant_id,
                Movement.location_id,
                Movement.delta,
                Movement.kind,
                Movement.reverses_id,
            ).order_by(Movement.id)
        ):
            moves[row.document_id].append(row)
        lines = defaultdict(dict)
        for row in db.session.scalars(select(OrderLine)):
            lines[row.order_id][row.variant_id] = row
        states = {order.id: order for order in db.session.scalars(select(Order))}

        shipped = Counter()  # variant → pieces that left with orders still completed
        for order_id in order_ids:
            order, docs = states[order_id], documents[order_id]
            allocations = [d for d in docs if d.kind == "allocation"]
            reversals = [d for d in docs if d.kind == "reversal"]
            order_returns = [d for d in docs if d.kind == "return"]
            was_completed = order.completed_at is not None
            # Completed at most once; every acknowledged completion is that one.
            assert len(allocations) == (1 if was_completed else 0), order_id
            assert completions.get(order_id, set()) == {d.id for d in allocations}, order_id
            if was_completed:
                allocation = allocations[0]
                taken = Counter()
                for m in moves[allocation.id]:
                    assert m.kind == "allocation" and m.delta < 0
                    taken[m.variant_id] -= m.delta
                wanted = {v: qty for v, qty in picked[order_id].items() if qty}
                assert dict(taken) == wanted, order_id
                assert {v: line.shipped for v, line in lines[order_id].items()} == picked[order_id]
            for v, line in lines[order_id].items():
                assert line.ordered == ordered[order_id][v]
                assert line.picked == picked[order_id][v]
                assert line.returned == returned[order_id, v], (order_id, v)
                assert line.reserving == (order.status == OrderStatus.PICKING)
            assert {d.id for d in order_returns} <= return_documents

            if order.status == OrderStatus.COMPLETED:
                assert reversals == [] and cancels[order_id] == []
                assert allocations[0].status == "posted"
                for v, qty in picked[order_id].items():
                    shipped[v] += qty
            elif order.status == OrderStatus.CANCELLED:
                # Cancelled exactly once: one acknowledged cancel.
                assert len(cancels[order_id]) == 1, (order_id, cancels[order_id])
                if was_completed:
                    # Restored exactly once, by reversing the allocation movement by movement.
                    assert order_returns == []
                    assert len(reversals) == 1 and reversals[0].reverses_id == allocation.id
                    assert cancels[order_id] == [reversals[0].id]
                    assert allocation.status == "reversed"
                    back = moves[reversals[0].id]
                    assert sorted(m.reverses_id for m in back) == sorted(
                        m.id for m in moves[allocation.id]
                    )
                    net = Counter()
                    for m in moves[allocation.id] + back:
                        net[m.variant_id, m.location_id] += m.delta
                    assert set(net.values()) <= {0}, order_id
                else:
                    assert docs == [] and cancels[order_id] == [None]
            else:
                assert order.status == OrderStatus.PICKING, order.status
                assert docs == [] and cancels[order_id] == []

        for v in variants:
            assert on_hand(v) == INITIAL - shipped[v] + resellable[v], v
        reserved = Counter()
        for order_id in order_ids:
            if states[order_id].status == OrderStatus.PICKING:
                reserved.update(ordered[order_id])
        levels = stock_levels(variants)
        assert {v: levels[v].reserved for v in variants} == {v: reserved[v] for v in variants}
        return_movements = [m for d in return_documents for m in moves[d]]
        assert len(return_movements) == sum(
            1 + (ack[4] == ReturnCondition.DAMAGED) for ack in acks if ack[0] == "return"
        )
