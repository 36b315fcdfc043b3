"""Warehouses and their locations."""

import re

from flask import current_app
from sqlalchemy import bindparam, delete, exists, func, insert, literal, or_, select

from ..database import Prepared, in_list, run, write_transaction
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import (
    AuditAction,
    AuditSubject,
    Balance,
    Document,
    DocumentKind,
    DocumentStatus,
    Location,
    ReceiptLine,
    Role,
    Transfer,
    TransferStatus,
    User,
    UserWarehouse,
    Variant,
    Warehouse,
    document_number,
)
from ..models.ledger import MAX_NOTE
from ..models.warehouse import (
    MAX_LOCATION,
    MAX_LOCATION_NAME,
    MAX_WAREHOUSE,
    MAX_WAREHOUSE_NAME,
    MAX_ZONE,
    TRANSIT_LOCATION,
)
from . import audit
from .errors import InvalidInput, InvalidTransition, NotFound, NotPermitted

# A location code: letters, digits and - _ . (A-01-03).
LOCATION_CODE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_LOCATION - 1}}}")

# A warehouse code: letters, digits and - _ (SH-01), stored in capitals.
WAREHOUSE_CODE = re.compile(rf"[A-Z0-9][A-Z0-9_-]{{0,{MAX_WAREHOUSE - 1}}}")
# Created by the first migration, with its default location.
MAIN_WAREHOUSE = "MAIN"
# The states of a document that has yet to post, or be turned down.
OPEN = (DocumentStatus.DRAFT, DocumentStatus.SUBMITTED)
# The states of a transfer that may still move stock out of or into its warehouses.
OPEN_TRANSFER = (TransferStatus.DRAFT, TransferStatus.SHIPPED, TransferStatus.RECEIVED)
# Every warehouse's first location, where its stock goes unless told otherwise.
DEFAULT_LOCATION = "DEFAULT"


def default_location_id() -> int:
    """The default location of the main warehouse, where stock goes unless told otherwise."""
    return _main()["location"]


def main_warehouse_id() -> int:
    return _main()["warehouse"]


MAIN_WAREHOUSE_CACHE = "stockapp.main_warehouse"


def _main() -> dict:
    """The main warehouse and its default location. Neither is ever deleted nor
    replaced, so both ids are remembered for the app's lifetime."""
    cache = current_app.extensions.setdefault(MAIN_WAREHOUSE_CACHE, {})
    if not cache:
        found = db.session.execute(
            select(Warehouse.id, Location.id)
            .join(Location, Location.warehouse_id == Warehouse.id)
            .where(Warehouse.code == MAIN_WAREHOUSE, Location.is_default)
        ).first()
        if found is None:
            raise RuntimeError("the main warehouse is missing: run `flask --app app db upgrade`")
        cache.update(warehouse=found[0], location=found[1])
    return cache


def create_location(
    *,
    warehouse_id: int,
    code: str,
    zone: str = "",
    note: str = "",
    is_quarantine: bool = False,
    actor_id: int | None = None,
) -> int:
    """Add a location (货位) to a warehouse, with its audit row; return its id.

    The code (such as A-01-03) is unique within its warehouse, ignoring case.
    Locations are never deleted: stock and history point at them.
    """
    code, zone, note = code.strip().upper(), zone.strip(), note.strip()
    errors = {}
    if not LOCATION_CODE.fullmatch(code):
        errors["code"] = _l("Use letters, digits and - _ . (up to 32), such as A-01-03.")
    if len(zone) > MAX_ZONE:
        errors["zone"] = _l("At most %(max)d characters.", max=MAX_ZONE)
    if len(note) > MAX_NOTE:
        errors["note"] = _l("At most %(max)d characters.", max=MAX_NOTE)
    with write_transaction() as session:
        warehouse = session.get(Warehouse, warehouse_id)
        if warehouse is None:
            raise NotFound(_l("Warehouse %(id)s does not exist.", id=warehouse_id))
        if not warehouse.active:
            raise InvalidTransition(
                _l("Warehouse %(code)s is deactivated: reactivate it first.", code=warehouse.code)
            )
        taken = session.scalar(
            select(Location.id).where(
                Location.warehouse_id == warehouse_id, func.upper(Location.code) == code
            )
        )
        if taken is not None and "code" not in errors:
            errors["code"] = _l("This warehouse has a location %(code)s already.", code=code)
        if errors:
            raise InvalidInput(_l("Some fields need attention."), errors)
        location = Location(
            warehouse_id=warehouse_id,
            code=code,
            zone=zone,
            note=note,
            is_quarantine=is_quarantine,
        )
        session.add(location)
        session.flush()
        audit.record(
            session,
            actor_id=actor_id,
            subject=AuditSubject.LOCATION,
            key=f"{warehouse.code} {code}",
            action=AuditAction.CREATED,
            after={"zone": zone, "note": note, "is_quarantine": is_quarantine},
        )
        return location.id


