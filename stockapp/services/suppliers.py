"""Suppliers (供应商): who purchase orders go to."""

from sqlalchemy import func, select

from ..database import write_transaction
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import Supplier
from ..models.ledger import MAX_NOTE
from ..models.purchasing import MAX_CONTACT, MAX_PHONE, MAX_SUPPLIER_NAME
from .errors import InvalidInput, NotFound

LIMITS = {"name": MAX_SUPPLIER_NAME, "contact": MAX_CONTACT, "phone": MAX_PHONE, "note": MAX_NOTE}


def save(*, name: str, contact: str = "", phone: str = "", note: str = "", supplier_id=None) -> int:
    """Create a supplier, or change one (``supplier_id``); return its id.

    The name is required and unique (ignoring case); every field has a length
    limit. A refusal names the fields and writes nothing.
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
            select(Supplier.id).where(func.lower(Supplier.name) == fields["name"].lower())
        )
        if clash is not None and clash != supplier_id and "name" not in errors:
            errors["name"] = _l("A supplier of this name exists already.")
        if errors:
            raise InvalidInput(_l("Some fields need attention."), errors)
        if supplier_id is None:
            supplier = Supplier(**fields)
            session.add(supplier)
        else:
            supplier = session.get(Supplier, supplier_id)
            if supplier is None:
                raise NotFound(_l("Supplier %(id)s does not exist.", id=supplier_id))
            for key, value in fields.items():
                setattr(supplier, key, value)
        session.flush()
        return supplier.id


def listing() -> list[Supplier]:
    return list(db.session.scalars(select(Supplier).order_by(Supplier.name)))
