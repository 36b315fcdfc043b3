"""How fast StockApp completes allocation orders under contention, and what the
live-count check costs when nothing has changed.

What it measures
    1. Completing orders (配货完成). One style of 4 colours × 6 sizes (24 variants)
       gets 1,000,000 pieces of each. Orders of 12 lines (1–3 pieces a line) are
       created and picked in full through the API (``POST /api/v1/orders``, then
       ``POST /api/v1/orders/{id}/picks``); order k takes the 12 variants from the
       (k mod 24)th on, so neighbouring orders share 11 of their 12 variants. 16
       client processes then complete their own orders one after another
       (``POST /api/v1/orders/{id}/complete`` with a manager's token) as fast as they
       can, for ``--seconds``: each completion locks the balances of its 12
       variants, which most completions in flight want too. A first, unmeasured
       batch (4 orders a client) warms the server up and sizes the measured batch
       (1.5 × what its pace completes in ``--seconds``, so time runs out first).
       Then the same again, in the same run, with a second style whose stock lies in
       3 warehouses × 20 bins (MAIN, BW2 and BW3, 2,000 pieces of each variant in each
       bin, none in the default locations; sent there by transfers and bin moves
       through the API): a completion then locks each of its variants' balances in
       60 bins and takes from the lowest first, two once the first runs dry. It
       prints both figures and their ratio.
    2. The live-count check. Every open page polls ``GET /live`` with the version
       it last saw in ``If-None-Match``; while nothing changes, the answer is an
       empty 304. 16 clients send that request for ``--seconds`` in a session
       signed in through the real login form; then the same clients ask a bare
       Flask ``GET /hello`` (``bench/bare_app.py``: Flask and nothing else). The
       two take turns, round after round (``--rounds``), each after ``--warmup``
       unmeasured seconds of the same load.
    Every server is ``gunicorn -w 4`` on 127.0.0.1; every request is a fresh connection.

How to read it
    orders/s    orders completed (200) per second of the run, in-flight tail included.
    p50, p99    latency of the accepted answers as the clients saw it, in ms.
    errors      completions answered other than 200, or not at all (status 0).
    left        orders of the measured batch that the time ran out on (never sent).
    seconds     the measured run, from the common start to the last answer.
    checks      [ok] or [FAIL], after the measured run:
                - the orders answered 200 are exactly those completed in the database;
                - each completed order was taken exactly once: every variant's on hand
                  fell by the sum of its picks on the completed orders, and each
                  completed order has exactly one allocation document;
                - their reservations were released (reserved fell by as much);
                - completing one of them again is refused with 409;
                - ``flask check-ledger`` reports the ledger OK.
    req/s       304 answers of /live (200 answers of /hello) per second.
    not 304     answers of /live other than 304: a 200 means the version moved,
                0 a failed connection. For /hello, answers other than 200.
    ratio       /live req/s ÷ /hello req/s per round, and the median round: what
                a poll costs beside the cheapest answer Flask can give.
    Client and server share the machine's CPUs, so the absolute figures depend on
    the machine; the ratio much less.

Targets
    Completion, in either layout: at least 250 orders/s on SQLite and 200 on
    PostgreSQL, p99 at most 100 ms, 0 errors, and every check above [ok]. The live
    check: median ratio at least 0.5. The script exits 0 when every target of what it
    ran is met, 2 when one is missed (``TARGET NOT MET``, so ``make bench-orders``
    fails), 1 if it could not set up or start a server, and 130 if interrupted
    (Ctrl-C or SIGTERM).

Usage
    .venv/bin/python bench/orders.py [--seconds 10] [--warmup 1] [--clients 16]
                                     [--rounds 3] [--database-url URL]
                                     [--only orders|live]

By default StockApp runs on a SQLite file in a temporary directory. With
``--database-url postgresql+psycopg://postgres@127.0.0.1:5432/stockapp_bench`` it
runs on that PostgreSQL database, dropped and created afresh (its name must
contain "bench"). The bare /hello touches no database.
"""

import json
import math
import re
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from inbound import (
    BENCH,
    BenchError,
    Gunicorn,
    Result,
    Target,
    check_ledger,
    common_parser,
    fetch,
    fresh_database,
    hammer,
    judge,
    parse_common,
    request,
    run_bench,
    start_stockapp,
    summarise,
)
from sqlalchemy import create_engine, select

from stockapp.models import Document, DocumentKind, Order, OrderStatus