def change_location(
    *,
    location_id: int,
    name: str | None = None,
    zone: str | None = None,
    note: str | None = None,
    is_quarantine: bool | None = None,
    actor_id: int | None = None,
) -> None:
    """Change what is given of a location (its code stays: labels and history carry
    it), with one audit row of the fields before and after. ``name`` is what screens
    and printouts show ("" shows the code; for the default location, "Default
    location" in the user's language). The quarantine flag changes only while the
    location holds nothing, and never on the default location, where stock goes
    unless told otherwise: sellable pieces would silently stop counting, or the
    other way round."""
    given = {"name": name, "zone": zone, "note": note}
    fields = {key: value.strip() for key, value in given.items() if value is not None}
    errors = {
        key: _l("At most %(max)d characters.", max=limit)
        for key, limit in (("name", MAX_LOCATION_NAME), ("zone", MAX_ZONE), ("note", MAX_NOTE))
        if len(fields.get(key, "")) > limit
    }
    if errors:
        raise InvalidInput(_l("Some fields need attention."), errors)
    with write_transaction() as session:
        location = session.get(Location, location_id)
        if location is None:
            raise NotFound(_l("Location %(id)s does not exist.", id=location_id))
        if is_quarantine is not None and is_quarantine != location.is_quarantine:
            if location.is_default:
                raise InvalidTransition(
                    _l("The default location holds sellable stock: it cannot be quarantine.")
                )
            if _holds_stock(session, Location.id == location_id):
                raise InvalidTransition(
                    _l(
                        "%(code)s holds stock: move it out before changing the quarantine flag.",
                        code=location.code,
                    )
                )
            fields["is_quarantine"] = is_quarantine
        before, after = audit.changes({key: getattr(location, key) for key in fields}, fields)
        if not after:
            return
        audit.record(
            session,
            actor_id=actor_id,
            subject=AuditSubject.LOCATION,
            key=f"{session.get(Warehouse, location.warehouse_id).code} {location.code}",
            action=AuditAction.CHANGED,
            before=before,
            after=after,
        )
        for key, value in after.items():
            setattr(location, key, value)


def quarantine_location_id(warehouse_id: int) -> int | None:
    """Where a warehouse keeps damaged goods, if it has such a location."""
    return db.session.scalar(
        select(Location.id)
        .where(Location.warehouse_id == warehouse_id, Location.is_quarantine)
        .order_by(Location.id)
        .limit(1)
    )


def usual_locations(variant_ids, warehouse_id: int, *, active: bool = False) -> dict[int, int]:
    """Each variant's usual location in a warehouse: the sellable location holding
    most of it, else the warehouse's default location. Variants that do not exist
    (with ``active``, that are archived too) are left out. One statement."""
    statement = _USUAL_ACTIVE if active else _USUAL
    return dict(run(statement, {"ids": list(variant_ids), "warehouse": warehouse_id}).all())


