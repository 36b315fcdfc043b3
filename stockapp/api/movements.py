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
    items = queries.movements.recent(
        sku=asked.sku,
        kind=asked.kind,
        before_id=int(asked.cursor) if asked.cursor else None,
        limit=asked.limit + 1,
    )
    next_cursor = str(items[asked.limit - 1]["id"]) if len(items) > asked.limit else None
    return answer(MovementPage, {"items": items[: asked.limit], "next_cursor": next_cursor})
