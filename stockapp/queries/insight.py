"""What waits for a manager (the to-do in the header). No writes."""

from sqlalchemy import func, select

from ..database import run
from ..models import Document, DocumentKind, DocumentStatus, Order, Style, Variant
from .orders import picked_in_full
from .stock import low_variant


def manager_todo() -> dict[str, int]:
    """How many receipts, write-offs and returns to suppliers wait for approval, how many
    orders are picked in full and wait for 配货完成, and how many active variants are at
    or below their low-stock threshold. Five counts in one statement, each on an index:
    the documents on (kind, status), the orders on (picked in full, status), the
    variants among those with a threshold (``is_low`` in SQL)."""
    return dict(run(_MANAGER_TODO).mappings().one())


def _count(query):
    return query.with_only_columns(func.count()).scalar_subquery()


# Built once: a manager's header asks for it whenever stock or a document changed.
_MANAGER_TODO = select(
    _count(
        select(Document).where(
            Document.kind == DocumentKind.RECEIPT, Document.status == DocumentStatus.SUBMITTED
        )
    ).label("receipts"),
    _count(
        select(Document).where(
            Document.kind == DocumentKind.WRITE_OFF, Document.status == DocumentStatus.SUBMITTED
        )
    ).label("write_offs"),
    _count(
        select(Document).where(
            Document.kind == DocumentKind.SUPPLIER_RETURN,
            Document.status == DocumentStatus.SUBMITTED,
        )
    ).label("supplier_returns"),
    _count(select(Order).where(picked_in_full())).label("picked"),
    _count(
        # The variants drive, on their threshold's index; their style is looked up.
        select(Variant).where(
            low_variant(),
            select(Style.id).where(Style.id == Variant.style_id, Style.active).exists(),
        )
    ).label("low"),
)
