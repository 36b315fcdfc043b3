"""Many tablets at once: threads that call services, all released together."""

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence


def run_threads(
    app,
    tasks_per_thread: Sequence[Sequence[tuple]],
    call: Callable[[tuple], object],
    expected: dict[str, tuple[type[Exception], ...]],
    *,
    timeout: float = 120,
) -> tuple[list, Counter, list[str]]:
    """Run ``call(task)`` for each thread's tasks, one thread per list, each in an app
    context of its own, all released together by a barrier; a task's first item names
    its kind.

    Returns the acknowledged ``(task, result)`` pairs, a tally of outcomes
    (``"<kind>:ok"``, ``"<kind>:<refusal>"``) and every unexpected error.
    ``expected``: what each kind of task may be refused with; anything else is an
    unexpected error. Every thread must end within ``timeout`` seconds of the start,
    all told; one that hangs fails the test (it is a daemon: it never holds up the run).
    """
    barrier = threading.Barrier(len(tasks_per_thread))
    outcomes = []
    lock = threading.Lock()

    def worker(tasks):
        acks, tally, errors = [], Counter(), []
        with app.app_context():
            barrier.wait(timeout=timeout)
            for task in tasks:
                kind = task[0]
                try:
                    acks.append((task, call(task)))
                    tally[kind + ":ok"] += 1
                except expected[kind] as refusal:
                    tally[f"{kind}:{type(refusal).__name__}"] += 1
                except Exception as unexpected:  # any other error fails the test
                    errors.append(f"{task}: {unexpected!r}")
        with lock:
            outcomes.append((acks, tally, errors))

    threads = [
        threading.Thread(target=worker, args=(tasks,), daemon=True) for tasks in tasks_per_thread
    ]
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    acks = [ack for thread_acks, _, _ in outcomes for ack in thread_acks]
    tally = sum((t for _, t, _ in outcomes), Counter())
    return acks, tally, [e for _, _, errs in outcomes for e in errs]
