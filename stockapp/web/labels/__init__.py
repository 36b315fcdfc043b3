"""Labels: barcode labels for a product's variants, a receipt's pieces and the bins."""

from flask import Blueprint

bp = Blueprint("labels", __name__, url_prefix="/labels")

from . import routes  # noqa: E402, F401  (the routes register themselves on bp)
