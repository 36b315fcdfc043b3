"""Products over the API: the product list, a style created, changed or given more
sizes and colours, one read with its stock, a variant's barcode, threshold and state."""

from contextlib import contextmanager

from flask import g

from .. import queries
from ..access import Reads
from ..contracts.catalogue import (
    NewProduct,
    NewVariants,
    Product,
    ProductChange,
    ProductPage,
    ProductsQuery,
    VariantChange,
)
from ..contracts.catalogue import Variant as VariantAnswer
from ..database import write_transaction
from ..i18n import lazy_gettext as _l
from ..models import Role, Style
from ..queries.pager import Cursor
from ..services import catalogue
from ..services.errors import InvalidInput, NotFound
from . import api
from .access import requires
from .reading import Refusal, answer, body, query

# The API's field names where the catalogue's differ.
API_FIELD = {"colours": "colors"}


@api.post("/products")
@requires(Role.MANAGER)
def create_product():
    found, refusal = body(NewProduct)
    fields = {
        "code": found.code or "",
        "name": found.name or "",
        "sizes": found.sizes or [],
        "colours": found.colors or [],
        "category": found.category or "",
        "unit": found.unit or "",
        "cost_price": found.cost_price,
        "sale_price": found.sale_price,
        "barcodes": _barcodes(found, refusal),
    }
    # Name every bad field at once: the catalogue's own checks join the contract's.
    checked = ("code", "name", "sizes", "colours", "barcodes")
    for name, message in catalogue.style_errors(*(fields[f] for f in checked)).items():
        refusal.fail(API_FIELD.get(name, name), message)
    refusal.finish()
    with _api_fields():
        catalogue.create_style(**fields, actor_id=g.api_user.id)
    return _product_answer(queries.style_by_code(fields["code"]), 201)


@api.get("/products")
@requires(Reads.STOCK)
def list_products():
    """Styles by code (keyset: ``cursor`` is the last code of the previous page),
    searched like the product list; ``active=false`` lists the archived ones."""
    asked = query(ProductsQuery)
    found = queries.style_page(
        search=asked.q.strip(),
        category=asked.category,
        show="" if asked.active else "archived",
        cursor=Cursor(after=asked.cursor),
        per_page=asked.limit,
    )
    items = [
        row | {"sizes": [size for size, _ in row["sizes"]], "on_hand": row["total"]}
        for row in found.rows
    ]
    for item in items:
        item["low_stock_variants"] = item["low"]
    next_cursor = found.next_cursor
    hide = None if _may_read_costs() else {"items": {"__all__": {"cost_price"}}}
    return answer(ProductPage, {"items": items, "next_cursor": next_cursor}, hide=hide)


@api.get("/products/<code>")
@requires(Reads.STOCK)
def get_product(code: str):
    return _product_answer(_style(code))


@api.patch("/products/<code>")
@requires(Role.MANAGER)
def change_product(code: str):
    """Change the fields sent; ``active`` archives (refused while it holds stock) or restores."""
    style = _style(code)
    found, refusal = body(ProductChange)
    refusal.finish()
    sent = found.model_fields_set - {"active"}
    actor = g.api_user.id
    with write_transaction():
        if sent:
            current = {key: getattr(style, key) for key in ProductChange.model_fields}
            wanted = current | {key: getattr(found, key) for key in sent}
            wanted.pop("active")
            catalogue.update_style(code, actor_id=actor, **wanted)
        if found.active is not None:
            change = catalogue.restore_style if found.active else catalogue.archive_style
            change(code, actor_id=actor)
    return _product_answer(queries.style_by_code(code))


@api.post("/products/<code>/variants")
@requires(Role.MANAGER)
def add_variants(code: str):
    """More sizes (each in its size group's order) or colours; the new variants are made."""
    style = _style(code)
    found, refusal = body(NewVariants)
    refusal.finish()
    with _api_fields():
        catalogue.add_variants(
            style.id, sizes=found.sizes, colours=found.colors, actor_id=g.api_user.id
        )
    return _product_answer(queries.style_by_code(code), 201)


@api.patch("/variants/<sku>")
@requires(Role.MANAGER)
def change_variant(sku: str):
    """A variant's barcode, low-stock threshold (null: none) or archived state."""
    variant = None if "\x00" in sku else queries.variant_by_sku(sku)
    if variant is None:
        raise NotFound(_l("No variant with SKU %(sku)s.", sku=sku))
    found, refusal = body(VariantChange)
    refusal.finish()
    actor = g.api_user.id
    with write_transaction():
        if found.barcode is not None:
            catalogue.set_barcode(variant.id, found.barcode, actor_id=actor)
        if "threshold" in found.model_fields_set:
            catalogue.set_thresholds({variant.id: found.threshold}, actor_id=actor)
        if found.archived is not None:
            change = catalogue.archive_variant if found.archived else catalogue.restore_variant
            change(variant.id, actor_id=actor)
    variant = queries.variant_by_sku(sku)
    level = queries.stock_levels([variant.id])[variant.id]
    return answer(VariantAnswer, _variant(variant, level))


def _style(code: str) -> Style:
    style = None if "\x00" in code else queries.style_by_code(code)  # PostgreSQL refuses NUL
    if style is None:
        raise NotFound(_l("No product with style code %(code)s.", code=code))
    return style


def _may_read_costs() -> bool:
    return g.api_user.role.rank >= Reads.PURCHASING.rank


def _product_answer(style: Style, status: int = 200):
    hide = set() if _may_read_costs() else {"cost_price"}
    return answer(Product, _product(style), status, hide=hide)


@contextmanager
def _api_fields():
    """Within it, a refusal names the API's fields (``colors``) rather than the catalogue's."""
    try:
        yield
    except InvalidInput as refused:
        refused.errors = {API_FIELD.get(n, n): m for n, m in refused.errors.items()}
        raise


def _barcodes(found: NewProduct, refusal: Refusal) -> dict[tuple[str, str], str]:
    """``barcodes: [{size, color?, barcode}]`` as {(colour, size): barcode}."""
    barcodes = {}
    for i, entry in enumerate(found.barcodes or ()):
        if entry is None or entry.size is None or entry.barcode is None:
            continue
        key = (entry.color or "", entry.size)
        if key in barcodes:
            refusal.fail(f"barcodes[{i}]", _l("This size and colour already has a barcode above."))
        barcodes[key] = entry.barcode
    return barcodes


def _product(style: Style) -> dict:
    levels = queries.stock_levels(v.id for v in style.variants)
    return {
        "code": style.code,
        "name": style.name,
        "category": style.category,
        "unit": style.unit,
        "cost_price": None if style.cost_price is None else str(style.cost_price),
        "sale_price": None if style.sale_price is None else str(style.sale_price),
        "active": style.active,
        "sizes": style.sizes,
        "colors": [c for c in style.colours if c],
        "variants": [_variant(v, levels[v.id]) for v in style.variants],
    }


def _variant(v, level) -> dict:
    return {
        "sku": v.sku,
        "barcode": v.barcode,
        "size": v.size,
        "color": v.colour or None,
        "archived": v.archived,
        "low_stock_threshold": v.low_stock_threshold,
        **level.as_dict(),
    }
