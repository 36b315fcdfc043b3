"""Warehouses (仓库) and their locations (货位): the list, one warehouse's page, the
managers' changes."""

from flask import Blueprint

bp = Blueprint("warehouses", __name__)

from . import routes  # noqa: E402, F401  (the routes register themselves on bp)
