"""The read side, one module per area: stock, catalogue, movements, orders, purchasing.

No writes. Pages and the API ask the same readers; the most used are named here.
"""

from . import movements
from .catalogue import (
    categories,
    grids_by_style,
    stock_matrix,
    style_by_code,
    style_code_for,
    style_page,
    variant_by_sku,
    variant_ids_by_sku,
)
from .orders import order_by_number, order_list, order_page
from .purchasing import (
    backorders,
    discrepancies_of,
    po_list,
    po_page,
    po_received,
    po_totals,
    receipt_list,
    receipt_page,
    receiving_pos,
)
from .stock import (
    StockLevel,
    is_low,
    locations_of,
    reserved,
    stock_by_location,
    stock_levels,
    stock_version,
)

__all__ = [
    "StockLevel",
    "backorders",
    "categories",
    "discrepancies_of",
    "grids_by_style",
    "is_low",
    "locations_of",
    "movements",
    "order_by_number",
    "order_list",
    "order_page",
    "po_list",
    "po_page",
    "po_received",
    "po_totals",
    "receipt_list",
    "receipt_page",
    "receiving_pos",
    "reserved",
    "stock_by_location",
    "stock_levels",
    "stock_matrix",
    "stock_version",
    "style_by_code",
    "style_code_for",
    "style_page",
    "variant_by_sku",
    "variant_ids_by_sku",
]
