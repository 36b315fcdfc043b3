"""Products over the API: create a style with its variants, read one with its stock."""

from flask import g

from .. import queries
from ..access import Reads
from ..contracts.catalogue import NewProduct, Product
from ..i18n import lazy_gettext as _l
from ..models import Role, Style
from ..services import catalogue
from ..services.errors import InvalidInput, NotFound
from . import api
from .access import requires
from .reading import Refusal, answer, body

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
    try:
        catalogue.create_style(**fields)
    except InvalidInput as refused:
        refused.errors = {API_FIELD.get(n, n): message for n, message in refused.errors.items()}
        raise
    return answer(Product, _product(queries.style_by_code(fields["code"])), 201)


@api.get("/products/<code>")
@requires(Reads.STOCK)
def get_product(code: str):
    style = None if "\x00" in code else queries.style_by_code(code)  # PostgreSQL refuses NUL
    if style is None:
        raise NotFound(_l("No product with style code %(code)s.", code=code))
    may_read_costs = g.api_user.role.rank >= Reads.PURCHASING.rank
    return answer(Product, _product(style), hide=set() if may_read_costs else {"cost_price"})


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
        "variants": [
            {
                "sku": v.sku,
                "barcode": v.barcode,
                "size": v.size,
                "color": v.colour or None,
                "archived": v.archived,
                "low_stock_threshold": v.low_stock_threshold,
                **levels[v.id].as_dict(),
            }
            for v in style.variants
        ],
    }
