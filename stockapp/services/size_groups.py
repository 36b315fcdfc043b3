"""Size groups (尺码组) and the colour list (颜色表): what a new style's sizes and
colours are picked from. A style keeps its own copy in its variants, so changing or
deleting a group or a colour changes no style."""

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..database import write_transaction
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import AuditAction, AuditSubject, Colour, SizeGroup
from ..models.catalogue import (
    MAX_COLOUR,
    MAX_COLOUR_CODE,
    MAX_GROUP_NAME,
    MAX_GROUP_SIZES,
    MAX_SIZE,
)
from . import audit
from .errors import InvalidInput, NotFound

# The size groups a fresh install starts with (migration 0008 keeps its own frozen copy).
STARTING_SIZE_GROUPS = (
    ("S–3XL", ["S", "M", "L", "XL", "2XL", "3XL"]),
    ("36–46", [str(size) for size in range(36, 47)]),
    ("26–36", [str(size) for size in range(26, 37)]),
    ("均码", ["均码"]),
)

# Sizes typed in one box: "S M L", "36,37,38" or "S、M、L".
SEPARATORS = re.compile(r"[\s,，、;；]+")
GROUP_TAKEN = _l("A size group of this name exists already.")
COLOUR_TAKEN = _l("This colour is in the list already.")


def split_labels(text: str) -> list[str]:
    """Sizes or colours typed in one box, in their order, blanks dropped."""
    return [label for label in SEPARATORS.split(text or "") if label]


def add_starting_groups(session: Session) -> None:
    """Add the starting size groups to ``session``'s transaction when there are none
    (the first-run page; the migration does the same for an upgraded install)."""
    if session.scalar(select(SizeGroup.id).limit(1)) is None:
        session.add_all(SizeGroup(name=name, sizes=sizes) for name, sizes in STARTING_SIZE_GROUPS)


def size_groups() -> list[SizeGroup]:
    return list(db.session.scalars(select(SizeGroup).order_by(SizeGroup.id)))


def colours() -> list[Colour]:
    return list(db.session.scalars(select(Colour).order_by(Colour.name)))


def group_errors(name: str, sizes: list[str]) -> dict:
    errors = {}
    if not 0 < len(name) <= MAX_GROUP_NAME:
        errors["name"] = _l("Enter a name of at most %(max)d characters.", max=MAX_GROUP_NAME)
    if not sizes:
        errors["sizes"] = _l("Give at least one size.")
    elif len(sizes) > MAX_GROUP_SIZES:
        errors["sizes"] = _l("At most %(max)d sizes in a group.", max=MAX_GROUP_SIZES)
    elif len(set(sizes)) != len(sizes):
        errors["sizes"] = _l("Each size once: %(size)s is given twice.", size=_twice(sizes))
    elif any(len(size) > MAX_SIZE for size in sizes):
        errors["sizes"] = _l("A size is at most %(max)d characters.", max=MAX_SIZE)
    return errors


def _twice(labels: list[str]) -> str:
    seen = set()
    for label in labels:
        if label in seen:
            return label
        seen.add(label)
    return ""


def save_group(
    *, name: str, sizes: list[str], group_id: int | None = None, actor_id: int | None = None
) -> int:
    """Create a size group, or change one (``group_id``): its name and its sizes in order.
    The name is unique; the sizes are different and bounded like a variant's."""
    name, sizes = name.strip(), [size.strip() for size in sizes if size.strip()]
    fields = {"name": name, "sizes": sizes}
    return _save(SizeGroup, fields, group_errors(name, sizes), group_id, actor_id)


def save_colour(
    *, name: str, code: str = "", colour_id: int | None = None, actor_id: int | None = None
) -> int:
    """Add a colour to the list, or change one (``colour_id``): a unique name and an
    optional code (01, BK …)."""
    name, code = name.strip(), code.strip()
    errors = {}
    if not 0 < len(name) <= MAX_COLOUR:
        errors["name"] = _l("Enter a name of at most %(max)d characters.", max=MAX_COLOUR)
    if len(code) > MAX_COLOUR_CODE:
        errors["code"] = _l("At most %(max)d characters.", max=MAX_COLOUR_CODE)
    return _save(Colour, {"name": name, "code": code}, errors, colour_id, actor_id)


def delete_group(group_id: int, *, actor_id: int | None = None) -> None:
    """Delete a size group; the styles made from it keep their sizes."""
    _delete(SizeGroup, group_id, actor_id)


def delete_colour(colour_id: int, *, actor_id: int | None = None) -> None:
    """Take a colour off the list; the styles in that colour keep it."""
    _delete(Colour, colour_id, actor_id)


# Per list: its audit subject, what a refusal says, what a taken name says.
_LISTS = {
    SizeGroup: (AuditSubject.SIZE_GROUP, _l("The size group could not be saved."), GROUP_TAKEN),
    Colour: (AuditSubject.COLOUR, _l("The colour could not be saved."), COLOUR_TAKEN),
}


def _save(model, fields: dict, errors: dict, row_id: int | None, actor_id: int | None) -> int:
    """Create or change a row of a list whose ``name`` is unique, with its audit row;
    ``errors`` (field → message) and a taken name refuse it before anything is written."""
    subject, refusal, taken = _LISTS[model]
    with write_transaction() as session:
        clash = session.scalar(select(model.id).where(model.name == fields["name"]))
        if clash is not None and clash != row_id and "name" not in errors:
            errors["name"] = taken
        if errors:
            raise InvalidInput(refusal, errors)
        if row_id is None:
            row = model(**fields)
            session.add(row)
            before, after, action = None, fields, AuditAction.CREATED
        else:
            row = _get(session, model, row_id)
            before, after = audit.changes({key: getattr(row, key) for key in fields}, fields)
            action = AuditAction.CHANGED
            for key, value in fields.items():
                setattr(row, key, value)
        try:
            session.flush()
        except IntegrityError:  # the same name saved by someone else a moment ago
            raise InvalidInput(refusal, {"name": taken}) from None
        if after:
            audit.record(
                session,
                actor_id=actor_id,
                subject=subject,
                key=fields["name"],
                action=action,
                before=before,
                after=after,
            )
        return row.id


def _delete(model, row_id: int, actor_id: int | None) -> None:
    with write_transaction() as session:
        row = _get(session, model, row_id)
        columns = [c.key for c in model.__table__.columns if c.key != "id"]
        audit.record(
            session,
            actor_id=actor_id,
            subject=_LISTS[model][0],
            key=row.name,
            action=AuditAction.DELETED,
            before={key: getattr(row, key) for key in columns},
        )
        session.delete(row)


def _get(session: Session, model, row_id: int):
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(_l("This entry does not exist any more."))
    return row