STYLE = "ORDERS"
SIZES = ("S", "M", "L", "XL", "2XL", "3XL")
COLOURS = ("Black", "White", "Grey", "Navy")
LINES = 12  # per order
STOCK = 1_000_000  # pieces of each variant: far more than any run takes
PILOT_PER_CLIENT = 4  # unmeasured orders a client completes first
HEADROOM = 1.5  # measured orders: this × what the pilot's pace completes in --seconds
MIN_PER_CLIENT = 8
MAX_ORDERS = 20_000  # a bound on the set-up, whatever the machine
SETUP_THREADS = 8  # concurrent requests creating and picking the orders
AGAIN = 16  # completed orders sent again, each to be refused with 409
ORDERS_PER_SECOND = {"SQLite": 250, "PostgreSQL": 200}  # completion targets
MAX_P99_MS = 100
LIVE_RATIO = 0.5  # /live 304 ÷ bare /hello, median round


# --- Orders ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Where the orders' stock lies: one style per layout, its orders numbered apart."""

    name: str
    style: str
    warehouses: tuple[str, ...] = ()  # besides MAIN
    bins: int = 0  # per warehouse; 0: everything stays in MAIN's default location
    per_bin: int = 0  # pieces of each variant in each bin


ONE_PLACE = Layout("one warehouse, one location", STYLE)
# 3 warehouses × 20 bins: each variant's stock spread over all 60 bins (none left in the
# default locations), so that a completion locks a variant's balances in every bin and
# takes from two bins once its first runs dry.
PLACES = Layout("3 warehouses × 20 bins", "ORDERS-P", ("BW2", "BW3"), bins=20, per_bin=2_000)


def api(port: int, auth: dict, method: str, path: str, payload=None, expect: int = 200):
    """The JSON answer of one API call; ``BenchError`` unless its status is ``expect``."""
    body = None if payload is None else json.dumps(payload).encode()
    headers = {**auth, "Content-Type": "application/json"} if body else auth
    status, answer = request(port, method, "/api/v1" + path, body, headers)
    if status != expect:
        raise BenchError(f"StockApp: {method} /api/v1{path} answered {status}: {answer[:500]!r}")
    return json.loads(answer)


def stock_up(port: int, auth: dict, layout: Layout) -> list[str]:
    """Create the layout's style and receive its stock, spread as the layout says; its
    SKUs."""
    product = api(
        port,
        auth,
        "POST",
        "/products",
        {"code": layout.style, "name": "Bench order tee", "sizes": SIZES, "colors": COLOURS},
        expect=201,
    )
    skus = [variant["sku"] for variant in product["variants"]]
    places = ("MAIN", *layout.warehouses)
    each = layout.bins * layout.per_bin if layout.bins else STOCK
    lines = [{"sku": sku, "qty": each * len(places)} for sku in skus]
    api(port, auth, "POST", "/inbound", {"lines": lines, "note": "bench"}, expect=201)
    if layout.bins:
        spread(port, auth, skus, layout, places)
    return skus


def spread(port: int, auth: dict, skus: list[str], layout: Layout, places) -> None:
    """Send a share of the stock to each other warehouse (a transfer, shipped and
    received), then move it all from each default location into its bins."""
    share = layout.bins * layout.per_bin
    for code in layout.warehouses:
        api(port, auth, "POST", "/warehouses", {"code": code, "name": f"Bench {code}"}, 201)
    for code in places:
        for n in range(1, layout.bins + 1):
            api(port, auth, "POST", f"/warehouses/{code}/locations", {"code": f"B-{n:02d}"}, 201)
    for code in layout.warehouses:
        lines = [{"sku": sku, "qty": share} for sku in skus]
        transfer = api(
            port,
            auth,
            "POST",
            "/transfers",
            {"from_warehouse": "MAIN", "to_warehouse": code, "lines": lines},
            201,
        )
        api(port, auth, "POST", f"/transfers/{transfer['id']}/ship")
        arrived = [{"sku": sku, "received": share} for sku in skus]
        api(port, auth, "POST", f"/transfers/{transfer['id']}/receive", {"lines": arrived})
    for code in places:
        for n in range(1, layout.bins + 1):
            move = {
                "warehouse": code,
                "from_location": "DEFAULT",
                "to_location": f"B-{n:02d}",
                "lines": [{"sku": sku, "qty": layout.per_bin} for sku in skus],
            }
            api(port, auth, "POST", "/moves", move, 201)


