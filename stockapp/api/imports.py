"""Import from Excel over the API: upload a sheet (multipart) for its preview, read an
upload, confirm it (managers)."""

from flask import g, request

from ..contracts.imports import ImportPreview
from ..contracts.reading import invalid
from ..contracts.shared import MESSAGES
from ..models import Role
from ..services import imports
from . import api
from .access import requires
from .reading import answer

# The multipart field that carries the sheet, as the upload form names it.
FIELD = "sheet"


@api.post("/imports")
@requires(Role.MANAGER)
def upload_import():
    """The sheet checked and kept (201), errors and all; a file that is not a
    spreadsheet is a problem (422) and nothing is kept."""
    request.max_content_length = imports.MAX_UPLOAD_REQUEST
    sheet = request.files.get(FIELD)
    if sheet is None:
        raise invalid({FIELD: MESSAGES["missing"]})
    found = imports.upload(
        content=sheet.read(imports.MAX_UPLOAD_BYTES + 1),
        filename=sheet.filename or "",
        actor_id=g.api_user.id,
    )
    return answer(ImportPreview, found, 201)


@api.get("/imports/<int:import_id>")
@requires(Role.MANAGER)
def get_import(import_id: int):
    return answer(ImportPreview, imports.preview(import_id))


@api.post("/imports/<int:import_id>/confirm")
@requires(Role.MANAGER)
def confirm_import(import_id: int):
    """Import a ready upload once: its styles, and its opening stock as one document."""
    return answer(ImportPreview, imports.confirm(import_id, actor_id=g.api_user.id))
