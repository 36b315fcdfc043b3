"""The catalogue: styles (款) and their colour × size variants (SKU)."""

import re
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..database import write_transaction
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import Style, Variant
from .errors import InvalidInput, NotFound

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
) -> int:
    """Create a style with one variant per colour × size and return its id.

    ``barcodes`` maps (colour, size) to a barcode; every other variant gets an
    internal EAN-13. The code, the SKUs and the barcodes are unique: a clash is
    an ``InvalidInput`` naming the field, and nothing is written.
    """
    errors = style_errors(code, name, sizes, colours, barcodes or {})
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
            return style.id
    except IntegrityError as clash:
        raise InvalidInput(
            _l("The product could not be saved."),
            {"barcodes": _l("A SKU or barcode of this product is already in use.")},
        ) from clash


def add_variants(
    style_id: int, *, sizes: Sequence[str] = (), colours: Sequence[str] = ()
) -> list[int]:
    """Extend a style's size run and colours; return the ids of the new variants.

    New sizes and colours go after the existing ones. Existing variants are
    kept as they are; an archived one that is asked for again is restored.
    """
    errors = _check_labels(sizes, colours, sizes_required=False)
    if errors:
        raise InvalidInput(_l("The product could not be saved."), errors)
    with write_transaction() as session:
        style = session.get(Style, style_id)
        if style is None:
            raise NotFound(_l("Product %(id)s does not exist.", id=style_id))
        return _add_variants(
            style,
            [*style.sizes, *(s for s in sizes if s not in style.sizes)],
            [*style.colours, *(c for c in colours if c not in style.colours)],
            {},
        )


def archive_variant(variant_id: int) -> None:
    """Take a variant out of use. Its history stays; variants are never deleted."""
    with write_transaction() as session:
        variant = session.get(Variant, variant_id)
        if variant is None:
            raise NotFound(_l("Variant %(id)s does not exist.", id=variant_id))
        variant.archived = True


def set_low_stock_threshold(variant_id: int, threshold: int | None) -> None:
    """Alert when the variant's stock falls to ``threshold`` or below; None: never."""
    if threshold is not None and threshold < 0:
        raise InvalidInput(
            _l("The threshold could not be saved."),
            {"low_stock_threshold": _l("Enter 0 or more.")},
        )
    with write_transaction() as session:
        variant = session.get(Variant, variant_id)
        if variant is None:
            raise NotFound(_l("Variant %(id)s does not exist.", id=variant_id))
        variant.low_stock_threshold = threshold


def _add_variants(style: Style, sizes, colours, barcodes) -> list[int]:
    existing = {(v.colour, v.size): v for v in style.variants}
    created = []
    for colour_rank, colour in enumerate(colours or [""]):
        for size_rank, size in enumerate(sizes):
            variant = existing.get((colour, size))
            if variant is not None:
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
    if not (name or "").strip() or len(name) > 120:
        errors["name"] = _l("Enter a name of at most 120 characters.")
    errors.update(_check_labels(sizes, colours, sizes_required=True))
    bad = [b for b in barcodes.values() if not BARCODE.fullmatch(b)]
    cells = {(colour, size) for colour in (colours or [""]) for size in sizes}
    stray = [key for key in barcodes if key not in cells]
    if bad:
        errors["barcodes"] = _l("Barcodes are 4–32 letters, digits or dashes.")
    elif stray:
        colour, size = stray[0]
        errors["barcodes"] = _l(
            "A barcode is given for %(variant)s, which this product does not have.",
            variant=" ".join(part for part in (colour, size) if part),
        )
    elif len(set(barcodes.values())) != len(barcodes) or db.session.scalar(
        select(func.count()).select_from(Variant).where(Variant.barcode.in_(barcodes.values()))
    ):
        errors["barcodes"] = _l("A SKU or barcode of this product is already in use.")
    return errors


def _check_labels(sizes, colours, *, sizes_required: bool) -> dict:
    errors = {}
    if sizes_required and not sizes:
        errors["sizes"] = _l("Give at least one size.")
    elif not _labels_ok(sizes, 20):
        errors["sizes"] = _l("Sizes must be different, non-empty, and at most 20 characters.")
    if not _labels_ok(colours, 40):
        errors["colours"] = _l("Colours must be different, non-empty, and at most 40 characters.")
    return errors


def _labels_ok(labels, longest: int) -> bool:
    return len(set(labels)) == len(labels) and all(
        label.strip() == label and 0 < len(label) <= longest for label in labels
    )