def make_orders(
    port: int, auth: dict, skus: list[str], first: int, count: int, layout: Layout
) -> dict:
    """Create orders ``first`` … ``first + count - 1`` and pick them in full.

    Returns ``{order id: {sku: picked}}``.
    """

    def one(k: int) -> tuple[int, dict[str, int]]:
        lines = {skus[(k + j) % len(skus)]: 1 + (k + j) % 3 for j in range(LINES)}
        order = api(
            port,
            auth,
            "POST",
            "/orders",
            {
                "number": f"{layout.style}-{k:06d}",
                "customer": "Bench customer",
                "lines": [{"sku": sku, "qty": qty} for sku, qty in lines.items()],
            },
            expect=201,
        )
        picks = [{"sku": sku, "picked": qty} for sku, qty in lines.items()]
        api(port, auth, "POST", f"/orders/{order['id']}/picks", {"lines": picks})
        return order["id"], lines

    pool = ThreadPoolExecutor(SETUP_THREADS)
    try:
        return dict(pool.map(one, range(first, first + count)))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def complete_path(order_id: int) -> str:
    return f"/api/v1/orders/{order_id}/complete"


def plans(order_ids, clients: int) -> list[list[str]]:
    """Each client's own orders: neighbours go to different clients, so the
    completions in flight at any moment share most of their variants."""
    ids = sorted(order_ids)
    return [[complete_path(order_id) for order_id in ids[n::clients]] for n in range(clients)]


def levels(port: int, auth: dict, layout: Layout) -> dict[str, tuple[int, int]]:
    """``{sku: (on hand, reserved)}`` of the layout's style, read through the app."""
    product = api(port, auth, "GET", f"/products/{layout.style}")
    return {v["sku"]: (v["on_hand"], v["reserved"]) for v in product["variants"]}


def database_state(url: str, order_ids) -> tuple[set[int], Counter]:
    """The orders among ``order_ids`` completed in the database, and how many
    allocation documents each of them has."""
    engine = create_engine(url)
    ids = list(order_ids)
    try:
        with engine.connect() as connection:
            completed = set(
                connection.scalars(
                    select(Order.id).where(
                        Order.id.in_(ids), Order.status == OrderStatus.COMPLETED.value
                    )
                )
            )
            documents = Counter(
                connection.scalars(
                    select(Document.order_id).where(
                        Document.order_id.in_(ids),
                        Document.kind == DocumentKind.ALLOCATION.value,
                    )
                )
            )
    finally:
        engine.dispose()
    return completed, documents


