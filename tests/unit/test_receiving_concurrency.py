"""Many tablets submitting and approving receipts of the same purchase orders at once.

Receipts for one PO are submitted from several threads at the same moment, then
approved from several threads at the same moment, each receipt by more than one
manager (one of them tapping twice with the same idempotency key), some raced by
a rejection. Afterwards, from the database: each receipt was posted exactly once
or rejected, its movements exist once, what each PO line received is the sum of
its approved receipts, the PO's state follows, the ledger balances, and every
refusal was an expected domain error, never anything else.
"""

import random
from collections import Counter, defaultdict

from sqlalchemy import select

from stockapp.extensions import db
from stockapp.models import (
    Document,
    DocumentStatus,
    Movement,
    POLine,
    POStatus,
    PurchaseOrder,
    Receipt,
    Role,
)
from stockapp.queries import stock_levels
from stockapp.services import ledger, purchasing, receiving, suppliers
from stockapp.services.errors import AlreadyApproved, InvalidTransition
from stockapp.services.purchasing import OrderedLine
from stockapp.services.receiving import ArrivedLine
from stockapp.services.warehouses import create_location, default_location_id, main_warehouse_id
from tests.support.db import on_hand
from tests.support.threads import run_threads

THREADS = 8
RECEIPTS_PER_THREAD = 3

# What each call may be refused with; anything else fails the test.
EXPECTED = {
    "submit": (),
    "approve": (AlreadyApproved, InvalidTransition),
    "reject": (InvalidTransition,),
}


def movements_by_document() -> dict[int, list[tuple]]:
    moves = defaultdict(list)
    for row in db.session.execute(
        select(
            Movement.id,
            Movement.document_id,
            Movement.variant_id,
            Movement.location_id,
            Movement.delta,
        ).order_by(Movement.id)
    ):
        moves[row.document_id].append(row)
    return moves


def expected_status(po_id: int, received: Counter) -> str:
    ordered = dict(
        db.session.execute(
            select(POLine.variant_id, POLine.ordered).where(POLine.po_id == po_id)
        ).all()
    )
    if all(received[v] >= qty for v, qty in ordered.items()):
        return POStatus.RECEIVED
    if any(received[v] for v in ordered):
        return POStatus.PARTIALLY_RECEIVED
    return POStatus.ORDERED


def po_status(po_id: int) -> str:
    return db.session.scalar(select(PurchaseOrder.status).where(PurchaseOrder.id == po_id))


def test_two_receipts_of_one_po_submitted_and_approved_at_once(app, make_user, make_style):
    """Two clerks submit a receipt each for the same PO at the same moment; then two
    managers approve both at the same moment (each receipt twice). Five rounds,
    ending received and partially received in turn."""
    clerks = [make_user(Role.CLERK) for _ in range(2)]
    managers = [make_user(Role.MANAGER) for _ in range(2)]
    s, m = make_style("T2", sizes=("S", "M"), colours=()).values()
    with app.app_context():
        supplier = suppliers.save(name="Two Trucks Ltd")
        default = default_location_id()
    total = Counter()
    for round_ in range(5):
        with app.app_context():
            po_id = purchasing.create(
                number=f"PO-{round_}",
                supplier_id=supplier,
                lines=[OrderedLine(s, 10), OrderedLine(m, 10)],
                operator_id=clerks[0],
                place=True,
            )["id"]
        arrivals = [{s: 5, m: 5}, {s: 5, m: 5 - round_ % 2}]

        def submit(task, po_id=po_id, arrivals=arrivals):
            _, n = task
            return receiving.create(
                lines=[ArrivedLine(v, qty) for v, qty in arrivals[n].items()],
                po_id=po_id,
                operator_id=clerks[n],
                submit=True,
            )["document"]["id"]

        acks, tally, errors = run_threads(app, [[("submit", 0)], [("submit", 1)]], submit, EXPECTED)
        assert errors == [] and tally == {"submit:ok": 2}, (errors, tally)
        documents = {task[1]: document_id for task, document_id in acks}

        def approve(task, documents=documents):
            _, n, manager = task
            return receiving.approve(documents[n], operator_id=manager)

        # Each manager approves both receipts, in opposite orders.
        plan = [
            [("approve", 0, managers[0]), ("approve", 1, managers[0])],
            [("approve", 1, managers[1]), ("approve", 0, managers[1])],
        ]
        acks, tally, errors = run_threads(app, plan, approve, EXPECTED)
        assert errors == [], errors
        assert tally == {"approve:ok": 2, "approve:AlreadyApproved": 2}, tally
        assert sorted(task[1] for task, _ in acks) == [0, 1]

        with app.app_context():
            moves = movements_by_document()
            received = Counter()
            for n, document_id in documents.items():
                assert db.session.get(Document, document_id).status == DocumentStatus.POSTED
                assert sorted(
                    (r.variant_id, r.location_id, r.delta) for r in moves[document_id]
                ) == (sorted((v, default, qty) for v, qty in arrivals[n].items()))
                received.update(arrivals[n])
            total.update(received)
            assert purchasing.received_by_variant(po_id) == dict(received)
            assert po_status(po_id) == (
                POStatus.RECEIVED if round_ % 2 == 0 else POStatus.PARTIALLY_RECEIVED
            )
            assert on_hand(s) == total[s] and on_hand(m) == total[m]
            assert ledger.discrepancies() == []