def _usual_statement(*, active: bool):
    variants, balances, locations = Variant.__table__, Balance.__table__, Location.__table__
    warehouse = bindparam("warehouse")
    most = (
        select(balances.c.location_id)
        .join(locations, locations.c.id == balances.c.location_id)
        .where(
            balances.c.variant_id == variants.c.id,
            balances.c.qty > 0,
            locations.c.warehouse_id == warehouse,
            ~locations.c.is_quarantine,
            ~locations.c.is_transit,
        )
        .order_by(balances.c.qty.desc(), balances.c.location_id.desc())
        .limit(1)
        .scalar_subquery()
    )
    default = (
        select(locations.c.id)
        .where(locations.c.warehouse_id == warehouse, locations.c.is_default)
        .limit(1)
        .scalar_subquery()
    )
    statement = select(variants.c.id, func.coalesce(most, default)).where(
        in_list(variants.c.id, "ids")
    )
    return Prepared(statement.where(~variants.c.archived) if active else statement)


# Built once: the quick inbound asks for these on every request.
_USUAL = _usual_statement(active=False)
_USUAL_ACTIVE = _usual_statement(active=True)


def locations(warehouse_id: int | None = None) -> list[Location]:
    """The locations a user may put stock in or take it from (transit ones left out)."""
    query = (
        select(Location).where(~Location.is_transit).order_by(Location.warehouse_id, Location.code)
    )
    if warehouse_id is not None:
        query = query.where(Location.warehouse_id == warehouse_id)
    return list(db.session.scalars(query))


# ---------------------------------------------------------------- warehouses


def create_warehouse(*, code: str, name: str, actor_id: int | None = None) -> int:
    """Add an active warehouse (仓库) with its default location, and its audit row;
    return its id. The code (SH-01) is unique, ignoring case; warehouses are never
    deleted. A manager who works in some warehouses only is given the new one."""
    code, name = code.strip().upper(), name.strip()
    errors = {}
    if not WAREHOUSE_CODE.fullmatch(code):
        errors["code"] = _l(
            "Use letters, digits and - _ (up to %(max)d), such as SH-01.", max=MAX_WAREHOUSE
        )
    if not name:
        errors["name"] = _l("Give the warehouse a name.")
    elif len(name) > MAX_WAREHOUSE_NAME:
        errors["name"] = _l("At most %(max)d characters.", max=MAX_WAREHOUSE_NAME)
    with write_transaction() as session:
        taken = session.scalar(select(Warehouse.id).where(func.upper(Warehouse.code) == code))
        if taken is not None and "code" not in errors:
            errors["code"] = _l("There is a warehouse %(code)s already.", code=code)
        if errors:
            raise InvalidInput(_l("Some fields need attention."), errors)
        warehouse = Warehouse(code=code, name=name, active=True)
        session.add(warehouse)
        session.flush()
        session.add(Location(warehouse_id=warehouse.id, code=DEFAULT_LOCATION, is_default=True))
        session.add(Location(warehouse_id=warehouse.id, code=TRANSIT_LOCATION, is_transit=True))
        if actor_id is not None and allowed_warehouse_ids(actor_id) is not None:
            session.add(UserWarehouse(user_id=actor_id, warehouse_id=warehouse.id))
            forget_works_in(actor_id)
        audit.record(
            session,
            actor_id=actor_id,
            subject=AuditSubject.WAREHOUSE,
            key=code,
            action=AuditAction.CREATED,
            after={"name": name, "active": True},
        )
        return warehouse.id


