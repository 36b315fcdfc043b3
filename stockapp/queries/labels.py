"""Barcode labels (标签 / 吊牌): what goes on each label, and its barcode as SVG bars.

A variant's label carries its barcode as EAN-13 when it is one (13 digits with the
right check digit, as ``services.catalogue.ean13`` makes them), else as Code 128 (a
supplier's code); a bin's label carries its location code as Code 128. python-barcode
encodes the symbol; its SVG writer draws with ``style=""``, which the strict CSP
blocks inline, so ``_Bars`` collects the bars through the library's own writer
callbacks and templates/labels/_label.html (``bars``) draws them with presentation attributes.
The human-readable digits are text beneath, in the page, escaped like any value.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from barcode import EAN13, Code128
from barcode.writer import BaseWriter
from sqlalchemy import select

from ..extensions import db
from ..models import Location, ReceiptLine, Style, Variant, Warehouse
from ..services.catalogue import ean13

# At most this many labels in one print (a roll or a pile of sheets).
MAX_LABELS = 2_000
# At most this many labels of one cell.
MAX_PER_CELL = 999
# Blank modules either side of the bars (EAN-13 asks for 11 and 7; Code 128 for 10).
QUIET_ZONE = 11
BAR_HEIGHT = 50  # in modules; the CSS sets the printed height


@dataclass(frozen=True)
class Barcode:
    """A symbol as bars: ``bars`` are (x, width) in modules of a ``width``-module image."""

    symbology: str  # "EAN-13" or "Code 128"
    digits: str  # what the symbol encodes, printed beneath
    width: int
    height: int
    bars: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Label:
    barcode: Barcode | None  # None: a variant without a barcode
    code: str  # the style code, or the bin's warehouse
    name: str = ""
    colour: str = ""
    size: str = ""
    price: Decimal | None = None


class _Bars(BaseWriter):
    """python-barcode's writer interface, collecting bars instead of drawing them."""

    def __init__(self):
        super().__init__(None, self._paint, None, self._finish)
        self._bars: list[tuple[int, int]] = []

    def _paint(self, xpos, ypos, width, color):
        if color == self.foreground:
            self._bars.append((round(xpos), round(width)))

    def _finish(self):
        return tuple(self._bars)


def is_ean13(value: str) -> bool:
    """13 digits whose last is their check digit (python-barcode would silently fix it)."""
    return len(value) == 13 and value.isascii() and value.isdigit() and ean13(value[:12]) == value


def barcode(value: str) -> Barcode:
    """``value`` as EAN-13 when it is one, else as Code 128 (ASCII text, such as A-01-03)."""
    writer = _Bars()
    options = {"module_width": 1, "quiet_zone": QUIET_ZONE, "write_text": False}
    if is_ean13(value):
        symbol, symbology = EAN13(value[:12], writer=writer), "EAN-13"
    else:
        symbol, symbology = Code128(value, writer=writer), "Code 128"
    bars = symbol.render(options)
    modules = len(symbol.build()[0])
    return Barcode(symbology, value, modules + 2 * QUIET_ZONE, BAR_HEIGHT, bars)


@dataclass
class Batch:
    """The labels of one print, in order, and whether that was more than allowed."""

    labels: list[Label] = field(default_factory=list)
    too_many: bool = False

    def add(self, label: Label, copies: int) -> None:
        room = MAX_LABELS - len(self.labels)
        if copies > room:
            self.too_many = True
        self.labels.extend([label] * max(0, min(copies, room)))


def variant_labels(counts: dict[int, int], *, price: bool) -> Batch:
    """``counts[variant id]`` labels of each variant, style by style in grid order."""
    batch = Batch()
    if not counts:
        return batch
    rows = db.session.execute(
        select(Variant, Style)
        .join(Style, Style.id == Variant.style_id)
        .where(Variant.id.in_(list(counts)))
        .order_by(Style.code, Variant.colour_rank, Variant.size_rank, Variant.id)
    )
    for variant, style in rows:
        batch.add(_variant_label(variant, style, price), counts[variant.id])
    return batch


def receipt_labels(document_id: int, *, price: bool) -> Batch:
    """One label per piece a receipt received (damaged pieces get none)."""
    rows = db.session.execute(
        select(ReceiptLine.received, Variant, Style)
        .join(Variant, Variant.id == ReceiptLine.variant_id)
        .join(Style, Style.id == Variant.style_id)
        .where(ReceiptLine.document_id == document_id, ReceiptLine.received > 0)
        .order_by(ReceiptLine.id)
    )
    batch = Batch()
    for received, variant, style in rows:
        batch.add(_variant_label(variant, style, price), received)
    return batch


def bin_labels(warehouse_id: int, location_id: int | None = None) -> Batch:
    """One label per location of a warehouse (or the one ``location_id`` names), by
    code: its code as Code 128."""
    query = (
        select(Location, Warehouse.name)
        .join(Warehouse, Warehouse.id == Location.warehouse_id)
        .where(Location.warehouse_id == warehouse_id, ~Location.is_transit)
        .order_by(Location.code)
    )
    if location_id is not None:
        query = query.where(Location.id == location_id)
    rows = db.session.execute(query)
    batch = Batch()
    for location, warehouse in rows:
        label = Label(barcode=barcode(location.code), code=warehouse, name=location.zone)
        batch.add(label, 1)
    return batch


def _variant_label(variant: Variant, style: Style, price: bool) -> Label:
    return Label(
        barcode=barcode(variant.barcode) if variant.barcode else None,
        code=style.code,
        name=style.name,
        colour=variant.colour,
        size=variant.size,
        price=style.sale_price if price else None,
    )
