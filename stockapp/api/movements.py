"""The stock log over the API: movements newest first, keyset-paginated."""

from .. import queries
from ..contracts.movements import MovementPage, MovementsQuery
from ..models import Role
from . import api
from .access import requires
from .reading import answer, query


@api.get("/movements")
@requires(Role.CLERK)
def list_movements():
    asked = query(MovementsQuery)
    found = queries.movements.page(
        queries.movements.Criteria(search=asked.sku or "", kind=asked.kind or "all"),
        before=int(asked.cursor) if asked.cursor else None,
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
    next_cursor = str(found.next_before) if found.next_before is not None else None
    return answer(MovementPage, {"items": items, "next_cursor": next_cursor})
