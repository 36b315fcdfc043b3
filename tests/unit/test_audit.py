"""The audit trail's writer: a row per change, in the change's own transaction."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from stockapp.database import write_transaction
from stockapp.extensions import db
from stockapp.models import AuditAction, AuditEntry, AuditSubject
from stockapp.services import audit


def test_a_change_is_recorded_with_its_fields_in_plain_values(ctx):
    with write_transaction() as session:
        audit.record(
            session,
            actor_id=None,
            subject=AuditSubject.PRODUCT,
            key="K2025-01",
            action=AuditAction.CHANGED,
            before={"sale_price": Decimal("12.50"), "sizes": ("S", "M")},
            after={"sale_price": Decimal("13.00"), "role": AuditSubject.USER},
        )
    entry = db.session.execute(select(AuditEntry)).scalar_one()
    assert (entry.subject, entry.subject_key, entry.action) == (
        AuditSubject.PRODUCT,
        "K2025-01",
        AuditAction.CHANGED,
    )
    assert entry.before == {"sale_price": "12.50", "sizes": ["S", "M"]}
    assert entry.after == {"sale_price": "13.00", "role": "user"}
    assert entry.actor_id is None and entry.at is not None


def test_a_failed_change_leaves_no_audit_row(ctx):
    with pytest.raises(RuntimeError), write_transaction() as session:
        audit.record(
            session,
            actor_id=None,
            subject=AuditSubject.SETTING,
            key="over_receipt_tolerance_pct",
            action=AuditAction.CHANGED,
            before={"value": 0},
            after={"value": 5},
        )
        raise RuntimeError("the change itself failed")
    assert db.session.execute(select(AuditEntry)).first() is None


def test_changes_keeps_only_what_differs():
    assert audit.changes({"name": "a", "unit": "件"}, {"name": "b", "unit": "件"}) == (
        {"name": "a"},
        {"name": "b"},
    )
    assert audit.changes({"name": "a"}, {"name": "a"}) == ({}, {})
