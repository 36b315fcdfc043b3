"""Import from Excel over the API: what an upload answers (its counts and every error at
its row and column), and what a confirm answers (the same, as imported)."""

from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator

from ..models import ImportState
from .shared import Answer, vocabulary


class ImportCounts(Answer):
    """What the sheet holds and what the import would do (or did) with it."""

    rows: int
    new_styles: int = 0
    extended_styles: int = 0
    left_styles: int = 0
    new_variants: int = 0
    stocked_variants: int = 0
    left_variants: int = 0
    pieces: int = 0
    errors: int


# A message as the reader's language has it now (the service gives it lazily translated).
Translated = Annotated[str, BeforeValidator(str)]


class SheetError(Answer):
    """One error of the sheet: its row (1 is the headings), column letter and heading."""

    row: int
    column: str
    heading: str
    message: Translated


class EarlierImport(Answer):
    id: int
    at: datetime
    by: str


class ImportPreview(Answer):
    """An uploaded sheet, checked: ``ready`` to confirm, ``invalid`` with its errors, or
    ``imported`` with its opening-stock document (期初库存)."""

    id: int
    filename: str
    state: vocabulary(ImportState)
    uploaded_by: str
    uploaded_at: datetime
    confirmed_by: str | None
    confirmed_at: datetime | None
    document: str | None
    counts: ImportCounts
    errors: list[SheetError]
    already_imported: EarlierImport | None
    can_confirm: bool
