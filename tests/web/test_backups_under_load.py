"""A backup taken while 8 tablets post inbounds over real HTTP restores into a new
database with a clean ledger and every receipt acknowledged before it started."""

import http.client
import json
import threading
import time

import sqlalchemy as sa

from stockapp.backups import EXTENSIONS
from stockapp.extensions import db
from stockapp.models import Role
from tests.support.api import API, L, M, S
from tests.support.apps import make_app, serving
from tests.support.db import stamp_head

WRITERS = 8
# Acknowledged receipts before the backup starts, so that it copies a busy database.
WARM_UP = 40
# Every loop below ends by this many seconds, whatever happens.
BOUND_S = 60


def test_backup_while_writers_post_restores_every_acknowledged_receipt(
    api, database_url_for, tmp_path
):
    stamp_head(api.app)
    headers = {"Content-Type": "application/json", **api.auth(Role.CLERK)}
    acknowledged: list[tuple[float, int]] = []  # (when the 201 arrived, receipt id)
    failures: list = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n: int, port: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        deadline = time.monotonic() + BOUND_S
        try:
            for i in range(10_000):
                if stop.is_set() or time.monotonic() > deadline:
                    return
                sku = (S, M, L)[(n + i) % 3]
                body = json.dumps({"lines": [{"sku": sku, "qty": 1 + n}], "note": f"w{n}-{i}"})
                connection.request(
                    "POST",
                    API + "/inbound",
                    body=body,
                    headers={**headers, "Idempotency-Key": f"writer-{n}-{i}"},
                )
                response = connection.getresponse()
                data = response.read()
                if response.status != 201:
                    with lock:
                        failures.append((response.status, data[:300]))
                    return
                with lock:
                    acknowledged.append((time.monotonic(), json.loads(data)["receipt"]["id"]))
        except Exception as error:  # reported by the test, not lost in the thread
            with lock:
                failures.append(error)
        finally:
            connection.close()

    kind = (
        "sqlite" if api.app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else "postgresql"
    )
    backup = tmp_path / f"during-load.{EXTENSIONS[kind]}"
    with serving(api.app) as port:
        threads = [threading.Thread(target=writer, args=(n, port)) for n in range(WRITERS)]
        for thread in threads:
            thread.start()
        try:
            deadline = time.monotonic() + BOUND_S
            while len(acknowledged) < WARM_UP and not failures and time.monotonic() < deadline:
                time.sleep(0.01)
            started = time.monotonic()
            with lock:
                before = {receipt for when, receipt in acknowledged if when < started}
            result = api.app.test_cli_runner().invoke(args=["backup", str(backup)])
            finished = time.monotonic()
            # The writers go on a moment after it, so the copy was taken among them.
            while not failures and time.monotonic() < finished + 0.3:
                time.sleep(0.01)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=BOUND_S)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    assert not failures, f"a writer was refused while the backup ran: {failures[:3]}"
    assert result.exit_code == 0, result.output
    assert len(before) >= WARM_UP
    after = {receipt for when, receipt in acknowledged if when > finished}
    assert after, "no writer posted after the backup: it did not run among writers"

    restored = make_app(database_url_for(kind, name="restored"))
    try:
        done = restored.test_cli_runner().invoke(args=["restore", str(backup)])
        assert done.exit_code == 0, done.output
        assert "ledger OK" in done.output
        with restored.app_context():
            receipts = set(db.session.scalars(sa.text("SELECT id FROM documents")))
            posted = db.session.scalar(sa.text("SELECT COALESCE(SUM(delta), 0) FROM movements"))
            stock = db.session.scalar(sa.text("SELECT COALESCE(SUM(qty), 0) FROM balances"))
    finally:
        with restored.app_context():
            db.session.remove()
            db.engine.dispose()
    missing = before - receipts
    assert not missing, f"{len(missing)} receipts acknowledged before the backup are lost"
    assert receipts <= {receipt for _, receipt in acknowledged}, "a receipt nobody was told of"
    assert posted == stock > 0
