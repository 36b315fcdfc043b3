"""The catalogue: styles (款) and their colour × size variants (SKU)."""

import re
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..database import mark_stock_changed, write_transaction
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import AuditAction, AuditSubject, Balance, Location, OrderLine, Style, Variant
from ..models.catalogue import (
    MAX_CATEGORY,
    MAX_COLOUR,
    MAX_GROUP_SIZES,
    MAX_NAME,
    MAX_PRICE,
    MAX_SIZE,
    MAX_UNIT,
)
from ..models.warehouse import shown_name
from . import audit
from .errors import InvalidInput, InvalidTransition, NotFound
from .size_groups import size_groups

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
BARCODE = re.compile(r"[A-Za-z0-9-]{4,32}")
# Generated barcodes are EAN-13 in the 2xx range, which GS1 keeps for internal use.
INTERNAL_PREFIX = "2"


def ean13(body: str) -> str:
    """``body`` (12 digits) with its EAN-13 check digit appended."""
    if len(body) != 12 or not body.isdigit():
        raise ValueError("an EAN-13 body is 12 digits")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def sku_of(code: str, colour: str, size: str) -> str:
    """A variant's SKU: the style code, colour and size joined by dashes (A1024-Black-M)."""
    return "-".join(part for part in (code, colour, size) if part)


def internal_barcode(variant_id: int) -> str:
    """The EAN-13 a variant gets when it is given none, made from its id."""
    return ean13(f"{INTERNAL_PREFIX}{variant_id:011d}")


def create_style(
    *,
    code: str,
    name: str,
    sizes: Sequence[str],
    colours: Sequence[str] = (),
    category: str = "",
    unit: str = "",
    cost_price: Decimal | None = None,
    sale_price: Decimal | None = None,
    barcodes: dict[tuple[str, str], str] | None = None,
    actor_id: int | None = None,
) -> int:
    """Create a style with one variant per colour × size and return its id.

    ``barcodes`` maps (colour, size) to a barcode; every other variant gets an
    internal EAN-13. The code, the SKUs and the barcodes are unique: a clash is
    an ``InvalidInput`` naming the field, and nothing is written. The audit row
    (PRODUCT, its code) holds the fields, sizes and colours.
    """
    errors = style_errors(code, name, sizes, colours, barcodes or {})
    errors.update(_detail_errors(name, category, unit, cost_price, sale_price))
    if errors:
        raise InvalidInput(_l("The product could not be saved."), errors)
    try:
        with write_transaction() as session:
            if session.scalar(select(Style.id).where(Style.code == code)) is not None:
                raise InvalidInput(
                    _l("The product could not be saved."),
                    {"code": _l("Style code %(code)s already exists.", code=code)},
                )
            style = Style(
                code=code,
                name=name,
                category=category,
                unit=unit,
                cost_price=cost_price,
                sale_price=sale_price,
            )
            session.add(style)
            session.flush()
            _add_variants(style, sizes, colours, barcodes or {})
            audit.record(
                session,
                actor_id=actor_id,
                subject=AuditSubject.PRODUCT,
                key=code,
                action=AuditAction.CREATED,
                after=_details(style) | {"sizes": list(sizes), "colours": list(colours)},
            )
            return style.id
    except IntegrityError as clash:
        raise InvalidInput(
            _l("The product could not be saved."),
            {"barcodes": _l("A SKU or barcode of this product is already in use.")},
        ) from clash


def update_style(
    code: str,
    *,
    name: str,
    category: str = "",
    unit: str = "",
    cost_price: Decimal | None = None,
    sale_price: Decimal | None = None,
    actor_id: int | None = None,
) -> None:
    """Change a style's name, category, unit and prices (its code, SKUs and barcodes
    stay); the audit row holds the fields that changed, before and after."""
    errors = _detail_errors(name, category, unit, cost_price, sale_price)
    if errors:
        raise InvalidInput(_l("The product could not be saved."), errors)
    with write_transaction() as session:
        style = _style(session, code)
        wanted = {
            "name": name.strip(),
            "category": category.strip(),
            "unit": unit.strip(),
            "cost_price": cost_price,
            "sale_price": sale_price,
        }
        before, after = audit.changes(_details(style), wanted)
        for key, value in after.items():
            setattr(style, key, value)
        if after:
            _record(session, actor_id, style, AuditAction.CHANGED, before, after)


