"""The read side, one module per area: stock, catalogue, movements, orders, purchasing;
the one pager of every list (pager) and suggested document numbers (numbers).

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
from .numbers import next_number
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
    "next_number",
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
