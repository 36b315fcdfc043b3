"""How fast StockApp takes goods in under contention, and whether it loses any.

What it measures
    16 client processes post single-line receipts (``POST /api/v1/inbound``, one
    piece of BENCH-M each, all onto the same balance row) as fast as they can for
    ``--seconds`` (default 10), one fresh connection per request, against StockApp
    served by ``gunicorn -w 4`` on 127.0.0.1. Then the same clients do the same
    against ``bench/bare_app.py``: a bare Flask endpoint that runs just one
    ``UPDATE … qty = qty + 1 … RETURNING`` and one ``INSERT`` per request on the
    same kind of database. The bare endpoint is the ceiling; StockApp pays on top
    of it for authentication, validation, the ORM, the receipt document and the
    JSON answer.

How to read it
    req/s     accepted (201) posts per second of the run, in-flight tail included.
    p50, p99  latency of the accepted posts as the clients saw it, in ms.
    errors    answers other than 201, and failed connections (status 0).
    lost      accepted posts minus the change of the balance (read before and
              after through the app): any other value than 0 is a lost (or a
              phantom) update. ``check-ledger`` must also report the ledger OK.
    ratio     StockApp req/s ÷ bare req/s, per round; the two apps take turns, round
              after round (--rounds, default 3), and the target is judged on the
              median round. Target: ≥ 0.6 with 0 errors and 0 lost.
    Client and server share the machine's CPUs, so the absolute figures depend on
    the machine; the ratio much less. The script exits 0 when the target is met
    and 2 when it is missed (so ``make bench`` fails), 1 if it could not set up or
    start a server, and 130 if interrupted (Ctrl-C or SIGTERM).

Usage
    .venv/bin/python bench/inbound.py [--seconds 10] [--warmup 1] [--clients 16]
                                      [--rounds 3] [--database-url URL]
    Each app first gets ``--warmup`` unmeasured seconds of the same load; the
    balance is read after it, so the lost check covers the measured run only.

By default both apps run on SQLite files in a temporary directory. With
``--database-url postgresql+psycopg://postgres@127.0.0.1:5432/stockapp_bench``
StockApp runs on that PostgreSQL database, dropped and created afresh (its name
must contain "bench"), and the bare endpoint on ``<name>_bare`` on the same server.
"""

import argparse
import contextlib
import http.client
import json
import multiprocessing
import os
import queue
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import bare_app
import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BIN = ROOT / ".venv" / "bin" if (ROOT / ".venv" / "bin").is_dir() else Path(sys.executable).parent

HOST = "127.0.0.1"
WORKERS = 4
SKU = "BENCH-M"
BODY = json.dumps({"lines": [{"sku": SKU, "qty": 1}], "note": "bench"}).encode()
TARGET_RATIO = 0.6
REQUEST_TIMEOUT = 30  # seconds; a request that takes longer counts as an error (status 0)
MAX_REQUESTS_PER_CLIENT = 50_000  # a bound besides the time, whatever the machine
MAX_SECONDS = 300
START_TIMEOUT = 60  # seconds for a server to answer after gunicorn starts


class BenchError(Exception):
    """The benchmark could not be set up; nothing was measured."""


@dataclass
class Target:
    """One app under test and how to talk to it: each client sends ``method path``."""

    name: str
    port: int
    path: str
    balance_path: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "POST"
    body: bytes | None = BODY