def test_many_receipts_submitted_then_approved_and_rejected_at_once(app, make_user, make_style):
    """8 threads × 3 receipts over two POs (one filled exactly by all its receipts,
    one never filled), submitted at once; then every receipt approved by two or
    three managers at once, one of them tapping twice with the same key, and some
    raced by a rejection."""
    clerks = [make_user(Role.CLERK) for _ in range(THREADS)]
    managers = [make_user(Role.MANAGER) for _ in range(3)]
    variants = list(make_style("K8", sizes=("S", "M", "L", "XL"), colours=()).values())
    rng = random.Random(11)
    with app.app_context():
        supplier = suppliers.save(name="Many Trucks Ltd")
        quarantine = create_location(
            warehouse_id=main_warehouse_id(), code="Q-01", is_quarantine=True
        )
        default = default_location_id()

    # What each receipt will bring: (po index, {variant: (received, damaged)}).
    planned = {}
    for t in range(THREADS):
        for k in range(RECEIPTS_PER_THREAD):
            lines = {
                v: (rng.randint(1, 3), 1 if rng.random() < 0.2 else 0)
                for v in rng.sample(variants, rng.randint(1, 3))
            }
            planned[t, k] = ((t + k) % 2, lines)
    brought = [Counter(), Counter()]
    for po_index, lines in planned.values():
        for v, (received, _) in lines.items():
            brought[po_index][v] += received
    with app.app_context():
        # PO 0 orders exactly what all its receipts bring; PO 1 two more of each.
        po_ids = [
            purchasing.create(
                number=f"PO-{n}",
                supplier_id=supplier,
                lines=[OrderedLine(v, brought[n][v] + 2 * n) for v in variants if brought[n][v]],
                operator_id=managers[0],
                place=True,
            )["id"]
            for n in (0, 1)
        ]

    def submit(task):
        _, t, k = task
        po_index, lines = planned[t, k]
        return receiving.create(
            lines=[ArrivedLine(v, r, damaged=d) for v, (r, d) in lines.items()],
            po_id=po_ids[po_index],
            operator_id=clerks[t],
            submit=True,
            idempotency_key=f"receipt-{t}-{k}",
        )["document"]["id"]

    acks, tally, errors = run_threads(
        app,
        [[("submit", t, k) for k in range(RECEIPTS_PER_THREAD)] for t in range(THREADS)],
        submit,
        EXPECTED,
    )
    assert errors == [], errors
    assert tally == {"submit:ok": THREADS * RECEIPTS_PER_THREAD}, tally
    documents = {(task[1], task[2]): document_id for task, document_id in acks}
    with app.app_context():
        statuses = set(
            db.session.scalars(select(Document.status).where(Document.id.in_(documents.values())))
        )
        assert statuses == {DocumentStatus.SUBMITTED}
        assert on_hand(variants[0]) == 0 and all(po_status(p) == POStatus.ORDERED for p in po_ids)

    # Every receipt approved by two managers (the first taps twice with one key);
    # on PO 1 a third of them also raced by a rejection, the rest by a third manager.
    tasks = []
    raced = set()
    for n, (key, document_id) in enumerate(sorted(documents.items())):
        po_index = planned[key][0]
        tasks += [
            ("approve", document_id, managers[0], f"approve-{document_id}"),
            ("approve", document_id, managers[0], f"approve-{document_id}"),
            ("approve", document_id, managers[1], None),
        ]
        if po_index == 1 and n % 3 == 0:
            tasks.append(("reject", document_id, managers[2], None))
            raced.add(document_id)
        else:
            tasks.append(("approve", document_id, managers[2], None))
    rng.shuffle(tasks)
    plan = [tasks[i::THREADS] for i in range(THREADS)]

    def decide(task):
        op, document_id, manager, key = task
        if op == "reject":
            return receiving.reject(
                document_id, operator_id=manager, reason="wrong truck", idempotency_key=key
            )
        return receiving.approve(document_id, operator_id=manager, idempotency_key=key)

    acks, tally, errors = run_threads(app, plan, decide, EXPECTED)
    assert errors == [], errors
    assert tally["approve:AlreadyApproved"] > 0, tally
    approvals = defaultdict(list)  # receipt → results of its acknowledged approvals
    rejections = Counter()
    for task, result in acks:
        if task[0] == "approve":
            approvals[task[1]].append((task, result))
        else:
            rejections[task[1]] += 1

    with app.app_context():
        moves = movements_by_document()
        state = dict(
            db.session.execute(
                select(Document.id, Document.status).where(Document.id.in_(documents.values()))
            ).all()
        )
        received = [Counter(), Counter()]
        stocked, quarantined = Counter(), Counter()
        for key, document_id in documents.items():
            po_index, lines = planned[key]
            posted = state[document_id] == DocumentStatus.POSTED
            if document_id not in raced:
                assert posted, key
            if posted:
                assert rejections[document_id] == 0
                # Approved once: every acknowledged approval is that one posting (a
                # second approval is refused, a replay with the key returns the first).
                found = approvals[document_id]
                assert found, key
                first = found[0][1]
                assert all(result == first for _, result in found), key
                keyless = [task for task, _ in found if task[3] is None]
                keyed = [task for task, _ in found if task[3] is not None]
                assert len(keyless) + min(len(keyed), 1) == 1, found
                assert sorted(m["id"] for m in first["movements"]) == [
                    m.id for m in moves[document_id]
                ]
                expected = [(v, default, r) for v, (r, _) in lines.items() if r] + [
                    (v, quarantine, d) for v, (_, d) in lines.items() if d
                ]
                assert sorted(
                    (m.variant_id, m.location_id, m.delta) for m in moves[document_id]
                ) == (sorted(expected)), key
                for v, (r, d) in lines.items():
                    received[po_index][v] += r
                    stocked[v] += r
                    quarantined[v] += d
            else:
                assert state[document_id] == DocumentStatus.REJECTED, key
                assert rejections[document_id] == 1 and approvals[document_id] == []
                assert moves[document_id] == []

        for n, po_id in enumerate(po_ids):
            assert purchasing.received_by_variant(po_id) == {
                v: qty for v, qty in received[n].items()
            }, n
            assert po_status(po_id) == expected_status(po_id, received[n]), n
        # PO 0 got everything it ordered (none of its receipts was raced by a rejection).
        assert po_status(po_ids[0]) == POStatus.RECEIVED
        assert po_status(po_ids[1]) == POStatus.PARTIALLY_RECEIVED
        levels = stock_levels(variants)
        for v in variants:
            assert levels[v].on_hand == stocked[v], v
            assert on_hand(v) == stocked[v] + quarantined[v], v
        assert ledger.discrepancies() == []


