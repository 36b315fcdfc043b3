"""How long importing a large Excel sheet of styles and opening stock takes, and how much
memory the worker needs for it.

What it measures
    A workbook of ``--styles`` styles (default 5,000) × one colour × 12 sizes (36–47),
    each cell an opening quantity of 1–20, written as .xlsx in the import's own layout
    (the template's English headings). On a fresh database (SQLite in a temporary
    directory, or ``--database-url``), through the services the pages and the API call:
    1. preview: ``imports.upload``: read the file, check every row against the catalogue,
       keep the parsed sheet;
    2. import: ``imports.confirm``: create the styles and variants, their audit rows, and
       post the opening stock as one document, in one transaction.
    Then ``check-ledger`` (``ledger.discrepancies``) must find nothing, and the numbers of
    styles, variants and pieces must be what the sheet holds.

How to read it
    seconds     wall time of each step, in this process (as a worker would run it).
    peak MB     the process's peak resident size at the end of the step (getrusage
                ru_maxrss): the app, the workbook and what the step needed at most.

Targets
    preview and import each under 60 s, the peak resident size under 500 MB, and
    the checks above. Exits 0 when met, 2 when one is missed (``TARGET NOT MET``).

Usage
    .venv/bin/python bench/imports.py [--styles 5000] [--database-url URL]
"""

import argparse
import io
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stockapp import create_app
from stockapp.extensions import db
from stockapp.models import Role
from stockapp.services import accounts, imports, ledger

SECONDS_TARGET = 60
MEGABYTES_TARGET = 500
SIZES = [str(n) for n in range(36, 48)]


def workbook(styles: int) -> tuple[bytes, int]:
    """The sheet as .xlsx bytes, and the pieces it holds."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("styles")
    heading = imports.headings("en")
    sheet.append([heading[k] for k in ("code", "name", "category", "colour")] + SIZES)
    pick = random.Random(42)
    pieces = 0
    for n in range(styles):
        quantities = [pick.randint(1, 20) for _ in SIZES]
        pieces += sum(quantities)
        sheet.append([f"B{n:05d}", f"Bench coat {n}", "coats", "black", *quantities])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), pieces


def measured(step):
    """The step's result, seconds, and the process's peak resident MB after it."""
    started = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - started
    return result, seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--styles", type=int, default=5000)
    parser.add_argument("--database-url")
    options = parser.parse_args()
    folder = tempfile.TemporaryDirectory()
    url = options.database_url or f"sqlite:///{folder.name}/bench.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    content, pieces = workbook(options.styles)
    print(
        f"{options.styles} styles × {len(SIZES)} sizes, {len(content) / 1e6:.1f} MB .xlsx,"
        f" on {sa.make_url(url).get_backend_name()}"
    )
    missed = []
    with app.test_request_context():
        db.drop_all()
        db.create_all()
        with db.engine.begin() as connection:
            connection.execute(
                sa.text("INSERT INTO warehouses (code, name) VALUES ('MAIN', 'Main')")
            )
            connection.execute(
                sa.text(
                    "INSERT INTO locations (warehouse_id, code, is_default) "
                    "SELECT id, 'DEFAULT', true FROM warehouses WHERE code = 'MAIN'"
                )
            )
        boss = accounts.create_user(username="boss", password="bench password 1", role=Role.MANAGER)
        shown, seconds, rss = measured(
            lambda: imports.upload(content=content, filename="bench.xlsx", actor_id=boss)
        )
        print(f"preview  {seconds:6.1f} s   peak {rss:6.0f} MB resident")
        if shown["errors"] or not shown["can_confirm"]:
            missed.append(f"the preview found errors: {shown['errors'][:3]}")
        if seconds > SECONDS_TARGET or rss > MEGABYTES_TARGET:
            missed.append("preview")
        done, seconds, rss = measured(lambda: imports.confirm(shown["id"], actor_id=boss))
        print(f"import   {seconds:6.1f} s   peak {rss:6.0f} MB resident")
        if seconds > SECONDS_TARGET or rss > MEGABYTES_TARGET:
            missed.append("import")
        found = db.session.execute(
            sa.text(
                "SELECT (SELECT COUNT(*) FROM styles), (SELECT COUNT(*) FROM variants),"
                " (SELECT COALESCE(SUM(qty), 0) FROM balances),"
                " (SELECT COUNT(DISTINCT document_id) FROM movements)"
            )
        ).one()
        wanted = (options.styles, options.styles * len(SIZES), pieces, 1)
        print(f"styles {found[0]}, variants {found[1]}, pieces {found[2]}, documents {found[3]}")
        if tuple(int(n) for n in found) != wanted or done["counts"]["pieces"] != pieces:
            missed.append(f"the database holds {tuple(found)}, not {wanted}")
        if ledger.discrepancies():
            missed.append("check-ledger found differences")
        db.session.remove()
        if options.database_url:
            db.drop_all()
    if missed:
        print(
            f"TARGET NOT MET: {'; '.join(missed)}"
            f" (targets: < {SECONDS_TARGET} s, < {MEGABYTES_TARGET} MB)"
        )
        return 2
    print(f"targets met: each step < {SECONDS_TARGET} s and < {MEGABYTES_TARGET} MB, ledger clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
