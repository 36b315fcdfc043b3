"""The upload form and the confirm button."""

from flask_wtf.file import FileField, FileRequired

from ...i18n import lazy_gettext as _l
from ..inputs import Form


class UploadForm(Form):
    sheet = FileField(
        _l("Spreadsheet (.xlsx or .csv)"),
        validators=[FileRequired(_l("Choose the file to import."))],
    )


class ConfirmForm(Form):
    """One button: CSRF only."""