def change_warehouse(
    *,
    warehouse_id: int,
    name: str | None = None,
    active: bool | None = None,
    actor_id: int | None = None,
) -> None:
    """Rename, deactivate or reactivate a warehouse, with an audit row for each change.

    Deactivating is refused for the main warehouse, and while any location of the
    warehouse holds stock, an open document (a receipt not yet decided) puts stock
    into it, or a transfer from or to it is neither closed nor cancelled (a draft,
    in transit, or waiting for a decision: each may still move stock out of it or
    into it). The warehouse's row is locked first, so a document that reads it
    ``FOR SHARE`` before posting waits for the decision.
    """
    if name is not None:
        name = name.strip()
        if not name or len(name) > MAX_WAREHOUSE_NAME:
            message = (
                _l("At most %(max)d characters.", max=MAX_WAREHOUSE_NAME)
                if name
                else _l("Give the warehouse a name.")
            )
            raise InvalidInput(_l("Some fields need attention."), {"name": message})
    with write_transaction() as session:
        warehouse = session.scalar(
            select(Warehouse).where(Warehouse.id == warehouse_id).with_for_update()
        )
        if warehouse is None:
            raise NotFound(_l("Warehouse %(id)s does not exist.", id=warehouse_id))
        if active is False and warehouse.active:
            _check_can_deactivate(session, warehouse)
        if name is not None and name != warehouse.name:
            audit.record(
                session,
                actor_id=actor_id,
                subject=AuditSubject.WAREHOUSE,
                key=warehouse.code,
                action=AuditAction.CHANGED,
                before={"name": warehouse.name},
                after={"name": name},
            )
            warehouse.name = name
        if active is not None and active != warehouse.active:
            audit.record(
                session,
                actor_id=actor_id,
                subject=AuditSubject.WAREHOUSE,
                key=warehouse.code,
                action=AuditAction.REACTIVATED if active else AuditAction.DEACTIVATED,
                before={"active": warehouse.active},
                after={"active": active},
            )
            warehouse.active = active


def _check_can_deactivate(session, warehouse: Warehouse) -> None:
    if warehouse.code == MAIN_WAREHOUSE:
        raise InvalidTransition(_l("The main warehouse cannot be deactivated."))
    # Asked before the stock: the pieces of a transfer shipped to it are in its transit
    # location, where only the transfer moves them.
    open_transfer = session.execute(
        select(Transfer.document_id, Transfer.status)
        .where(
            (Transfer.from_warehouse_id == warehouse.id)
            | (Transfer.to_warehouse_id == warehouse.id),
            Transfer.status.in_(OPEN_TRANSFER),
        )
        .order_by(Transfer.document_id)
        .limit(1)
    ).first()
    if open_transfer is not None:
        raise InvalidTransition(
            _l(
                "Warehouse %(code)s has a transfer that is not closed (%(number)s, %(status)s): "
                "finish or cancel it first.",
                code=warehouse.code,
                number=document_number(DocumentKind.TRANSFER, open_transfer.document_id),
                status=TransferStatus(open_transfer.status).label,
            )
        )
    if _holds_stock(session, Location.warehouse_id == warehouse.id):
        raise InvalidTransition(
            _l(
                "Warehouse %(code)s still holds stock: move or write it off first.",
                code=warehouse.code,
            )
        )
    open_document = session.scalar(
        select(Document.id)
        .join(ReceiptLine, ReceiptLine.document_id == Document.id)
        .join(Location, Location.id == ReceiptLine.location_id)
        .where(Location.warehouse_id == warehouse.id, Document.status.in_(OPEN))
        .limit(1)
    )
    if open_document is not None:
        raise InvalidTransition(
            _l(
                "Warehouse %(code)s has open documents (such as %(number)s): finish them first.",
                code=warehouse.code,
                number=session.get(Document, open_document).number,
            )
        )


def _holds_stock(session, where) -> bool:
    """Whether any balance of the locations ``where`` picks is not zero."""
    return (
        session.scalar(
            select(Balance.id)
            .join(Location, Location.id == Balance.location_id)
            .where(where, Balance.qty != 0)
            .limit(1)
        )
        is not None
    )


# ---------------------------------------------------------------- who works where


def allowed_warehouse_ids(user_id: int) -> frozenset[int] | None:
    """The ids of the warehouses the user works in; None for every warehouse (a
    manager given all of them). A user that does not exist works in none. One
    statement, or none for the request's own user when the query that signed the
    request in read them too (``remember_works_in``)."""
    known = _known_works_in()
    if user_id in known:
        return known[user_id]
    return _works_in(run(_WORKS_IN, {"u": user_id}).all())


