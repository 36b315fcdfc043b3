"""The stock log over the API: a keyset page of movements, newest first."""

from typing import Annotated

from pydantic import StringConstraints

from ..i18n import lazy_gettext as _l
from ..models import MovementKind
from ..models.catalogue import MAX_SKU
from .shared import (
    BLANK_IS_LEFT_OUT,
    NO_NUL,
    Answer,
    Contract,
    Cursor,
    quantity,
    values_of,
    vocabulary,
)
from .stock import Movement


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