def add_variants(
    style_id: int,
    *,
    sizes: Sequence[str] = (),
    colours: Sequence[str] = (),
    actor_id: int | None = None,
) -> list[int]:
    """Extend a style's size run and colours; return the ids of the new variants.

    A new size takes its place in the order of a size group that holds it and the
    style's sizes (XL between L and 2XL of S–3XL); a size no group places, and every
    new colour, goes at the end. Existing variants are kept as they are; an
    archived one whose size or colour is asked for again is restored.
    """
    errors = _check_labels(sizes, colours, sizes_required=False)
    if not sizes and not colours:
        errors["sizes"] = _l("Give a size or a colour to add.")
    if errors:
        raise InvalidInput(_l("The product could not be saved."), errors)
    with write_transaction() as session:
        style = session.get(Style, style_id)
        if style is None:
            raise NotFound(_l("Product %(id)s does not exist.", id=style_id))
        before = {"sizes": style.sizes, "colours": style.colours}
        run = placed(style.sizes, sizes, [group.sizes for group in size_groups()])
        colour_list = [*style.colours, *(c for c in colours if c not in style.colours)]
        created = _add_variants(style, run, colour_list, {}, restore=(set(sizes), set(colours)))
        session.expire(style, ["variants"])
        changed = audit.changes(before, {"sizes": style.sizes, "colours": style.colours})
        if changed[1] or created:
            _record(session, actor_id, style, AuditAction.CHANGED, *changed)
        return created


def placed(run: list[str], added: Sequence[str], orders: Sequence[list[str]]) -> list[str]:
    """The size run ``run`` with the sizes ``added``, each put where a size order of
    ``orders`` (the size groups' sizes) ranks it among the run's sizes, or at the end.
    Of the orders that hold a size, the one sharing most sizes with the run decides
    (36 is in 26–36 and in 36–46; a run of 38 40 is of 36–46)."""
    run = list(run)
    for size in added:
        if size in run:
            continue
        holding = [order for order in orders if size in order]
        order = max(holding, key=lambda o: len(set(o) & set(run)), default=())
        rank = {label: i for i, label in enumerate(order)}
        after = [i for i, label in enumerate(run) if label in rank and rank[label] < rank[size]]
        before = [i for i, label in enumerate(run) if label in rank and rank[label] > rank[size]]
        if after:
            run.insert(max(after) + 1, size)
        elif before:
            run.insert(min(before), size)
        else:
            run.append(size)
    return run


def archive_variant(variant_id: int, *, actor_id: int | None = None) -> None:
    """Take a variant out of use: it leaves the entry grids and new documents refuse
    it; its history stays (variants are never deleted). Refused while it has stock
    on hand or reserved, with how many and where."""
    with write_transaction() as session:
        variant = _variant(session, variant_id)
        _refuse_if_held(session, [variant])
        if not variant.archived:
            variant.archived = True
            _record(session, actor_id, variant, AuditAction.ARCHIVED)


def restore_variant(variant_id: int, *, actor_id: int | None = None) -> None:
    """Bring an archived variant back into use (its style too, if archived)."""
    with write_transaction() as session:
        variant = _variant(session, variant_id)
        if variant.archived:
            variant.archived = False
            _record(session, actor_id, variant, AuditAction.RESTORED)
        if not variant.style.active:
            variant.style.active = True
            _record(session, actor_id, variant.style, AuditAction.RESTORED)


def archive_style(code: str, *, actor_id: int | None = None) -> None:
    """Archive a style and every variant of it: it leaves the product list (but for
    "archived"), the entry grids and new documents. Refused while any variant has
    stock on hand or reserved."""
    with write_transaction() as session:
        style = _style(session, code)
        _refuse_if_held(session, style.variants)
        for variant in style.variants:
            variant.archived = True
        if style.active:
            style.active = False
            _record(session, actor_id, style, AuditAction.ARCHIVED)


def restore_style(code: str, *, actor_id: int | None = None) -> None:
    """Bring an archived style back with all its variants."""
    with write_transaction() as session:
        style = _style(session, code)
        for variant in style.variants:
            variant.archived = False
        if not style.active:
            style.active = True
            _record(session, actor_id, style, AuditAction.RESTORED)


def _refuse_if_held(session: Session, variants) -> None:
    """An ``InvalidTransition`` naming each variant's pieces on hand per location and
    its reserved pieces, when any of ``variants`` has some."""
    ids = [v.id for v in variants]
    where: dict[int, list[str]] = {}
    for variant_id, code, name, is_default, qty in session.execute(
        select(Balance.variant_id, Location.code, Location.name, Location.is_default, Balance.qty)
        .join(Location, Location.id == Balance.location_id)
        .where(Balance.variant_id.in_(ids), Balance.qty != 0)
        .order_by(Location.code)
    ):
        where.setdefault(variant_id, []).append(f"{shown_name(code, name, is_default)} ({qty})")
    held = dict(
        session.execute(
            select(OrderLine.variant_id, func.sum(OrderLine.ordered))
            .where(OrderLine.variant_id.in_(ids), OrderLine.reserving)
            .group_by(OrderLine.variant_id)
        ).all()
    )
    reasons = []
    for variant in variants:
        places, reserved = where.get(variant.id), held.get(variant.id) or 0
        if places:
            reasons.append(
                _l(
                    "%(sku)s has stock on hand in %(places)s.",
                    sku=variant.sku,
                    places=", ".join(places),
                )
            )
        if reserved:
            reasons.append(_l("%(sku)s has %(n)d reserved by orders.", sku=variant.sku, n=reserved))
    if reasons:
        raise InvalidTransition(
            _l(
                "Not archived: move, write off or sell the stock first. %(reasons)s",
                reasons=" ".join(str(reason) for reason in reasons),
            )
        )


