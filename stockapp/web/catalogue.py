"""The product list."""

from flask import Blueprint, current_app, render_template, request

from .. import queries
from ..htmx import is_htmx

bp = Blueprint("catalogue", __name__)


@bp.get("/")
def products():
    """Styles with their on-hand per size; searchable by code, name, SKU or barcode."""
    search = request.args.get("q", "").strip()[:100]
    category = request.args.get("category", "")[:60]
    page = max(request.args.get("page", 1, type=int), 1)
    styles, has_next = queries.style_page(
        search=search, category=category, page=page, per_page=current_app.config["PAGE_SIZE"]
    )
    context = {
        "styles": styles,
        "has_next": has_next,
        "page": page,
        "search": search,
        "category": category,
        "categories": queries.categories(),
    }
    if is_htmx():
        return render_template("catalogue/_product_rows.html", **context)
    return render_template("catalogue/products.html", **context)
