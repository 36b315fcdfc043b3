"""Settings managers change in the app: receiving tolerance, approvals, the label sheet."""

from sqlalchemy import bindparam, select

from ..database import run, write_transaction
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import AuditAction, AuditSubject, Setting
from . import audit
from .errors import InvalidInput

# Each setting with its default.
DEFAULTS = {
    # How far (in %) a receipt may go over what a PO ordered before a manager must submit it.
    "over_receipt_tolerance_pct": 0,
    # Receipts against a purchase order wait for a manager's approval before stock moves.
    "po_receipts_need_approval": True,
    # Receipts without a PO (the manage-stock dialog's inbound) wait for approval too.
    "direct_receipts_need_approval": False,
    # A clerk's write-offs (报损) and returns to suppliers (退供应商) wait for a manager's
    # approval before stock moves: both take pieces out of the shop.
    "write_offs_need_approval": True,
    # The A4 sheet of labels: rows × columns, and the margins of the sheet in mm.
    "label_rows": 8,
    "label_columns": 3,
    "label_margin_top_mm": 13,
    "label_margin_side_mm": 7,
}
# The whole numbers a number setting takes; (0, 100) when not named here.
RANGES = {
    "label_rows": (1, 20),
    "label_columns": (1, 8),
    "label_margin_top_mm": (0, 40),
    "label_margin_side_mm": (0, 40),
}


def out_of_range(low: int, high: int):
    """What a number setting outside ``low`` … ``high`` says."""
    return _l("Enter a whole number from %(low)d to %(high)d.", low=low, high=high)


def current() -> dict:
    """Every setting, stored value or default."""
    stored = dict(db.session.execute(select(Setting.key, Setting.value)).all())
    return {key: stored.get(key, default) for key, default in DEFAULTS.items()}


def get(key: str):
    value = run(_GET, {"key": key}).scalar()
    return DEFAULTS[key] if value is None else value


_settings = Setting.__table__
_GET = select(_settings.c.value).where(_settings.c.key == bindparam("key"))


def update(values: dict, *, actor_id: int | None = None) -> dict:
    """Store new values for known settings; a tolerance from 0 to 100 %, the label
    sheet's numbers within ``RANGES``, approvals true or false. Anything else is
    ``InvalidInput`` and nothing is stored. Each setting whose value changes writes
    its audit row (the key, before and after)."""
    errors = {}
    for key, value in values.items():
        if key not in DEFAULTS:
            errors[key] = _l("Unknown setting.")
        elif isinstance(DEFAULTS[key], bool) and not isinstance(value, bool):
            errors[key] = _l("Choose yes or no.")
        elif not isinstance(DEFAULTS[key], bool):
            low, high = RANGES.get(key, (0, 100))
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                errors[key] = out_of_range(low, high)
    if errors:
        raise InvalidInput(_l("Some fields need attention."), errors)
    with write_transaction() as session:
        for key, value in values.items():
            setting = session.get(Setting, key)
            was = DEFAULTS[key] if setting is None else setting.value
            if setting is None:
                session.add(Setting(key=key, value=value))
            else:
                setting.value = value
            if was != value:
                audit.record(
                    session,
                    actor_id=actor_id,
                    subject=AuditSubject.SETTING,
                    key=key,
                    action=AuditAction.CHANGED,
                    before={"value": was},
                    after={"value": value},
                )
    return current()