def remember_works_in(user_id: int, rows) -> None:
    """Keep, for the rest of the request, where the user works, from rows of
    ``WORKS_IN_COLUMNS`` (the user's outer-joined with their warehouses) that the
    query signing the request in read: the hot writes then ask no statement of
    their own. Whatever changes where a user works forgets it (``forget_works_in``)."""
    _known_works_in()[user_id] = _works_in(rows)


def forget_works_in(user_id: int) -> None:
    _known_works_in().pop(user_id, None)


def _known_works_in() -> dict:
    # The session lives for one request (or one CLI command): so does what it holds.
    return db.session().info.setdefault(KNOWN_WORKS_IN, {})


def _works_in(rows) -> frozenset[int] | None:
    if not rows:
        return frozenset()
    if rows[0].all_warehouses and Role(rows[0].role) is Role.MANAGER:
        return None
    return frozenset(row.warehouse_id for row in rows if row.warehouse_id is not None)


KNOWN_WORKS_IN = "stockapp_known_works_in"
_users, _user_warehouses = User.__table__, UserWarehouse.__table__
# Where a user works: add these to a query of ``users`` joined to ``WITH_WAREHOUSES``.
WORKS_IN_COLUMNS = (_users.c.role, _users.c.all_warehouses, _user_warehouses.c.warehouse_id)
WITH_WAREHOUSES = _users.outerjoin(_user_warehouses, _user_warehouses.c.user_id == _users.c.id)
_WORKS_IN = Prepared(
    select(*WORKS_IN_COLUMNS).select_from(WITH_WAREHOUSES).where(_users.c.id == bindparam("u"))
)


def works_in(user_id, warehouse_id):
    """SQL: the user works in the warehouse, by ``allowed_warehouse_ids``' rule (a manager
    given every warehouse, or one given this one), for a statement that checks it
    while it writes (``user_id``, ``warehouse_id``: columns or bound parameters)."""
    return or_(
        exists().where(
            _user_warehouses.c.user_id == user_id, _user_warehouses.c.warehouse_id == warehouse_id
        ),
        exists().where(
            _users.c.id == user_id,
            _users.c.all_warehouses,
            _users.c.role == literal(Role.MANAGER.value),
        ),
    )


def working_warehouse_id(user_id: int, warehouse_id: int | None = None) -> int:
    """The warehouse a user's document goes in or out of: the one given, if it is
    active and the user works in it (else ``NotFound``, ``NotPermitted`` or, deactivated,
    ``InvalidInput`` on ``warehouse``). Without one: the main warehouse if the user
    works there, else the one warehouse they work in; a user of several others must
    say which (``InvalidInput`` on ``warehouse``)."""
    allowed = allowed_warehouse_ids(user_id)
    if warehouse_id is None:
        main = main_warehouse_id()
        if allowed is None or main in allowed:
            return main
        if len(allowed) != 1:
            raise InvalidInput(
                _l("Some fields need attention."), {"warehouse": _l("Choose a warehouse.")}
            )
        (warehouse_id,) = allowed
    warehouse = db.session.get(Warehouse, warehouse_id)
    if warehouse is None:
        raise NotFound(_l("Warehouse %(id)s does not exist.", id=warehouse_id))
    if allowed is not None and warehouse_id not in allowed:
        raise NotPermitted(_l("You do not work in this warehouse."))
    if not warehouse.active:
        raise InvalidInput(
            _l("Some fields need attention."),
            {
                "warehouse": _l(
                    "Warehouse %(code)s is deactivated: reactivate it first.", code=warehouse.code
                )
            },
        )
    return warehouse_id