def set_low_stock_threshold(
    variant_id: int, threshold: int | None, *, actor_id: int | None = None
) -> None:
    """Alert when the variant's stock falls to ``threshold`` or below; None: never."""
    set_thresholds({variant_id: threshold}, actor_id=actor_id)


def set_thresholds(thresholds: dict[int, int | None], *, actor_id: int | None = None) -> None:
    """Set several variants' low-stock thresholds at once (the product page's grid);
    one audit row (VARIANT, its SKU) per variant whose threshold changed."""
    if any(t is not None and not 0 <= t <= MAX_THRESHOLD for t in thresholds.values()):
        raise InvalidInput(
            _l("The threshold could not be saved."),
            {
                "low_stock_threshold": _l(
                    "Enter a whole number from 0 to %(max)d.", max=MAX_THRESHOLD
                )
            },
        )
    with write_transaction() as session:
        for variant_id, threshold in thresholds.items():
            variant = _variant(session, variant_id)
            if variant.low_stock_threshold != threshold:
                _record(
                    session,
                    actor_id,
                    variant,
                    AuditAction.CHANGED,
                    {"low_stock_threshold": variant.low_stock_threshold},
                    {"low_stock_threshold": threshold},
                )
                variant.low_stock_threshold = threshold
                mark_stock_changed()  # the managers' to-do counts the low variants


def set_barcode(variant_id: int, barcode: str, *, actor_id: int | None = None) -> None:
    """Give a variant another barcode (a supplier's); refused when another variant has it."""
    if not BARCODE.fullmatch(barcode or ""):
        raise InvalidInput(
            _l("The barcode could not be saved."),
            {"barcode": BAD_BARCODE},
        )
    with write_transaction() as session:
        variant = _variant(session, variant_id)
        if variant.barcode == barcode:
            return
        clash = session.scalar(select(Variant.sku).where(Variant.barcode == barcode))
        if clash is not None:
            raise InvalidInput(
                _l("The barcode could not be saved."),
                {
                    "barcode": _l(
                        "Barcode %(barcode)s is used by %(sku)s.", barcode=barcode, sku=clash
                    )
                },
            )
        before = {"barcode": variant.barcode}
        variant.barcode = barcode
        _record(session, actor_id, variant, AuditAction.CHANGED, before, {"barcode": barcode})


# A low-stock threshold, in pieces: as many as a cell of a grid takes.
MAX_THRESHOLD = 9_999_999
# Colours of one style: a grid a tablet can still show.
MAX_COLOURS = 60


def _style(session: Session, code: str) -> Style:
    style = session.scalar(select(Style).where(Style.code == code))
    if style is None:
        raise NotFound(_l("No product with style code %(code)s.", code=code))
    return style


def _variant(session: Session, variant_id: int) -> Variant:
    variant = session.get(Variant, variant_id)
    if variant is None:
        raise NotFound(_l("Variant %(id)s does not exist.", id=variant_id))
    return variant


def _details(style: Style) -> dict:
    return {
        "name": style.name,
        "category": style.category,
        "unit": style.unit,
        "cost_price": style.cost_price,
        "sale_price": style.sale_price,
    }


def _detail_errors(name, category, unit, cost_price, sale_price) -> dict:
    """What is wrong with a style's name, category, unit and prices."""
    errors = {}
    if not (name or "").strip() or len(name) > MAX_NAME:
        errors["name"] = _l("Enter a name of at most 120 characters.")
    for key, text, limit in (("category", category, MAX_CATEGORY), ("unit", unit, MAX_UNIT)):
        if len(text or "") > limit:
            errors[key] = _l("At most %(max)d characters.", max=limit)
    for key, price in (("cost_price", cost_price), ("sale_price", sale_price)):
        if price is not None and not 0 <= price <= MAX_PRICE:
            errors[key] = _l("Enter a price of 0 or more.")
    return errors


def _record(session, actor_id, row: Style | Variant, action, before=None, after=None) -> None:
    """The audit row of a change to a style (PRODUCT, its code) or a variant (VARIANT, its SKU)."""
    style = isinstance(row, Style)
    audit.record(
        session,
        actor_id=actor_id,
        subject=AuditSubject.PRODUCT if style else AuditSubject.VARIANT,
        key=row.code if style else row.sku,
        action=action,
        before=before,
        after=after,
    )


