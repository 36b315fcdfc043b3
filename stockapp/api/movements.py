"""The stock log over the API: movements newest first, keyset-paginated; and reversing a
document (冲销), as the log's Reverse does."""

from flask import g

from .. import queries
from ..access import Reads
from ..contracts.movements import MovementPage, MovementsQuery, Reversed, Reversing
from ..http_errors import TITLES
from ..i18n import lazy_gettext as _l
from ..models import Movement, Role
from ..models.ledger import MAX_ID
from ..queries.catalogue import skus_on_lines
from ..queries.moves import location_codes
from ..queries.pager import Cursor
from ..services import documents, reversals
from ..services.warehouses import allowed_warehouse_ids
from . import api
from .access import requires
from .problems import problem
from .reading import answer, body, idempotency_key, placed_movements, query


@api.get("/movements")
@requires(Reads.MOVEMENTS)
def list_movements():
    """One product's movements (``sku``) for clerks, as "why is this number" shows them;
    every product's at once, the stock log, for managers; in the warehouses the user
    works in."""
    asked = query(MovementsQuery)
    if not asked.sku and g.api_user.role.rank < Reads.STOCK_LOG.rank:
        detail = _l("Give sku= (a SKU or a style code): the whole stock log is for managers.")
        return problem(403, TITLES[403], detail)
    found = queries.movements.page(
        queries.movements.Criteria(
            search=asked.sku or "",
            kind=asked.kind or "all",
            warehouse_ids=allowed_warehouse_ids(g.api_user.id),
        ),
        cursor=Cursor(before=int(asked.cursor) if asked.cursor else None),
        limit=asked.limit,
    )
    items = [
        row
        | {
            "document": row["document"]["number"] if row["document"] else None,
            "created_at": row["created_at"].isoformat(),
        }
        for row in found.rows
    ]
    next_cursor = str(found.next_cursor) if found.next_cursor is not None else None
    return answer(MovementPage, {"items": items, "next_cursor": next_cursor})


@api.post(f"/documents/<int(max={MAX_ID}):document_id>/reverse")
@requires(Role.MANAGER)
def reverse_document(document_id: int):
    """Reverse a posted receipt, stocktake, bin move, write-off or return to the supplier,
    with a reason: the reversal's movements, each with its location; the document is
    reversed."""
    found, refusal = body(Reversing)
    refusal.finish()
    result = reversals.reverse_document(
        document_id,
        operator_id=g.api_user.id,
        reason=found.reason,
        idempotency_key=idempotency_key(),
    )
    reversal = result["document"]
    codes = location_codes({m["location_id"] for m in result["movements"]})
    skus = skus_on_lines(Movement.variant_id, Movement.document_id == reversal["id"])
    return answer(
        Reversed,
        {
            "document": documents.read(document_id),
            "reversal": reversal,
            "movements": placed_movements(result, skus, codes),
        },
        201,
    )