def require_warehouse(user_id: int, warehouse_id: int) -> None:
    """Raise ``NotFound`` if the warehouse does not exist, ``NotPermitted`` if the
    user does not work in it."""
    if db.session.get(Warehouse, warehouse_id) is None:
        raise NotFound(_l("Warehouse %(id)s does not exist.", id=warehouse_id))
    allowed = allowed_warehouse_ids(user_id)
    if allowed is not None and warehouse_id not in allowed:
        raise NotPermitted(_l("You do not work in this warehouse."))


def require_location(user_id: int, location_id: int) -> Location:
    """The location, if the user works in its warehouse (else ``NotPermitted``;
    ``NotFound`` if it does not exist)."""
    location = db.session.get(Location, location_id)
    if location is None or location.is_transit:
        raise NotFound(_l("Location %(id)s does not exist.", id=location_id))
    require_warehouse(user_id, location.warehouse_id)
    return location


def transit_location_id(warehouse_id: int) -> int:
    """Where goods shipped to a warehouse wait until it receives them (在途)."""
    return db.session.scalar(
        select(Location.id).where(Location.warehouse_id == warehouse_id, Location.is_transit)
    )


def set_user_warehouses(
    *,
    user_id: int,
    warehouse_ids,
    all_warehouses: bool = False,
    actor_id: int | None = None,
) -> None:
    """Give a user the warehouses they work in (replacing those they had), or, for a
    manager, every warehouse; with an audit row of the warehouses before and after."""
    wanted = frozenset(warehouse_ids)
    with write_transaction() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(_l("User %(id)s does not exist.", id=user_id))
        if all_warehouses and Role(user.role) is not Role.MANAGER:
            raise InvalidInput(
                _l("Some fields need attention."),
                {"all_warehouses": _l("Only a manager can work in every warehouse.")},
            )
        codes = dict(session.execute(select(Warehouse.id, Warehouse.code)).all())
        unknown = wanted - codes.keys()
        if unknown:
            raise InvalidInput(
                _l("Some fields need attention."),
                {"warehouses": _l("Warehouse %(id)s does not exist.", id=min(unknown))},
            )
        had = frozenset(
            session.scalars(
                select(UserWarehouse.warehouse_id).where(UserWarehouse.user_id == user_id)
            )
        )
        keep = frozenset() if all_warehouses else wanted
        before, after = audit.changes(
            {"all_warehouses": user.all_warehouses, "warehouses": sorted(codes[i] for i in had)},
            {"all_warehouses": all_warehouses, "warehouses": sorted(codes[i] for i in keep)},
        )
        if not after:
            return
        session.execute(
            delete(UserWarehouse).where(
                UserWarehouse.user_id == user_id, UserWarehouse.warehouse_id.in_(had - keep)
            )
        )
        session.add_all(UserWarehouse(user_id=user_id, warehouse_id=i) for i in keep - had)
        user.all_warehouses = all_warehouses
        forget_works_in(user_id)
        audit.record(
            session,
            actor_id=actor_id,
            subject=AuditSubject.USER,
            key=user.username,
            action=AuditAction.CHANGED,
            before=before,
            after=after,
        )


def give_starting_warehouses(session, user: User) -> None:
    """A new user's warehouses, in the transaction that makes them: every warehouse for
    a manager, the main one for anyone else."""
    if Role(user.role) is Role.MANAGER:
        user.all_warehouses = True
        return
    session.execute(
        insert(UserWarehouse).from_select(
            ["user_id", "warehouse_id"],
            select(literal(user.id), Warehouse.id).where(Warehouse.code == MAIN_WAREHOUSE),
        )
    )


def keep_warehouses_when_demoted(session, user: User) -> dict:
    """A manager given every warehouse who is no longer a manager keeps working in each
    warehouse there is now; returns the change for the user's audit row."""
    if not user.all_warehouses:
        return {}
    session.execute(delete(UserWarehouse).where(UserWarehouse.user_id == user.id))
    session.execute(
        insert(UserWarehouse).from_select(
            ["user_id", "warehouse_id"], select(literal(user.id), Warehouse.id)
        )
    )
    user.all_warehouses = False
    return {"all_warehouses": False}
