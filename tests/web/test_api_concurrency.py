"""Concurrent POSTs over real HTTP: a threaded werkzeug server on 127.0.0.1 serving the
test's own app (so on SQLite and on PostgreSQL), and 8 client threads released at once
by a barrier."""

import http.client
import json
import threading

from stockapp.models import Role
from tests.support.api import API, M, S, snapshot
from tests.support.apps import serving

THREADS = 8


def post_at_once(port: int, requests: list[tuple[str, dict, dict]]) -> list[tuple[int, dict]]:
    """POST each (path, body, headers) from its own thread and connection, all released
    together; returns (status, JSON body) in request order."""
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def run(i: int, path: str, body: dict, headers: dict) -> None:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.connect()
            payload = json.dumps(body).encode()
            barrier.wait(timeout=30)
            connection.request(
                "POST",
                API + path,
                body=payload,
                headers={"Content-Type": "application/json", **headers},
            )
            response = connection.getresponse()
            data = response.read()
            connection.close()
            results[i] = (response.status, json.loads(data) if data else None)
        except Exception as error:  # reported by the test, not lost in the thread
            results[i] = error

    threads = [
        threading.Thread(target=run, args=(i, *request), name=f"client-{i}")
        for i, request in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a client thread hung"
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, f"client errors: {errors!r}"
    return results


def test_concurrent_inbounds_with_one_idempotency_key_post_exactly_once(api):
    api.receive(**{S: 5})
    headers = api.auth(Role.CLERK)
    with serving(api.app) as port:
        for round_ in range(3):
            start_s, start_m = api.on_hand(S), api.on_hand(M)
            before = snapshot(api.app)
            body = {"lines": [{"sku": S, "qty": 3}, {"sku": M, "qty": 2}], "note": f"r{round_}"}
            key = {"Idempotency-Key": f"double-tap-{round_}"}
            results = post_at_once(port, [("/inbound", body, {**headers, **key})] * THREADS)

            statuses = [status for status, _ in results]
            assert statuses == [201] * THREADS, [r[1] for r in results if r[0] != 201]
            receipts = {answer["receipt"]["id"] for _, answer in results}
            assert len(receipts) == 1, f"round {round_}: {len(receipts)} receipts {receipts}"
            movement_ids = {tuple(m["id"] for m in answer["movements"]) for _, answer in results}
            assert len(movement_ids) == 1, movement_ids
            assert (api.on_hand(S), api.on_hand(M)) == (start_s + 3, start_m + 2), "posted twice"
            after = snapshot(api.app)
            assert after["movements"] == before["movements"] + 2
            assert after["documents"] == before["documents"] + 1
            assert after["idempotency_records"] == before["idempotency_records"] + 1


def test_concurrent_inbounds_with_their_own_keys_all_post_and_lose_nothing(api):
    """Starts from an empty ledger: the first posts also race to create the balance rows."""
    headers = api.auth(Role.CLERK)
    before = snapshot(api.app)
    # One warehouse: its default location and its transit one (在途).
    assert before["warehouses"] == 1 and before["locations"] == 2 and before["balances"] == 0
    requests = [
        (
            "/inbound",
            {"lines": [{"sku": S, "qty": i + 1}, {"sku": M, "qty": 1}]},
            {**headers, "Idempotency-Key": f"tablet-{i}"},
        )
        for i in range(THREADS)
    ]
    with serving(api.app) as port:
        results = post_at_once(port, requests)
    assert [status for status, _ in results] == [201] * THREADS, results
    assert len({answer["receipt"]["id"] for _, answer in results}) == THREADS
    added = sum(range(1, THREADS + 1))
    assert api.on_hand(S) == added and api.on_hand(M) == THREADS, "a lost update"
    # Each post saw the one before it: the running balances of S are 8 distinct steps.
    balances = sorted(
        m["balance_after"] for _, answer in results for m in answer["movements"] if m["sku"] == S
    )
    assert len(set(balances)) == THREADS and balances[-1] == added
    after = snapshot(api.app)
    assert (after["warehouses"], after["locations"], after["balances"]) == (1, 2, 2)
    assert after["movements"] == 2 * THREADS and after["documents"] == THREADS
    assert sorted(
        m["balance_after"] for _, answer in results for m in answer["movements"] if m["sku"] == M
    ) == list(range(1, THREADS + 1))


def test_concurrent_stocktakes_of_the_same_figure_one_wins_the_others_get_409(api):
    api.receive(**{S: 5})
    headers = api.auth(Role.CLERK)
    requests = [
        (
            "/stocktake",
            {"lines": [{"sku": S, "counted": 10 + i, "expected": 5}]},
            {**headers, "Idempotency-Key": f"count-{i}"},
        )
        for i in range(THREADS)
    ]
    before = snapshot(api.app)
    with serving(api.app) as port:
        results = post_at_once(port, requests)
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (THREADS - 1), statuses
    (winner,) = [answer for status, answer in results if status == 201]
    counted = winner["movements"][0]["balance_after"]
    assert winner["movements"][0]["delta"] == counted - 5
    assert api.on_hand(S) == counted
    for status, answer in results:
        if status == 409:
            assert answer["differences"] == [{"sku": S, "expected": 5, "on_hand": counted}]
    after = snapshot(api.app)
    assert after["movements"] == before["movements"] + 1
    assert after["documents"] == before["documents"] + 1
    assert after["idempotency_records"] == before["idempotency_records"] + 1
