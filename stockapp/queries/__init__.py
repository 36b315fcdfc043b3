"""The read side, one module per area: stock, catalogue, movements, orders, purchasing,
receipts; the one pager of every list (pager) and suggested document numbers (numbers).

No writes. Pages and the API ask the same readers; the most used are named here.
"""

from . import movements
from .catalogue import (
    categories,
    stock_matrix,
    style_by_code,
    style_code_for,
    style_page,
    variant_by_sku,
    variant_ids_by_sku,
)
from .documents import id_by_number_or_id
from .insight import manager_todo
from .numbers import next_number
from .orders import (
    order_by_id,
    order_exists,
    order_lines,
    order_list,
    order_page,
    order_skus,
)
from .purchasing import (
    backorders,
    discrepancies_of,
    po_detail,
    po_list,
    po_page,
    po_received,
    receiving_pos,
    supplier_by_id,
    supplier_exists,
    supplier_named,
)
from .receipts import (
    receipt_detail,
    receipt_exists,
    receipt_lines,
    receipt_list,
    receipt_page,
    receipt_po,
    receipt_skus,
)
from .stock import (
    bins_of,
    in_transit,
    places,
    reserved,
    stock_levels,
    stock_version,
)

__all__ = [
    "backorders",
    "bins_of",
    "categories",
    "discrepancies_of",
    "id_by_number_or_id",
    "in_transit",
    "manager_todo",
    "movements",
    "next_number",
    "order_by_id",
    "order_exists",
    "order_lines",
    "order_list",
    "order_page",
    "order_skus",
    "places",
    "po_detail",
    "po_list",
    "po_page",
    "po_received",
    "receipt_detail",
    "receipt_exists",
    "receipt_lines",
    "receipt_list",
    "receipt_page",
    "receipt_po",
    "receipt_skus",
    "receiving_pos",
    "reserved",
    "stock_levels",
    "stock_matrix",
    "stock_version",
    "style_by_code",
    "style_code_for",
    "style_page",
    "supplier_by_id",
    "supplier_exists",
    "supplier_named",
    "variant_by_sku",
    "variant_ids_by_sku",
]
