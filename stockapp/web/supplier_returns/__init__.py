"""Returns to the supplier (退供应商): the list, the form (clerks, on the tablet), a
return's page with the managers' approve and reject, and the printable return slip."""

from flask import Blueprint

bp = Blueprint("supplier_returns", __name__)

from . import routes  # noqa: E402, F401  (the routes register themselves on bp)