def run_orders(
    url: str, server: Gunicorn, env: dict, auth: dict, args, layout: Layout
) -> tuple[bool, Result]:
    """Measure the completions of the layout's orders; whether every check and target
    is met, and the measured result."""
    port, clients = server.port, args.clients
    print(f"\nCompleting 12-line allocation orders: stock in {layout.name}", flush=True)
    started = time.monotonic()
    skus = stock_up(port, auth, layout)
    if layout.bins:
        print(f"  stock spread in {time.monotonic() - started:.1f} s", flush=True)
    target = Target("orders", port, "", headers=auth, body=None)

    pilot = make_orders(port, auth, skus, 0, clients * PILOT_PER_CLIENT, layout)
    elapsed, samples = hammer(target, args.seconds, clients, plans(pilot, clients))
    warm = summarise("pilot", elapsed, samples, ok=200)
    if not warm.accepted:
        raise BenchError(
            f"StockApp completed none of the {len(pilot)} first orders: "
            f"{dict(warm.statuses)}\n{server.log_tail()}"
        )
    per_client = math.ceil(warm.per_second * args.seconds * HEADROOM / clients)
    count = min(max(per_client, MIN_PER_CLIENT) * clients, MAX_ORDERS)
    print(
        f"  warm-up: {warm.accepted} of {len(pilot)} orders completed at "
        f"{warm.per_second:.1f}/s ({warm.errors} errors); setting up {count} more …",
        flush=True,
    )
    started = time.monotonic()
    orders = make_orders(port, auth, skus, len(pilot), count, layout)
    took = time.monotonic() - started
    print(
        f"  set-up: {count} orders created and picked in {took:.1f} s "
        f"({count / took:.0f} orders/s, {SETUP_THREADS} at a time)",
        flush=True,
    )

    before = levels(port, auth, layout)
    elapsed, samples = hammer(target, args.seconds, clients, plans(orders, clients))
    after = levels(port, auth, layout)
    result = summarise("orders", elapsed, samples, ok=200)
    order_of = {complete_path(order_id): order_id for order_id in orders}
    answered = {order_of[path] for _, _, status, path in samples if status == 200}
    left = len(orders) - len(samples)

    again = Counter(
        request(port, "POST", complete_path(order_id), headers=auth)[0]
        for order_id in sorted(answered)[:AGAIN]
    )
    completed, documents = database_state(url, orders)
    ledger, ledger_ok = check_ledger(env)
    report_orders(result, left, args)
    taken = {sku: 0 for sku in skus}
    for order_id in completed:
        for sku, picked in orders[order_id].items():
            taken[sku] += picked
    wrong_hand = [sku for sku in skus if after[sku][0] - before[sku][0] != -taken[sku]]
    wrong_reserved = [sku for sku in skus if after[sku][1] - before[sku][1] != -taken[sku]]
    documents_ok = all(documents[order_id] == (order_id in completed) for order_id in orders)
    checks = {
        f"{len(answered)} answered 200 = {len(completed)} completed in the database "
        f"(and the same orders)": answered == completed,
        f"taken exactly once: on hand fell by the picks of the completed orders "
        f"({sum(taken.values())} pieces) on {len(skus) - len(wrong_hand)} of {len(skus)} "
        "variants": not wrong_hand,
        "one allocation document per completed order, none for the others": documents_ok,
        f"reservations released on {len(skus) - len(wrong_reserved)} of {len(skus)} "
        "variants": not wrong_reserved,
        f"completed again: {_statuses(again)} (each should be 409)": set(again) <= {409},
        "check-ledger: " + ledger.splitlines()[0]: ledger_ok,
    }
    database = "PostgreSQL" if args.database_url else "SQLite"
    speed, p99 = ORDERS_PER_SECOND[database], result.percentile(99)
    checks[f"{result.per_second:.1f} orders/s ≥ {speed} ({database})"] = result.per_second >= speed
    checks[f"p99 {p99:.1f} ms ≤ {MAX_P99_MS} ms"] = p99 <= MAX_P99_MS
    checks[f"{result.errors} errors = 0"] = result.errors == 0
    for line in ledger.splitlines()[1:]:
        print(f"         {line}")
    for sku in wrong_hand:
        change = after[sku][0] - before[sku][0]
        print(f"         {sku}: on hand changed by {change}, picks of completed {taken[sku]}")
    return judge(checks), result


def report_orders(result: Result, left: int, args) -> None:
    print(
        f"\n  {args.clients} clients, {args.seconds:g} s; load average {result.load:.1f} at the end"
    )
    print(
        f"  {'completed':>9} {'orders/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'errors':>7} {'left':>6} {'seconds':>8}"
    )
    print(
        f"  {result.accepted:>9} {result.per_second:>9.1f} {result.percentile(50):>8.1f} "
        f"{result.percentile(99):>8.1f} {result.errors:>7} {left:>6} {result.seconds:>8.2f}"
    )
    if result.errors:
        print(f"  errors: {_statuses(result.statuses, skip=200)}")
    if not left:
        print("  (every order of the batch was sent before the time was up)")


def _statuses(statuses: Counter, skip: int | None = None) -> str:
    return (
        ", ".join(
            f"{n} × {'no answer' if status == 0 else status}"
            for status, n in sorted(statuses.items())
            if status != skip
        )
        or "none"
    )


# --- The live-count check ------------------------------------------------------------------


def _cookies(jar: SimpleCookie, headers) -> None:
    for value in headers.get_all("Set-Cookie") or ():
        jar.load(value)


def sign_in(port: int, password: str) -> str:
    """Sign "bench" in through the login form, CSRF token and all; the Cookie header."""
    jar = SimpleCookie()
    status, headers, page = fetch(port, "GET", "/login")
    found = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
    if status != 200 or not found:
        raise BenchError(f"StockApp: GET /login answered {status} without a CSRF token")
    _cookies(jar, headers)
    form = urlencode(
        {"username": "bench", "password": password, "csrf_token": found[1].decode()}
    ).encode()
    status, headers, _ = fetch(
        port,
        "POST",
        "/login",
        form,
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={m.value}" for k, m in jar.items()),
        },
    )
    if status != 302:
        raise BenchError(f"StockApp: signing in answered {status}, not a redirect")
    _cookies(jar, headers)
    return "; ".join(f"{k}={m.value}" for k, m in jar.items())


