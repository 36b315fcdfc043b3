"""Catalogue look-ups: styles, variants by SKU, the product list and its matrix. No writes."""

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import selectinload

from ..database import run
from ..extensions import db
from ..models import (
    Style,
    Variant,
)
from .pager import Page, fetch
from .search import either, exactly, match, ranked
from .stock import StockLevel, is_low, stock_levels


def style_by_code(code: str) -> Style | None:
    return db.session.scalar(select(Style).where(Style.code == code))


_variants = Variant.__table__
_VARIANT_IDS = select(_variants.c.sku, _variants.c.id).where(
    _variants.c.sku.in_(bindparam("skus", expanding=True)), ~_variants.c.archived
)


def variant_ids_by_sku(skus) -> dict[str, int]:
    """Active variants' ids for the SKUs that exist; unknown SKUs are left out."""
    return dict(run(_VARIANT_IDS, {"skus": list(set(skus))}).all())


def variant_by_sku(sku: str) -> Variant | None:
    return db.session.scalar(select(Variant).where(Variant.sku == sku))


def style_page(*, search: str = "", category: str = "", page: int = 1, per_page: int = 50) -> Page:
    """One page of styles matching a search (code or name containing it, or an exact
    SKU or barcode), by code; a search's exact matches first, then prefixes (``search.match``).

    Page-numbered (the list is ordered by code, not id). Each style is a dict
    with its sizes, the on-hand per size (summed over colours and locations),
    the total, and how many of its variants are at or below their low-stock
    threshold.
    """
    query = select(Style).options(selectinload(Style.variants)).where(Style.active)
    if search:
        exact = select(Variant.style_id).where(
            or_(Variant.sku == search, Variant.barcode == search)
        )
        named = match(search, Style.code, Style.name)
        query = ranked(query, either(named, exactly(Style.id.in_(exact))))
    query = query.order_by(Style.code)
    if category:
        query = query.where(Style.category == category)
    found = fetch(query, limit=per_page, number=page)
    styles = found.rows
    levels = stock_levels(v.id for style in styles for v in style.variants if not v.archived)
    pages = []
    for style in styles:
        per_size = dict.fromkeys(style.sizes, 0)
        low = 0
        for variant in style.variants:
            if variant.archived:
                continue
            per_size[variant.size] += levels[variant.id].on_hand
            low += is_low(variant, levels[variant.id])
        pages.append(
            {
                "code": style.code,
                "name": style.name,
                "category": style.category,
                "sizes": list(per_size.items()),
                "total": sum(per_size.values()),
                "low": low,
            }
        )
    return found.with_rows(pages)


def style_code_for(text: str) -> str | None:
    """The style a scan or an exact entry names: its style code, a SKU or a barcode.

    Three look-ups, each on its own unique index, rather than one OR across a join.
    """
    if db.session.scalar(select(Style.code).where(Style.code == text)):
        return text
    for column in (Variant.sku, Variant.barcode):
        code = db.session.scalar(
            select(Style.code).join(Variant, Variant.style_id == Style.id).where(column == text)
        )
        if code:
            return code
    return None


def stock_matrix(style: Style) -> dict:
    """The colour × size grid of a style's stock, with row and column totals.

    ``cells[(colour, size)]`` holds the variant and its StockLevel (absent where
    the style has no such variant, or it is archived).
    """
    variants = [v for v in style.variants if not v.archived]
    levels = stock_levels(v.id for v in variants)
    cells = {
        (v.colour, v.size): {"variant": v, "level": levels[v.id], "low": is_low(v, levels[v.id])}
        for v in variants
    }
    colours, sizes = style.colours, style.sizes

    def total(cells_in) -> StockLevel:
        cells_in = list(cells_in)
        return StockLevel(
            on_hand=sum(c["level"].on_hand for c in cells_in),
            reserved=sum(c["level"].reserved for c in cells_in),
        )

    return {
        "colours": colours,
        "sizes": sizes,
        "cells": cells,
        "row_totals": {c: total(v for (cc, _), v in cells.items() if cc == c) for c in colours},
        "column_totals": {s: total(v for (_, ss), v in cells.items() if ss == s) for s in sizes},
        "total": total(cells.values()),
    }


def categories() -> list[str]:
    return list(
        db.session.scalars(
            select(Style.category).where(Style.category != "").distinct().order_by(Style.category)
        )
    )


def grids_by_style(cells: list[dict]) -> list[dict]:
    """Cells (each with its ``variant``) grouped per style, with colours and sizes in order."""
    styles: dict[int, dict] = {}
    for cell in cells:
        variant = cell["variant"]
        group = styles.setdefault(variant.style_id, {"style": variant.style, "cells": {}})
        group["cells"][(variant.colour, variant.size)] = cell
    groups = []
    for group in sorted(styles.values(), key=lambda g: g["style"].code):
        members = group["cells"].values()
        group["colours"] = _ordered(
            {(c["variant"].colour_rank, c["variant"].colour) for c in members}
        )
        group["sizes"] = _ordered({(c["variant"].size_rank, c["variant"].size) for c in members})
        groups.append(group)
    return groups


def _ordered(ranked: set[tuple[int, str]]) -> list[str]:
    return [label for _, label in sorted(ranked)]


def skus_on_lines(variant_id, condition) -> dict[str, int]:
    """SKU → variant id of the lines (an order's, a receipt's) that ``condition`` picks;
    ``variant_id`` is the lines' variant column. Archived variants included."""
    return dict(
        db.session.execute(
            select(Variant.sku, Variant.id)
            .join(variant_id.table, variant_id == Variant.id)
            .where(condition)
        ).all()
    )
