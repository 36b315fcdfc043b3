"""Documents named by their number or their id (an order, a purchase order). No writes."""

from sqlalchemy import select

from ..extensions import db
from ..models.ledger import MAX_ID


def id_by_number_or_id(model, value: int | str) -> int | None:
    """The id of the ``model`` row whose id (a whole number) or number (text) is ``value``.

    Ids only: a row loaded here would sit in the session, stale, when a service locks it.
    """
    if isinstance(value, int):
        if not 0 < value <= MAX_ID:
            return None
        return db.session.scalar(select(model.id).where(model.id == value))
    return db.session.scalar(select(model.id).where(model.number == value))
