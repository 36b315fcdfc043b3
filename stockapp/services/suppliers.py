"""Suppliers (供应商): who purchase orders go to."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..database import write_transaction
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import AuditAction, AuditSubject, Supplier
from ..models.ledger import MAX_NOTE
from ..models.purchasing import MAX_CONTACT, MAX_PHONE, MAX_SUPPLIER_NAME, folded
from . import audit
from .errors import InvalidInput, NotFound

TAKEN = _l("A supplier of this name exists already.")
LIMITS = {"name": MAX_SUPPLIER_NAME, "contact": MAX_CONTACT, "phone": MAX_PHONE, "note": MAX_NOTE}


def save(
    *,
    name: str,
    contact: str = "",
    phone: str = "",
    note: str = "",
    supplier_id=None,
    actor_id: int | None = None,
) -> int:
    """Create a supplier, or change one (``supplier_id``); return its id. The audit
    row has the fields it was created with, or those that changed.

    The name is required and unique ignoring case (``folded``, the same on both
    databases); every field has a length limit. A refusal names the fields and writes nothing.
    """
    fields = {
        "name": name.strip(),
        "contact": contact.strip(),
        "phone": phone.strip(),
        "note": note.strip(),
    }
    errors = {
        key: _l("At most %(max)d characters.", max=limit)
        for key, limit in LIMITS.items()
        if len(fields[key]) > limit
    }
    if not fields["name"]:
        errors["name"] = _l("Give the supplier a name.")
    with write_transaction() as session:
        clash = session.scalar(
            select(Supplier.id).where(Supplier.name_key == folded(fields["name"]))
        )
        if clash is not None and clash != supplier_id and "name" not in errors:
            errors["name"] = TAKEN
        if errors:
            raise InvalidInput(_l("Some fields need attention."), errors)
        if supplier_id is None:
            supplier = Supplier(**fields)
            session.add(supplier)
            before, after, action = None, fields, AuditAction.CREATED
        else:
            supplier = session.get(Supplier, supplier_id)
            if supplier is None:
                raise NotFound(_l("Supplier %(id)s does not exist.", id=supplier_id))
            before, after = audit.changes({key: getattr(supplier, key) for key in fields}, fields)
            action = AuditAction.CHANGED
            for key, value in fields.items():
                setattr(supplier, key, value)
        if after:
            audit.record(
                session,
                actor_id=actor_id,
                subject=AuditSubject.SUPPLIER,
                key=fields["name"],
                action=action,
                before=before,
                after=after,
            )
        try:
            session.flush()
        except IntegrityError:  # the same name saved by someone else a moment ago
            raise InvalidInput(_l("Some fields need attention."), {"name": TAKEN}) from None
        return supplier.id


def listing() -> list[Supplier]:
    return list(db.session.scalars(select(Supplier).order_by(Supplier.name)))
