"""Many writers on the same few variants at once, through the ledger service.

8 threads × 200 operations: increments, decrements, stocktakes computed from a
figure read a moment earlier (some go stale), multi-line batches in random
order, and batches that must fail for shortage. Afterwards every balance equals
the initial stock plus exactly the accepted deltas and the sum of its
movements, none is negative, and every refused call wrote nothing.
"""

import random
import threading
from collections import Counter

from sqlalchemy import select

from stockapp.database import write_transaction
from stockapp.extensions import db
from stockapp.models import Balance, MovementKind, Role
from stockapp.services import counting, ledger, receiving
from stockapp.services.errors import InsufficientStock, StaleCount
from stockapp.services.warehouses import default_location_id
from tests.support.db import on_hand, row_count

THREADS = 8
OPERATIONS = 200
INITIAL = 40


def test_concurrent_writers_lose_nothing_and_never_go_negative(app, make_user, make_style):
    user = make_user(Role.CLERK)
    variants = list(make_style("C1", sizes=("S", "M", "L"), colours=()).values())
    with app.app_context():
        receiving.receive(lines=[(v, INITIAL) for v in variants], operator_id=user)
        location = default_location_id()
    barrier = threading.Barrier(THREADS)
    outcomes = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        accepted, tally, errors = Counter(), Counter(), []
        with app.app_context():
            barrier.wait()
            for _ in range(OPERATIONS):
                choice = rng.random()
                try:
                    if choice < 0.2:
                        kind = "count"
                        v = rng.choice(variants)
                        seen = on_hand(v)
                        db.session.rollback()
                        counted = max(seen + rng.randint(-3, 3), 0)
                        counting.count(
                            lines=[counting.CountLine(v, counted, seen)], operator_id=user
                        )
                        deltas = [(v, counted - seen)] if counted != seen else []
                    else:
                        if choice < 0.45:
                            deltas = [(rng.choice(variants), rng.randint(1, 5))]
                            kind = "increment"
                        elif choice < 0.75:
                            deltas = [(rng.choice(variants), -rng.randint(1, 6))]
                            kind = "decrement"
                        elif choice < 0.9:
                            deltas = [(v, rng.choice([-2, -1, 1, 2])) for v in variants]
                            rng.shuffle(deltas)
                            kind = "batch"
                        else:
                            deltas = [(variants[0], 1), (rng.choice(variants), -1_000_000)]
                            kind = "must_fail"
                        with write_transaction():
                            ledger.post(
                                [ledger.Line(v, location, d) for v, d in deltas],
                                kind=MovementKind.WRITE_OFF,
                                operator_id=user,
                                document_id=None,
                            )
                    for v, d in deltas:
                        accepted[v] += d
                    tally[kind + ":ok"] += 1
                    tally["lines"] += len(deltas)
                except (InsufficientStock, StaleCount):
                    tally[kind + ":refused"] += 1
                except Exception as unexpected:  # any other error fails the test
                    errors.append(repr(unexpected))
        outcomes.append((accepted, tally, errors))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"

    errors = [e for _, _, errs in outcomes for e in errs]
    assert errors == []
    # Counter.update keeps negative sums (``+`` would drop them).
    accepted, tally = Counter(), Counter()
    for thread_accepted, thread_tally, _ in outcomes:
        accepted.update(thread_accepted)
        tally.update(thread_tally)
    assert tally["must_fail:ok"] == 0 and tally["must_fail:refused"] > 0
    assert tally["decrement:ok"] > 0 and tally["increment:ok"] > 0 and tally["batch:ok"] > 0
    assert tally["count:ok"] > 0
    with app.app_context():
        for v in variants:
            assert on_hand(v) == INITIAL + accepted[v]
        quantities = db.session.scalars(select(Balance.qty)).all()
        assert min(quantities) >= 0
        stocktakes = tally["count:ok"]
        # Initial receipt: one movement per variant; then exactly the accepted lines.
        assert row_count("movements") == len(variants) + tally["lines"]
        assert row_count("documents") == 1 + stocktakes
        assert ledger.discrepancies() == []