@dataclass
class Result:
    name: str
    seconds: float
    statuses: Counter
    latencies_ms: list[float]  # of the accepted requests
    before: int = 0
    after: int = 0
    load: float = 0.0  # 1-minute load average at the end of the run
    ledger: str = ""
    ledger_ok: bool = True
    ok: int = 201  # the status of an accepted request

    @property
    def accepted(self) -> int:
        return self.statuses[self.ok]

    @property
    def errors(self) -> int:
        return sum(self.statuses.values()) - self.accepted

    @property
    def per_second(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0

    @property
    def lost(self) -> int:
        return self.accepted - (self.after - self.before)

    def percentile(self, p: int) -> float:
        return percentile(self.latencies_ms, p)


def percentile(values: list[float], p: int) -> float:
    """The ``p``th percentile (1–99) of ``values``, interpolated; NaN if there are none."""
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


# --- HTTP ------------------------------------------------------------------------------


def fetch(port: int, method: str, path: str, body: bytes | None = None, headers=None):
    """``(status, headers, body)`` of one request on a fresh connection; status 0 if it
    failed."""
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    except (OSError, http.client.HTTPException):
        return 0, http.client.HTTPMessage(), b""
    finally:
        connection.close()


def request(port: int, method: str, path: str, body: bytes | None = None, headers=None):
    """``(status, body)`` of one request on a fresh connection; status 0 if it failed."""
    status, _, answer = fetch(port, method, path, body, headers)
    return status, answer


def read_balance(target: Target) -> int:
    status, body = request(target.port, "GET", target.balance_path, headers=target.headers)
    if status != 200:
        raise BenchError(f"{target.name}: GET {target.balance_path} answered {status}: {body!r}")
    return json.loads(body)["on_hand"]


def client(target: Target, seconds: float, barrier, results, paths=None) -> None:
    """One client process: send until ``seconds`` after the common start, report samples.

    Each request goes to ``target.path``, or with ``paths`` to the next of them,
    until they run out. A sample is ``(done, latency, status, path)``.
    """
    # The parent stops us (SIGTERM) on Ctrl-C; do not inherit its handlers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    headers = dict(target.headers)
    if target.body is not None:
        headers["Content-Type"] = "application/json"
    todo = iter(paths) if paths is not None else None
    samples = []
    try:
        barrier.wait(timeout=30)
    except threading.BrokenBarrierError:
        results.put(samples)
        return
    end = time.monotonic() + seconds
    while len(samples) < MAX_REQUESTS_PER_CLIENT:
        begun = time.monotonic()
        path = target.path if todo is None else next(todo, None)
        if begun >= end or path is None:
            break
        status, _ = request(target.port, target.method, path, target.body, headers)
        done = time.monotonic()
        samples.append((done, done - begun, status, path))
    results.put(samples)


def hammer(target: Target, seconds: float, clients: int, plans=None) -> tuple[float, list]:
    """Run ``clients`` processes for ``seconds``; the elapsed time and every sample.

    With ``plans`` (one list of paths per client) each client stops early once
    through its list, and the elapsed time is up to the last answer.
    """
    barrier = multiprocessing.Barrier(clients + 1)
    results = multiprocessing.Queue()
    processes = [
        multiprocessing.Process(
            target=client,
            args=(target, seconds, barrier, results, None if plans is None else plans[n]),
        )
        for n in range(clients)
    ]
    try:
        for process in processes:
            process.start()
        barrier.wait(timeout=30)
        started = time.monotonic()
        samples = []
        for _ in processes:
            samples.extend(results.get(timeout=seconds + REQUEST_TIMEOUT + 30))
        for process in processes:
            process.join(timeout=10)
    except (threading.BrokenBarrierError, queue.Empty) as stuck:
        raise BenchError(f"{target.name}: the clients did not start or report in time") from stuck
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
    finished = max((sample[0] for sample in samples), default=started)
    if plans is not None:
        return finished - started, samples
    return max(finished - started, seconds), samples


def summarise(name: str, elapsed: float, samples: list, ok: int = 201, **fields) -> Result:
    """The ``Result`` of a ``hammer`` run whose accepted answers have status ``ok``."""
    return Result(
        name=name,
        seconds=elapsed,
        statuses=Counter(sample[2] for sample in samples),
        latencies_ms=[sample[1] * 1000 for sample in samples if sample[2] == ok],
        load=os.getloadavg()[0],
        ok=ok,
        **fields,
    )


def measure(target: Target, *, seconds: float, warmup: float, clients: int) -> Result:
    if warmup > 0:
        hammer(target, warmup, clients)
    before = read_balance(target)
    elapsed, samples = hammer(target, seconds, clients)
    after = read_balance(target)
    return summarise(target.name, elapsed, samples, before=before, after=after)


# --- Servers and set-up --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Gunicorn:
    """``gunicorn -w 4`` on 127.0.0.1 in its own session, stopped by ``stop()``."""

    def __init__(self, name: str, app: str, *, cwd: Path, env: dict, log: Path):
        self.name, self.log = name, log
        self.port = free_port()
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [BIN / "gunicorn", "-w", str(WORKERS), "-b", f"{HOST}:{self.port}", app],
                cwd=cwd,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, path: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.name}: gunicorn exited.\n{self.log_tail()}")
            status, _ = request(self.port, "GET", path)
            if 0 < status < 500:
                return
            time.sleep(0.2)
        raise BenchError(f"{self.name}: no answer within {START_TIMEOUT} s.\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                # Master and workers share the session (and group) we gave them.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join("    " + line for line in text[-lines:])


def flask(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BIN / "flask", "--app", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def flask_ok(env: dict, *args: str) -> str:
    done = flask(env, *args)
    if done.returncode != 0:
        raise BenchError(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def fresh_postgres_database(url: str) -> None:
    """Drop and create the database named in ``url`` (only a "bench" one)."""
    parsed = make_url(url)
    if "bench" not in (parsed.database or ""):
        raise BenchError(f"refusing to drop {parsed.database!r}: use a database named *bench*")
    try:
        with psycopg.connect(
            host=parsed.host or HOST,
            port=parsed.port or 5432,
            user=parsed.username,
            password=parsed.password,
            dbname="postgres",
            autocommit=True,
        ) as connection:
            name = sql.Identifier(parsed.database)
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            connection.execute(sql.SQL("CREATE DATABASE {}").format(name))
    except psycopg.OperationalError as failed:
        raise BenchError(f"PostgreSQL at {parsed.host}:{parsed.port}: {failed}") from failed


def start_stockapp(url: str, tmp: Path, servers: list) -> tuple[Gunicorn, dict, dict]:
    """Migrate the database at ``url``, make the manager "bench" and serve StockApp.

    Returns the server, the environment of its ``flask`` commands (the password of
    "bench" is its ``STOCKAPP_PASSWORD``) and the headers of bench's API token.
    """
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-" + os.urandom(16).hex(),
        "STOCKAPP_PASSWORD": "bench-" + os.urandom(8).hex(),
    }
    flask_ok(env, "db", "upgrade")
    flask_ok(env, "create-user", "bench", "--role", "manager")
    token = flask_ok(env, "create-token", "bench").split()[-1]

    server = Gunicorn("StockApp", "app:app", cwd=ROOT, env=env, log=tmp / "stockapp.log")
    servers.append(server)
    server.wait_ready("/api/v1/openapi.json")
    return server, env, {"Authorization": f"Bearer {token}"}


def check_ledger(env: dict) -> tuple[str, bool]:
    """What ``flask check-ledger`` says of the database in ``env``, and whether it is OK."""
    done = flask(env, "check-ledger")
    said = (done.stdout + done.stderr).strip() or f"exit status {done.returncode}"
    return said, done.returncode == 0


def run_stockapp(url: str, tmp: Path, servers: list, args) -> Result:
    server, env, auth = start_stockapp(url, tmp, servers)
    status, body = request(
        server.port,
        "POST",
        "/api/v1/products",
        json.dumps({"code": "BENCH", "name": "Bench tee", "sizes": ["M"]}).encode(),
        {**auth, "Content-Type": "application/json"},
    )
    if status != 201:
        raise BenchError(f"StockApp: creating style BENCH answered {status}: {body!r}")

    target = Target("StockApp", server.port, "/api/v1/inbound", f"/api/v1/stock?sku={SKU}", auth)
    result = measure(target, seconds=args.seconds, warmup=args.warmup, clients=args.clients)
    server.stop()
    result.ledger, result.ledger_ok = check_ledger(env)
    return result


def run_bare(url: str, tmp: Path, servers: list, args) -> Result:
    bare_app.init_db(url)
    env = {**os.environ, "BARE_DATABASE_URL": url}
    server = Gunicorn("bare", "bare_app:create_app()", cwd=BENCH, env=env, log=tmp / "bare.log")
    servers.append(server)
    server.wait_ready("/balance")
    target = Target("bare Flask", server.port, "/inbound", "/balance")
    result = measure(target, seconds=args.seconds, warmup=args.warmup, clients=args.clients)
    server.stop()
    qty, total, count = bare_app.ledger_check(url)
    result.ledger_ok = qty == total
    result.ledger = (
        f"ledger {'OK' if result.ledger_ok else 'BROKEN'}: balance {qty}, "
        f"{count} movements summing to {total}"
    )
    return result


# --- Report ----------------------------------------------------------------------------


def report(result: Result, setting: str) -> None:
    errors = ", ".join(
        f"{n} × {'no answer' if status == 0 else status}"
        for status, n in sorted(result.statuses.items())
        if status != 201
    )
    change = result.after - result.before
    print(f"\n{result.name} ({setting})")
    print(f"  accepted      {result.accepted} in {result.seconds:.2f} s")
    print(f"  req/s         {result.per_second:.1f}   (load average {result.load:.1f})")
    print(
        f"  latency       p50 {result.percentile(50):.1f} ms   p99 {result.percentile(99):.1f} ms"
    )
    print(f"  errors        {result.errors}" + (f"  ({errors})" if errors else ""))
    print(
        f"  balance       {result.before} -> {result.after} (change {change}); "
        f"lost = {result.accepted} - {change} = {result.lost}"
    )
    for n, line in enumerate(result.ledger.splitlines()):
        print(f"  {'check-ledger' if n == 0 else '':<12}  {line}")
    sys.stdout.flush()


def verdict(rounds: list[tuple[Result, Result]]) -> bool:
    """The target, judged on the median round: rounds alternate the two apps, so a
    passing disturbance on the machine cannot favour one of them."""
    ratios = [app.per_second / bare.per_second if bare.per_second else 0.0 for app, bare in rounds]
    median = statistics.median(ratios)
    apps = [app for app, _ in rounds]
    errors, lost = sum(a.errors for a in apps), sum(abs(a.lost) for a in apps)
    checks = {
        f"median ratio {median:.2f} ≥ {TARGET_RATIO}": median >= TARGET_RATIO,
        f"{errors} errors = 0": errors == 0,
        f"{lost} lost = 0": lost == 0,
        "check-ledger OK": all(a.ledger_ok for a in apps),
    }
    print()
    for n, ((app, bare), ratio) in enumerate(zip(rounds, ratios, strict=True), 1):
        print(
            f"round {n}: StockApp ÷ bare = {app.per_second:.1f} ÷ {bare.per_second:.1f} "
            f"= {ratio:.2f}"
        )
    print(f"target: ratio ≥ {TARGET_RATIO} (median of rounds), 0 errors, 0 lost, ledger OK")
    if any(bare.errors or bare.lost or not bare.ledger_ok for _, bare in rounds):
        print("  warning: the bare endpoint itself had errors or lost updates; ratio is suspect")
    return judge(checks)


def judge(checks: dict[str, bool]) -> bool:
    """Print each check, [ok] or [FAIL], then TARGET MET or NOT MET; whether all are met."""
    for label, ok in checks.items():
        print(f"  [{'ok' if ok else 'FAIL'}] {label}")
    met = all(checks.values())
    print("TARGET MET" if met else "TARGET NOT MET", flush=True)
    return met


def common_parser(doc: str) -> argparse.ArgumentParser:
    """The options every benchmark here takes; ``parse_common`` checks them."""
    parser = argparse.ArgumentParser(description=doc.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per app")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    parser.add_argument("--clients", type=int, default=16, help="concurrent client processes")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each app once per round")
    parser.add_argument(
        "--database-url",
        help="run on this PostgreSQL database (postgresql+psycopg://…/NAME, NAME containing "
        "'bench') and the bare endpoint on NAME_bare; default: SQLite in a temporary directory",
    )
    return parser


def parse_common(parser: argparse.ArgumentParser) -> argparse.Namespace:
    args = parser.parse_args()
    if not 0 < args.seconds <= MAX_SECONDS or not 0 <= args.warmup <= MAX_SECONDS:
        parser.error(f"--seconds and --warmup are limited to {MAX_SECONDS}")
    if not 1 <= args.clients <= 64:
        parser.error("--clients must be 1–64")
    if not 1 <= args.rounds <= 9:
        parser.error("--rounds must be 1–9")
    if args.database_url:
        url = make_url(args.database_url)
        if url.get_backend_name() != "postgresql":
            parser.error("--database-url must be a postgresql:// URL (SQLite is the default)")
        args.database_url = url.set(drivername="postgresql+psycopg")
    return args


def fresh_database(args, tmp: Path, name: str, postgres_suffix: str = "") -> str:
    """The URL of a new, empty database: ``<tmp>/<name>.sqlite``, or with
    ``--database-url`` that PostgreSQL database, its name followed by ``postgres_suffix``."""
    if not args.database_url:
        return f"sqlite:///{tmp / f'{name}.sqlite'}"
    url = args.database_url
    url = url.set(database=url.database + postgres_suffix).render_as_string(hide_password=False)
    fresh_postgres_database(url)
    return url


def fresh_databases(args, tmp: Path, n: int) -> tuple[str, str]:
    """New, empty databases for round ``n``: StockApp's and the bare endpoint's."""
    return fresh_database(args, tmp, f"bench{n}"), fresh_database(args, tmp, f"bare{n}", "_bare")


def _interrupt(*_) -> None:
    """SIGTERM (from make or a supervisor) unwinds like Ctrl-C, stopping the servers."""
    raise KeyboardInterrupt


def exit_status(body: Callable[[], bool | None]) -> int:
    """Run ``body()``; the exit status: 0 once measured (and, where ``body`` judges a
    target, met), 2 if it returned False (a target missed), 1 if a ``BenchError``
    stopped it, 130 on Ctrl-C or SIGTERM."""
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        met = body()
    except BenchError as failed:
        print(f"\nbenchmark failed: {failed}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    return 2 if met is False else 0


def run_bench(title: str, args, body: Callable[[Path, list], bool | None]) -> int:
    """Run ``body(tmp, servers)``, stopping every server it started, however it ends.

    Prints the heading first. Returns the exit status, as ``exit_status``.
    """
    servers: list[Gunicorn] = []
    with tempfile.TemporaryDirectory(prefix="stockapp-bench-") as tmp_name:
        setting = "PostgreSQL" if args.database_url else "SQLite"
        setting += f", gunicorn -w {WORKERS}, {args.clients} clients, {args.seconds:g} s"
        print(f"{title}: {setting}, {args.rounds} round(s)", flush=True)
        print(
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} before the run "
            "(other work on the machine skews the figures; the ratio less so)",
            flush=True,
        )
        try:
            return exit_status(lambda: body(Path(tmp_name), servers))
        finally:
            for server in servers:
                server.stop()


def main() -> int:
    args = parse_common(common_parser(__doc__))

    def body(tmp: Path, servers: list) -> bool:
        rounds = []
        for n in range(1, args.rounds + 1):
            app_url, bare_url = fresh_databases(args, tmp, n)
            app = run_stockapp(app_url, tmp, servers, args)
            report(app, f"round {n}")
            bare = run_bare(bare_url, tmp, servers, args)
            report(bare, f"round {n}")
            rounds.append((app, bare))
        return verdict(rounds)

    return run_bench("StockApp inbound benchmark", args, body)


if __name__ == "__main__":
    sys.exit(main())
