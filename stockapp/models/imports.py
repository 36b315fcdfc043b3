"""Imports from Excel (导入): an uploaded sheet of styles and opening stock, kept as
parsed until a manager confirms it."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import db
from ..i18n import lazy_gettext as _l
from .vocabulary import Vocabulary, stored_as

MAX_FILENAME = 255


class ImportState(Vocabulary):
    """An upload is checked (``invalid`` when a row is wrong, else ``ready``); a
    manager confirms a ready one once, which makes it ``imported``."""

    INVALID = "invalid", _l("Has errors")
    READY = "ready", _l("Ready to import")
    IMPORTED = "imported", _l("Imported")


class Import(db.Model):
    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(MAX_FILENAME), default="")
    # SHA-256 of the file as uploaded: the same file uploaded again is recognised.
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # The same SHA-256, set when the import is confirmed: unique, so that a file is
    # imported once however many times it is uploaded and confirmed at once.
    imported_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    state: Mapped[ImportState] = mapped_column(stored_as(ImportState, 16))
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The opening-stock document the import posted (none when it brought no stock).
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    # What the preview counted: styles, variants, pieces, errors (a JSON object).
    counts: Mapped[dict] = mapped_column(JSON)
    # The sheet as parsed: its columns and the styles with their quantities (a JSON
    # object); and the errors found, each with its row and column (a JSON list).
    rows: Mapped[dict] = mapped_column(JSON)
    errors: Mapped[list] = mapped_column(JSON)
