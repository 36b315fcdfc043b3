"""How long the floor's pages take to render with a large catalogue (server side).

Builds a SQLite database with ``--styles`` styles × 5 sizes × 2 colours (100,000
variants by default) and about two movements per variant, written in bulk
straight into the tables (a bench fixture, not the ledger's path), checks the
ledger invariant on it, and then times each page through the Flask test client:
the product list, a name search, a barcode scan, a product page, "why this
number", the stock logs, and the allocation orders (``--orders`` of 12 lines
each, one in five still open and reserving, the rest complete), with the live
check. It prints p50 and p95 per page, in milliseconds.

Usage: .venv/bin/python bench/pages.py [--styles 10000] [--orders 20000] [--repeat 30]
"""

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from stockapp import create_app  # noqa: E402
from stockapp.extensions import db  # noqa: E402
from stockapp.models import Balance, Movement, Order, OrderLine, Style, Variant  # noqa: E402
from stockapp.services import accounts, ledger  # noqa: E402
from stockapp.services.catalogue import ean13  # noqa: E402

SIZES = ("S", "M", "L", "XL", "2XL")
COLOURS = ("黑色", "白色")


def build(app, styles: int, orders: int) -> None:
    with app.app_context():
        db.create_all()
        db.session.execute(text("INSERT INTO warehouses (code, name) VALUES ('MAIN', '主仓库')"))
        db.session.execute(
            text("INSERT INTO locations (warehouse_id, code, is_default) VALUES (1, 'DEFAULT', 1)")
        )
        db.session.commit()
        user = accounts.create_user(username="bench", password="bench-password", role="manager")
        started = time.perf_counter()
        db.session.execute(
            insert(Style),
            [
                {"code": f"S{n:06d}", "name": f"款式 {n} 纯棉T恤", "category": f"类{n % 12}"}
                for n in range(styles)
            ],
        )
        variants, balances, movements = [], [], []
        vid = 0
        for n in range(styles):
            for c, colour in enumerate(COLOURS):
                for s, size in enumerate(SIZES):
                    vid += 1
                    variants.append(
                        {
                            "id": vid,
                            "style_id": n + 1,
                            "colour": colour,
                            "colour_rank": c,
                            "size": size,
                            "size_rank": s,
                            "sku": f"S{n:06d}-{colour}-{size}",
                            "barcode": ean13(f"2{vid:011d}"),
                        }
                    )
                    qty_in, qty_out = 10 + vid % 40, vid % 7
                    balances.append({"variant_id": vid, "location_id": 1, "qty": qty_in - qty_out})
                    movements.append((vid, qty_in, qty_in, "inbound"))
                    if qty_out:
                        movements.append((vid, -qty_out, qty_in - qty_out, "stocktake"))
        db.session.execute(insert(Variant), variants)
        db.session.execute(insert(Balance), balances)
        db.session.execute(
            insert(Movement),
            [
                {
                    "variant_id": v,
                    "location_id": 1,
                    "delta": d,
                    "balance_after": after,
                    "kind": kind,
                    "operator_id": user,
                    "note": "bench",
                }
                for v, d, after, kind in movements
            ],
        )
        # Orders of 12 lines over two neighbouring styles; every fifth one still open.
        # (Their stock movements are left out: only the order tables matter here.)
        order_rows, line_rows = [], []
        for n in range(orders):
            first = (n * 7919) % (styles - 1) * 10 + 1
            open_ = n % 5 == 0
            order_rows.append(
                {
                    "id": n + 1,
                    "number": f"PH-{n + 1:06d}",
                    "customer": f"客户{n % 300}",
                    "note": "",
                    "status": "open" if open_ else "completed",
                    "created_by": user,
                    "cancel_reason": "",
                }
            )
            for k in range(12):
                qty = 1 + (n + k) % 6
                line_rows.append(
                    {
                        "order_id": n + 1,
                        "variant_id": first + k * 3 % 20,
                        "ordered": qty,
                        "picked": 0 if open_ else qty,
                        "shipped": 0 if open_ else qty,
                        "returned": 0,
                        "reserving": open_,
                    }
                )
        db.session.execute(insert(Order), order_rows)
        db.session.execute(insert(OrderLine), line_rows)
        db.session.commit()
        print(
            f"built {styles:,} styles, {len(variants):,} variants, {len(movements):,} movements, "
            f"{orders:,} orders of 12 lines "
            f"in {time.perf_counter() - started:.1f} s; ledger "
            f"{'OK' if not ledger.discrepancies() else 'BROKEN'}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--styles", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stockapp-pages-") as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/pages.sqlite",
                "SECRET_KEY": "bench",
                "WTF_CSRF_ENABLED": False,
            }
        )
        # The request log lines are still made and written, to /dev/null, not the terminal.
        for handler in logging.getLogger("stockapp").handlers:
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 (open for the run)
        build(app, args.styles, args.orders)
        client = app.test_client()
        client.post("/login", data={"username": "bench", "password": "bench-password"})
        middle = f"S{args.styles // 2:06d}"
        with app.app_context():
            barcode = db.session.scalar(
                text("SELECT barcode FROM variants WHERE sku LIKE :s"), {"s": middle + "-%"}
            )
            variant = db.session.scalar(
                text("SELECT id FROM variants WHERE sku LIKE :s"), {"s": middle + "-%"}
            )
        pages = {
            "product list, page 1": "/",
            "product list, page 100": "/?page=100",
            "search by name (substring)": f"/?q={args.styles // 3}%20纯棉",
            "scan a barcode (opens the style)": f"/?q={barcode}",
            "product page (2 × 5 matrix)": f"/products/{middle}",
            "why this number": f"/variants/{variant}/why",
            "stock log, all, page 1": "/logs",
            "stock log, one style": f"/logs?q={middle}",
            "stock log, adjustment": "/logs?kind=adjustment",
            "orders, open and picking": "/orders",
            "orders, search a customer": "/orders?state=all&q=客户42",
            "an open order (12 lines)": f"/orders/{args.orders // 2 + 1}",
            "picking list": f"/orders/{args.orders // 2 + 1}/picking-list",
            "live check": "/live",
        }
        print(f"\n{'page':36} {'p50 ms':>8} {'p95 ms':>8}  status")
        for name, path in pages.items():
            timings, status = [], None
            client.get(path)  # warm the caches: the figures are for a page in use
            for _ in range(args.repeat):
                started = time.perf_counter()
                status = client.get(path).status_code
                timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
            p95 = timings[int(len(timings) * 0.95) - 1]
            print(f"{name:36} {statistics.median(timings):8.1f} {p95:8.1f}  {status}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
