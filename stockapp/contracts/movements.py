"""The stock log over the API: a keyset page of movements, newest first; and reversing a
document (冲销)."""

from typing import Annotated

from pydantic import Field, StringConstraints

from ..i18n import lazy_gettext as _l
from ..models import MovementKind
from ..models.catalogue import MAX_SKU
from ..models.ledger import MAX_NOTE
from .moves import PlacedMovement
from .shared import (
    BLANK_IS_LEFT_OUT,
    NO_NUL,
    Answer,
    Contract,
    Cursor,
    quantity,
    text,
    values_of,
    vocabulary,
)
from .stock import Document, Movement


class MovementsQuery(Contract):
    sku: Annotated[
        str, StringConstraints(max_length=MAX_SKU, pattern=NO_NUL), BLANK_IS_LEFT_OUT
    ] = None
    kind: Annotated[
        vocabulary(
            MovementKind,
            _l("Unknown kind. Use one of: %(kinds)s.", kinds=values_of(MovementKind)),
        ),
        BLANK_IS_LEFT_OUT,
    ] = None
    limit: quantity(1, 500, in_query=True) = 50
    cursor: Cursor = None


class MovementPage(Answer):
    items: list[Movement]
    next_cursor: str | None


class Reversing(Contract):
    reason: Annotated[text(MAX_NOTE), Field(description="Why the document is reversed.")]


class Reversed(Answer):
    document: Document = Field(description="The document reversed, now in state reversed.")
    reversal: Document
    movements: list[PlacedMovement] = Field(
        description="The reversal's movements: the opposite of each of the document's."
    )