def live_target(port: int, password: str) -> Target:
    """``GET /live`` as a signed-in page polls it, with the ETag it last saw."""
    cookie = sign_in(port, password)
    status, headers, _ = fetch(port, "GET", "/live", headers={"Cookie": cookie})
    etag = headers.get("ETag")
    if status != 200 or not etag:
        raise BenchError(f"StockApp: GET /live answered {status} (ETag {etag!r})")
    target = Target(
        "StockApp /live",
        port,
        "/live",
        headers={"Cookie": cookie, "If-None-Match": etag},
        method="GET",
        body=None,
    )
    status, _, _ = fetch(port, "GET", "/live", headers=target.headers)
    if status != 304:
        raise BenchError(f"StockApp: GET /live with If-None-Match {etag} answered {status}")
    return target


def run_live(server: Gunicorn, env: dict, tmp: Path, servers: list, args) -> bool:
    print("\nThe live-count check: GET /live with If-None-Match (each answer 304)", flush=True)
    live = live_target(server.port, env["STOCKAPP_PASSWORD"])
    bare = Gunicorn(
        "bare",
        "bare_app:create_app()",
        cwd=BENCH,
        env={**env, "BARE_DATABASE_URL": f"sqlite:///{tmp / 'unused.sqlite'}"},
        log=tmp / "bare.log",
    )
    servers.append(bare)
    bare.wait_ready("/hello")
    hello = Target("bare /hello", bare.port, "/hello", method="GET", body=None)

    rounds = []
    for n in range(1, args.rounds + 1):
        pair = []
        for target, ok in ((live, 304), (hello, 200)):
            if args.warmup > 0:
                hammer(target, args.warmup, args.clients)
            elapsed, samples = hammer(target, args.seconds, args.clients)
            pair.append(summarise(target.name, elapsed, samples, ok=ok))
            print(f"  round {n}: {target.name} done", flush=True)
        rounds.append(pair)
    bare.stop()
    return report_live(rounds, args)


def report_live(rounds: list[list[Result]], args) -> bool:
    print(f"\n  {args.clients} clients, {args.seconds:g} s each, the two taking turns")
    print(
        f"  {'round':>5}  {'app':<15} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'not 304/200':>11} {'load':>5}"
    )
    for n, pair in enumerate(rounds, 1):
        for result in pair:
            print(
                f"  {n:>5}  {result.name:<15} {result.per_second:>8.1f} "
                f"{result.percentile(50):>7.1f} {result.percentile(99):>7.1f} "
                f"{result.errors:>11} {result.load:>5.1f}"
            )
    ratios = [
        live.per_second / hello.per_second if hello.per_second else 0.0 for live, hello in rounds
    ]
    print(
        f"  ratio /live ÷ /hello: {', '.join(f'{r:.2f}' for r in ratios)} by round; "
        f"median {statistics.median(ratios):.2f}"
    )
    for live, hello in rounds:
        for result in (live, hello):
            if result.errors:
                print(f"  {result.name}: {_statuses(result.statuses, skip=result.ok)}")
    median = statistics.median(ratios)
    errors = sum(live.errors for live, _ in rounds)
    return judge(
        {
            f"median ratio {median:.2f} ≥ {LIVE_RATIO}": median >= LIVE_RATIO,
            f"{errors} not 304 = 0": errors == 0,
        }
    )


# --- Main ------------------------------------------------------------------------------


def main() -> int:
    parser = common_parser(__doc__)
    parser.add_argument("--only", choices=("orders", "live"), help="run one of the two")
    args = parse_common(parser)

    def body(tmp: Path, servers: list) -> bool:
        url = fresh_database(args, tmp, "orders")
        server, env, auth = start_stockapp(url, tmp, servers)
        met = True
        if args.only != "live":
            one, alone = run_orders(url, server, env, auth, args, ONE_PLACE)
            spread_met, spread_out = run_orders(url, server, env, auth, args, PLACES)
            ratio = spread_out.per_second / alone.per_second if alone.per_second else 0.0
            print(
                f"\n  {PLACES.name} ÷ {ONE_PLACE.name}: {spread_out.per_second:.1f} ÷ "
                f"{alone.per_second:.1f} orders/s = {ratio:.2f}; p99 "
                f"{spread_out.percentile(99):.1f} against {alone.percentile(99):.1f} ms"
            )
            met = one and spread_met and met
        if args.only != "orders":
            met = run_live(server, env, tmp, servers, args) and met
        return met

    return run_bench("StockApp orders and live-count benchmark", args, body)


if __name__ == "__main__":
    sys.exit(main())