def test_a_receipt_submitted_while_its_po_is_closed(app, make_user, make_style):
    """A clerk submits a receipt at the moment a manager closes its PO: one of them
    wins. Either the receipt waits for approval and the close is refused, or the
    PO is closed and the receipt is refused; never a receipt waiting on a closed PO."""
    clerk, manager = make_user(Role.CLERK), make_user(Role.MANAGER)
    (s,) = make_style("C1", sizes=("S",), colours=()).values()
    with app.app_context():
        supplier = suppliers.save(name="Closing Time Ltd")
    for round_ in range(6):
        with app.app_context():
            po_id = purchasing.create(
                number=f"PO-{round_}",
                supplier_id=supplier,
                lines=[OrderedLine(s, 10)],
                operator_id=manager,
                place=True,
            )["id"]

        def act(task, po_id=po_id):
            if task[0] == "submit":
                return receiving.create(
                    lines=[ArrivedLine(s, 4)], po_id=po_id, operator_id=clerk, submit=True
                )
            return purchasing.close(po_id, operator_id=manager)

        plan = [[("submit",)], [("close",)]] if round_ % 2 else [[("close",)], [("submit",)]]
        either = {"submit": (InvalidTransition,), "close": (InvalidTransition,)}
        acks, tally, errors = run_threads(app, plan, act, either)
        assert errors == [], errors
        assert sorted(tally.values()) == [1, 1] and len(acks) == 1, tally
        winner = acks[0][0][0]
        with app.app_context():
            waiting = db.session.scalars(
                select(Document.status)
                .join(Receipt, Receipt.document_id == Document.id)
                .where(Receipt.po_id == po_id)
            ).all()
            if winner == "submit":
                assert po_status(po_id) == POStatus.ORDERED
                assert waiting == [DocumentStatus.SUBMITTED]
            else:
                assert po_status(po_id) == POStatus.CLOSED
                assert waiting == []
            assert on_hand(s) == 0 and ledger.discrepancies() == []
