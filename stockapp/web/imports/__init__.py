"""Import from Excel (导入) and the stock sheet (库存表): the upload, its preview and
confirmation, the template, and the stock exported in the import's own layout."""

from flask import Blueprint

bp = Blueprint("imports", __name__)

from . import routes, sheets  # noqa: E402, F401  (they register themselves on bp)
