"""Backups: how long ``flask backup`` takes and how big it is, and what writers keep.

The demo data (``demo-data``, 36 styles) and a larger database (``--styles``, 2,000 by
default) are each backed up three times: the size and the seconds the command
prints. Then StockApp runs under gunicorn (``-w 4``) on 127.0.0.1 on the larger
database and 8 client processes post single-line inbounds (``POST /api/v1/inbound``)
for ``--seconds``, alternately with nothing else running and while ``flask backup``
runs back to back (``--keep 2``), over ``--rounds`` rounds. The last backup taken
under load is restored into a new database and ``check-ledger`` must be clean.

Target: no writer refused while a backup runs, the restored ledger clean, and the
writers keep at least half their throughput during backups (median round).
``--database-url postgresql+psycopg://…/stockapp_bench`` runs on PostgreSQL (it
drops and creates NAME, NAME_small and NAME_restored).
"""

import os
import re
import statistics
import sys
import threading
import time
from pathlib import Path

from inbound import (
    SKU,
    BenchError,
    Target,
    common_parser,
    flask,
    flask_ok,
    fresh_database,
    hammer,
    parse_common,
    request,
    run_bench,
    start_stockapp,
    summarise,
)

WRITERS = 8
TARGET_KEPT = 0.5
WROTE = re.compile(r"^wrote (.+) \(([\d.]+) (kB|MB), ([\d.]+) s\)$", re.MULTILINE)


def database(args, tmp: Path, name: str) -> str:
    return fresh_database(args, tmp, name, "" if name == "bench" else f"_{name}")


def backup(env: dict, folder: Path, *extra: str) -> tuple[float, str]:
    """Run ``flask backup`` into ``folder``; the seconds it printed and the size, as printed."""
    found = WROTE.search(flask_ok(env, "backup", f"{folder}/", *extra))
    if not found:
        raise BenchError(f"flask backup printed no 'wrote …' line in {folder}")
    return float(found[4]), f"{found[2]} {found[3]}"


def time_backups(env: dict, tmp: Path, label: str) -> None:
    taken = [backup(env, tmp / f"{label.split()[0]}-{n}") for n in range(3)]
    seconds = sorted(s for s, _ in taken)
    print(
        f"  {label:<22} {taken[0][1]:>9}   {seconds[0]:.2f} / {seconds[1]:.2f} / "
        f"{seconds[2]:.2f} s (best / median / worst of 3)",
        flush=True,
    )


def row(result) -> str:
    return (
        f"{result.per_second:6.1f}, {result.percentile(50):4.0f}/{result.percentile(99):<4.0f},"
        f" {result.errors} (load {result.load:.1f})"
    )


def fill(env: dict, styles: int) -> None:
    flask_ok(env, "db", "upgrade")
    flask_ok(env, "create-user", "filler", "--role", "manager")
    flask_ok(env, "demo-data", "--styles", str(styles))


class BackupLoop(threading.Thread):
    """``flask backup`` back to back until stopped, keeping the newest 2."""

    def __init__(self, env: dict, folder: Path):
        super().__init__(daemon=True)
        self.env, self.folder = env, folder
        self.stopping = threading.Event()
        self.taken: list[float] = []
        self.failed: list[str] = []

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                seconds, _ = backup(self.env, self.folder, "--keep", "2")
                self.taken.append(seconds)
            except BenchError as failed:
                self.failed.append(str(failed))
                return
            time.sleep(1.05)  # names are per second: the next one needs a new name

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=120)


def main() -> int:
    parser = common_parser(__doc__)
    parser.add_argument("--styles", type=int, default=2000, help="styles in the larger database")
    parser.set_defaults(clients=WRITERS, seconds=8.0)
    args = parse_common(parser)
    if not 1 <= args.styles <= 20_000:
        parser.error("--styles must be 1–20,000")

    def body(tmp: Path, servers: list) -> bool:
        print("\nbackup size and time", flush=True)
        small = {
            **os.environ,
            "DATABASE_URL": database(args, tmp, "small"),
            "SECRET_KEY": "bench",
            "STOCKAPP_PASSWORD": "bench-password",
        }
        fill(small, 36)
        time_backups(small, tmp, "demo data (36 styles)")

        url = database(args, tmp, "bench")
        started = time.monotonic()
        server, env, auth = start_stockapp(url, tmp, servers)
        flask_ok(env, "demo-data", "--styles", str(args.styles))
        filled = time.monotonic() - started
        status, answer = request(
            server.port,
            "POST",
            "/api/v1/products",
            b'{"code": "BENCH", "name": "Bench tee", "sizes": ["M"]}',
            {**auth, "Content-Type": "application/json"},
        )
        if status != 201:
            raise BenchError(f"creating style BENCH answered {status}: {answer!r}")
        time_backups(env, tmp, f"{args.styles:,} styles")
        print(f"  (filling it took {filled:.0f} s)", flush=True)

        target = Target(
            "StockApp", server.port, "/api/v1/inbound", f"/api/v1/stock?sku={SKU}", auth
        )
        loop_folder = tmp / "under-load"
        rounds = []
        print(f"\n{args.clients} writers, {args.seconds:g} s each way, {args.rounds} rounds")
        print("  round | without backup: req/s, p50/p99 ms, errors | during backups: same, backups")
        for n in range(1, args.rounds + 1):
            hammer(target, args.warmup, args.clients)
            quiet = summarise("quiet", *hammer(target, args.seconds, args.clients))
            loop = BackupLoop(env, loop_folder)
            loop.start()
            time.sleep(0.5)  # the first backup is under way (its python has started)
            busy = summarise("busy", *hammer(target, args.seconds, args.clients))
            loop.stop()
            if loop.failed:
                raise BenchError(f"a backup failed under load: {loop.failed[0]}")
            rounds.append((quiet, busy, len(loop.taken)))
            print(f"  {n:>5} | {row(quiet)} | {row(busy)}, {len(loop.taken)} backups", flush=True)
        server.stop()

        newest = sorted(loop_folder.iterdir())[-1]
        restored = {**env, "DATABASE_URL": database(args, tmp, "restored")}
        done = flask(restored, "restore", str(newest))
        said = (done.stdout + done.stderr).strip().splitlines()
        print(f"\nrestore of {newest.name} into a new database: " + " / ".join(said[-2:]))

        kept = statistics.median(
            b.per_second / q.per_second if q.per_second else 0 for q, b, _ in rounds
        )
        errors = sum(q.errors + b.errors for q, b, _ in rounds)
        checks = {
            f"median throughput kept during backups {kept:.2f} ≥ {TARGET_KEPT}": kept
            >= TARGET_KEPT,
            f"{errors} writer errors = 0": errors == 0,
            "restored ledger OK": done.returncode == 0 and "ledger OK" in done.stdout,
        }
        for label, ok in checks.items():
            print(f"  [{'ok' if ok else 'FAIL'}] {label}")
        met = all(checks.values())
        print("TARGET MET" if met else "TARGET NOT MET")
        return met

    return run_bench("flask backup", args, body)


if __name__ == "__main__":
    sys.exit(main())
