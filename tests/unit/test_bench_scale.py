"""bench/scale.py's builder, at a tiny size: the shape asked for, and a clean ledger."""

import importlib.util
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from stockapp.extensions import db
from stockapp.services import ledger, receiving
from tests.support.apps import make_app
from tests.support.db import row_count

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "scale.py"
sys.path.insert(0, str(SCRIPT.parent))  # its import of the other benchmarks
spec = importlib.util.spec_from_file_location("bench_scale", SCRIPT)
scale = importlib.util.module_from_spec(spec)
spec.loader.exec_module(scale)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_scale_builder_makes_the_shape_asked_with_a_clean_ledger(kind, database_url_for):
    url = database_url_for(kind, "bench")
    shape = scale.Shape(styles=20)
    counts = scale.build(url, shape)
    completed = sum(scale.order_status(n) == "completed" for n in range(shape.orders))
    movements = scale.WEEKS * shape.styles * (scale.PER_STYLE + scale.COUNTED)
    movements += completed * scale.LINES
    app = make_app(url)
    with app.app_context():
        found = {table: row_count(table) for table in counts}
        assert found == counts
        assert (found["variants"], found["balances"]) == (240, 240)
        assert (found["orders"], found["order_lines"]) == (118, 118 * 12)
        assert found["movements"] == movements
        assert found["documents"] == scale.WEEKS * 2 * shape.styles + completed
        assert ledger.discrepancies() == []
        # Each variant's last movement leaves its balance; the open orders reserve.
        assert not db.session.scalar(
            sa.text(
                "SELECT COUNT(*) FROM balances b JOIN movements m ON m.id = "
                "(SELECT MAX(id) FROM movements WHERE variant_id = b.variant_id) "
                "WHERE m.balance_after <> b.qty"
            )
        )
        states = dict(
            db.session.execute(
                sa.text(
                    "SELECT o.status, COUNT(*) FROM orders o JOIN order_lines l "
                    "ON l.order_id = o.id WHERE l.reserving GROUP BY o.status"
                )
            ).all()
        )
        assert states == {"open": 12 * 12, "picking": 12 * 12}
        assert scale.built_shape(app) == scale.marker(shape)
        # The ids go on from the bulk rows: a receipt through the service adds to them.
        user = db.session.scalar(sa.text("SELECT id FROM users WHERE username = 'bench'"))
        receiving.receive(lines=[(1, 3)], operator_id=user)
        assert row_count("movements") == movements + 1
        assert ledger.discrepancies() == []