def _add_variants(style: Style, sizes, colours, barcodes, restore=((), ())) -> list[int]:
    """Every colour × size of ``colours`` and ``sizes`` (in their order) that the style
    lacks, added; the existing ones re-ranked, and restored when their size or colour
    is in ``restore`` (sizes, colours)."""
    existing = {(v.colour, v.size): v for v in style.variants}
    created = []
    for colour_rank, colour in enumerate(colours or [""]):
        for size_rank, size in enumerate(sizes):
            variant = existing.get((colour, size))
            if variant is not None:
                if size in restore[0] or colour in restore[1]:
                    variant.archived = False
                variant.colour_rank, variant.size_rank = colour_rank, size_rank
                continue
            variant = Variant(
                style=style,
                colour=colour,
                colour_rank=colour_rank,
                size=size,
                size_rank=size_rank,
                sku=sku_of(style.code, colour, size),
                barcode=barcodes.get((colour, size)),
            )
            db.session.add(variant)
            created.append(variant)
    db.session.flush()
    for variant in created:
        if variant.barcode is None:
            variant.barcode = internal_barcode(variant.id)
    db.session.flush()
    return [variant.id for variant in created]


def style_errors(code, name, sizes, colours, barcodes) -> dict:
    """Field name → message for everything wrong with a new style; empty when valid."""
    errors = {}
    if not CODE.fullmatch(code or ""):
        errors["code"] = _l("Use 1–32 letters, digits, dots, dashes or underscores.")
    elif db.session.scalar(select(Style.id).where(Style.code == code)) is not None:
        errors["code"] = _l("Style code %(code)s already exists.", code=code)
    if not (name or "").strip() or len(name) > MAX_NAME:
        errors["name"] = _l("Enter a name of at most 120 characters.")
    errors.update(_check_labels(sizes, colours, sizes_required=True))
    cells = {(colour, size) for colour in (colours or [""]) for size in sizes}
    stray = [key for key in barcodes if key not in cells]
    per_cell = barcode_errors(barcodes)
    if any(message is BAD_BARCODE for message in per_cell.values()):
        errors["barcodes"] = BAD_BARCODE
    elif stray:
        colour, size = stray[0]
        errors["barcodes"] = _l(
            "A barcode is given for %(variant)s, which this product does not have.",
            variant=" ".join(part for part in (colour, size) if part),
        )
    elif per_cell:
        errors["barcodes"] = _l("A SKU or barcode of this product is already in use.")
    return errors


BAD_BARCODE = _l("Barcodes are 4–32 letters, digits or dashes.")


def barcode_errors(barcodes: dict[tuple[str, str], str]) -> dict[tuple[str, str], object]:
    """(colour, size) → what is wrong with the barcode typed for that cell: its shape,
    given twice, or used by another variant (named). One query."""
    errors: dict[tuple[str, str], object] = {}
    seen: dict[str, tuple[str, str]] = {}
    for cell, barcode in barcodes.items():
        if not BARCODE.fullmatch(barcode):
            errors[cell] = BAD_BARCODE
        elif barcode in seen:
            errors[cell] = _l("Barcode %(barcode)s is given twice.", barcode=barcode)
        seen.setdefault(barcode, cell)
    used = db.session.execute(
        select(Variant.barcode, Variant.sku).where(Variant.barcode.in_(list(seen)))
    ).all()
    for barcode, sku in used:
        errors.setdefault(
            seen[barcode], _l("Barcode %(barcode)s is used by %(sku)s.", barcode=barcode, sku=sku)
        )
    return errors


def _check_labels(sizes, colours, *, sizes_required: bool) -> dict:
    errors = {}
    if sizes_required and not sizes:
        errors["sizes"] = _l("Give at least one size.")
    elif len(sizes) > MAX_GROUP_SIZES:
        errors["sizes"] = _l("At most %(max)d sizes in a group.", max=MAX_GROUP_SIZES)
    elif not _labels_ok(sizes, MAX_SIZE):
        errors["sizes"] = _l("Sizes must be different, non-empty, and at most 20 characters.")
    if len(colours) > MAX_COLOURS:
        errors["colours"] = _l("At most %(max)d colours.", max=MAX_COLOURS)
    elif not _labels_ok(colours, MAX_COLOUR):
        errors["colours"] = _l("Colours must be different, non-empty, and at most 40 characters.")
    return errors


def _labels_ok(labels, longest: int) -> bool:
    return len(set(labels)) == len(labels) and all(
        label.strip() == label and 0 < len(label) <= longest for label in labels
    )
