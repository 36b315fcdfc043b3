"""Catalogue look-ups: styles, variants by SKU, the product list and its matrix. No writes."""

from sqlalchemy import func, or_, select

from ..database import Prepared, in_list, run
from ..extensions import db
from ..models import (
    Style,
    Variant,
)
from .pager import FIRST, Cursor, Page, fetch
from .search import cursor_for, either, exactly, match, ranked
from .stock import StockLevel, has_low_variant, is_low, stock_levels, stock_per_size


def style_by_code(code: str) -> Style | None:
    return db.session.scalar(select(Style).where(Style.code == code))


_variants = Variant.__table__
_VARIANT_IDS = Prepared(
    select(_variants.c.sku, _variants.c.id).where(
        in_list(_variants.c.sku, "skus"), ~_variants.c.archived
    )
)


def variant_ids_by_sku(skus) -> dict[str, int]:
    """Active variants' ids for the SKUs that exist; unknown SKUs are left out."""
    return dict(run(_VARIANT_IDS, {"skus": list(set(skus))}).all())


def variant_by_sku(sku: str) -> Variant | None:
    return db.session.scalar(select(Variant).where(Variant.sku == sku))


# What the product list shows: active styles, those with a low variant, or archived ones.
SHOWN = ("", "low", "archived")


def style_page(
    *,
    search: str = "",
    category: str = "",
    show: str = "",
    cursor: Cursor = FIRST,
    per_page: int = 50,
) -> Page:
    """One page of styles matching a search (code or name containing it, or an exact
    SKU or barcode), by code (keyset on the code); a search's exact matches first,
    then prefixes (``search.match``). ``show``: "" the active styles, "low" those
    with a variant at or below its threshold, "archived" the archived ones.

    Each style is a dict with its sizes, the on-hand per size (summed over colours
    and locations), the total, and how many of its variants are at or below their
    low-stock threshold. Plain rows in two queries: the page's styles, then their
    stock per size, grouped in the database.
    """
    query = select(
        Style.id,
        Style.code,
        Style.name,
        Style.category,
        Style.unit,
        Style.cost_price,
        Style.sale_price,
        Style.active,
    )
    query = query.where(~Style.active if show == "archived" else Style.active)
    if show == "low":
        query = query.where(has_low_variant(Style.id))
    if search:
        # The styles a SKU or barcode names, looked up first (on their unique indexes):
        # as a subquery inside the OR, PostgreSQL could not combine the trigram
        # indexes and read every style instead (31 ms at 40,000 styles).
        exact = db.session.scalars(
            select(Variant.style_id).where(or_(Variant.sku == search, Variant.barcode == search))
        ).all()
        found = either(match(search, Style.code, Style.name), exactly(Style.id.in_(exact)))
        query, cursor = ranked(query, found), cursor_for(found, cursor)
    if category:
        query = query.where(Style.category == category)
    found = fetch(
        query, by=Style.code, limit=per_page, cursor=cursor, descending=False, key=_code_of
    )
    per_size = stock_per_size(style.id for style in found.rows)
    pages = []
    for style in found.rows:
        sizes: dict[str, int] = {}
        low = 0
        for size, on_hand, low_count in per_size.get(style.id, ()):
            sizes[size] = sizes.get(size, 0) + on_hand
            low += low_count
        pages.append(
            {
                "code": style.code,
                "name": style.name,
                "category": style.category,
                "unit": style.unit,
                "cost_price": style.cost_price,
                "sale_price": style.sale_price,
                "active": style.active,
                "sizes": list(sizes.items()),
                "total": sum(sizes.values()),
                "low": low,
            }
        )
    return found.with_rows(pages)


def _code_of(row) -> str:
    return row.code


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
    """The categories in use, A → Z, by a loose index scan: from one category to the
    next through the category index, a probe per category, never a read of every style.
    Nothing is cached, so nothing has to be invalidated (see ``_CATEGORIES``)."""
    return list(run(_CATEGORIES).scalars())


def _category_scan():
    styles = Style.__table__
    first = select(func.min(styles.c.category).label("category")).where(styles.c.category > "")
    seen = first.cte("seen", recursive=True)
    following = (
        select(func.min(styles.c.category))
        .where(styles.c.category > seen.c.category)
        .scalar_subquery()
    )
    seen = seen.union_all(select(following).where(seen.c.category.is_not(None)))
    return select(seen.c.category).where(seen.c.category.is_not(None)).order_by(seen.c.category)


# SELECT DISTINCT category read every style's index entry on every product list
# (48,000 at scale); a cache per process would need a version shared by the workers
# and bumped with every change of a category. The recursive query costs one index
# probe per category instead, and is always up to date.
_CATEGORIES = _category_scan()


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
