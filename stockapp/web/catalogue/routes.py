"""The product list and the product page with its colour × size stock matrix."""

from flask import abort, redirect, render_template, request, url_for

from ... import queries
from ...access import Reads
from ...htmx import is_htmx
from ..access import role_required
from ..lists import page_args
from . import bp


@bp.get("/")
@role_required(Reads.STOCK)
def products():
    """Styles with their on-hand per size; searchable by code, name, SKU or barcode.

    Entering or scanning an exact style code, SKU or barcode (the search form's
    submit, which a keyboard-wedge scanner ends with Enter) opens that style.
    """
    search = request.args.get("q", "").strip()[:100]
    category = request.args.get("category", "")[:60]
    show = request.args.get("show", "")
    show = show if show in queries.catalogue.SHOWN else ""
    submitted = not is_htmx() or request.headers.get("HX-Trigger") == "search"
    if search and submitted and (code := queries.style_code_for(search)):
        target = url_for("catalogue.product", code=code)
        if is_htmx():
            return "", 200, {"HX-Redirect": target}
        return redirect(target)
    found = page_args(codes=True)
    styles = queries.style_page(search=search, category=category, show=show, **found)
    context = {"styles": styles, "search": search, "category": category, "show": show}
    if is_htmx():
        return render_template("catalogue/_product_rows.html", **context)
    return render_template("catalogue/products.html", categories=queries.categories(), **context)


@bp.get("/products/<code>")
@role_required(Reads.STOCK)
def product(code: str):
    """One style: on hand, reserved and available per colour × size, with totals."""
    style = queries.style_by_code(code)
    if style is None:
        abort(404)
    matrix = queries.stock_matrix(style)
    template = "catalogue/_matrix.html" if is_htmx() else "catalogue/product.html"
    return render_template(template, style=style, matrix=matrix)
