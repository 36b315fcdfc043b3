"""The managers' product pages: a new style with a preview of its colour × size grid,
a style's details, sizes and colours, archiving, and the low-stock thresholds."""

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import queries
from ...extensions import db
from ...htmx import client_redirect, is_htmx
from ...models import Role, Style, Variant
from ...services import catalogue, size_groups
from ...services.errors import DomainError, NotFound
from .. import entry_form
from ..access import role_required
from ..inputs import Form
from . import bp
from .forms import ChoiceForm, DetailsForm, NewStyleForm, barcode_name, typed_barcodes


@bp.route("/products/new", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def new_product():
    """A new style: details, sizes and colours, and a barcode per cell (blank: generated)."""
    form = _choice_form(NewStyleForm)
    if request.method == "GET":
        return _new_page(form)
    valid = entry_form.validate(form)
    grid = _grid(form)
    if valid and not grid["errors"] and not form.errors:
        try:
            catalogue.create_style(
                code=form.code.data,
                sizes=grid["sizes"],
                colours=grid["colours"],
                barcodes=grid["barcodes"],
                actor_id=current_user.id,
                **form.details(),
            )
        except DomainError as refused:
            entry_form.show_refusal(form, refused)
        else:
            flash(_("Product %(code)s created.", code=form.code.data), "success")
            return client_redirect(url_for("catalogue.product", code=form.code.data))
    return _new_page(form, grid, 422)


@bp.post("/products/new/grid")
@role_required(Role.MANAGER)
def new_product_grid():
    """The preview of the new style's grid, as its sizes and colours stand (htmx)."""
    form = _choice_form(NewStyleForm)
    return render_template("catalogue/_new_grid.html", form=form, grid=_grid(form, check=False))


def _new_page(form, grid=None, status: int = 200):
    grid = grid or _grid(form, check=False)
    template = "catalogue/_new_form.html" if is_htmx() else "catalogue/new.html"
    return render_template(template, form=form, grid=grid), status


def _choice_form(form_class, style: Style | None = None, **kwargs):
    """``form_class`` with the size groups and the colour list (less the style's colours)."""
    taken = set(style.colours) if style else set()
    colours = [c for c in size_groups.colours() if c.name not in taken]
    return form_class(groups=size_groups.size_groups(), colour_list=colours, **kwargs)


def _grid(form: NewStyleForm, *, check: bool = True) -> dict:
    """The grid the form describes: its sizes, colours, the barcodes typed per cell, and
    what is wrong with a cell's barcode (``check``: also its code, sizes and colours)."""
    sizes, colours = form.chosen_sizes(), form.chosen_colours()
    cells = [(colour, size) for colour in (colours or [""]) for size in sizes]
    barcodes = typed_barcodes(request.form, cells)
    errors = catalogue.barcode_errors(barcodes)
    if check:
        refused = catalogue.style_errors(form.code.data, form.name.data, sizes, colours, {})
        for name, message in refused.items():
            form[{"colours": "other_colours"}.get(name, name)].errors.append(message)
    return {
        "sizes": sizes,
        "colours": colours,
        "rows": colours or [""],
        "cells": dict.fromkeys(cells, True),
        "barcodes": barcodes,
        "errors": errors,
        "name": barcode_name,
    }


# ---------------------------------------------------------------- a style's details


@bp.route("/products/<code>/edit", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def edit_product(code: str):
    """A style's details, its sizes and colours to add to, and its variants to archive."""
    style = _style(code)
    if request.method == "GET":
        return _edit_page(style, DetailsForm(obj=style, formdata=None))
    form = DetailsForm()
    if entry_form.validate(form):
        try:
            catalogue.update_style(code, actor_id=current_user.id, **form.details())
        except DomainError as refused:
            entry_form.show_refusal(form, refused)
        else:
            flash(_("Product %(code)s saved.", code=code), "success")
            return client_redirect(url_for("catalogue.product", code=code))
    return _edit_page(style, form, status=422)


@bp.post("/products/<code>/variants")
@role_required(Role.MANAGER)
def add_variants(code: str):
    """More sizes (each in its place in the size order) or colours for a style."""
    style = _style(code)
    form = _choice_form(ChoiceForm, style)
    if entry_form.validate(form):
        try:
            catalogue.add_variants(
                style.id,
                sizes=form.chosen_sizes(),
                colours=form.chosen_colours(),
                actor_id=current_user.id,
            )
        except DomainError as refused:
            entry_form.show_refusal(form, refused, {"colours": "other_colours"})
        else:
            flash(_("Product %(code)s saved.", code=code), "success")
            return client_redirect(url_for("catalogue.edit_product", code=code))
    return _edit_page(style, DetailsForm(obj=style, formdata=None), form, status=422)


def _edit_page(style: Style, form, choice=None, refusal=None, status: int = 200):
    choice = choice or _choice_form(ChoiceForm, style, formdata=None)
    context = {"style": style, "form": form, "choice": choice, "refusal": refusal}
    return render_template("catalogue/edit.html", **context, action=Form()), status


# ---------------------------------------------------------------- archiving


@bp.post("/products/<code>/archive", defaults={"restore": False})
@bp.post("/products/<code>/restore", defaults={"restore": True})
@role_required(Role.MANAGER)
def archive_product(code: str, restore: bool):
    """Archive a style with all its variants (refused while it holds stock), or restore it."""
    style = _style(code)
    change = catalogue.restore_style if restore else catalogue.archive_style
    return _archiving(style, lambda: change(code, actor_id=current_user.id))


@bp.post("/variants/<int:variant_id>/archive", defaults={"restore": False})
@bp.post("/variants/<int:variant_id>/restore", defaults={"restore": True})
@role_required(Role.MANAGER)
def archive_variant(variant_id: int, restore: bool):
    """Archive one variant (refused while it holds stock), or restore it."""
    variant = db.session.get(Variant, variant_id)
    if variant is None:
        abort(404)
    change = catalogue.restore_variant if restore else catalogue.archive_variant
    return _archiving(variant.style, lambda: change(variant_id, actor_id=current_user.id))


def _archiving(style: Style, change):
    form = Form()
    if not form.validate():
        abort(400)
    try:
        change()
    except NotFound:
        abort(404)
    except DomainError as refused:
        db.session.expire_all()
        form = DetailsForm(obj=style, formdata=None)
        return _edit_page(style, form, refusal=refused.detail, status=422)
    flash(_("Product %(code)s saved.", code=style.code), "success")
    return client_redirect(url_for("catalogue.edit_product", code=style.code))


# ---------------------------------------------------------------- thresholds


@bp.post("/products/<code>/thresholds")
@role_required(Role.MANAGER)
def thresholds(code: str):
    """Every variant's low-stock threshold from the product page's grid (blank: none)."""
    style = _style(code)
    form = Form()
    variants = [v for v in style.variants if not v.archived]
    typed = {v.id: request.form.get(f"t-{v.id}", "").strip() for v in variants}
    errors = {}
    values = {}
    for variant_id, text in typed.items():
        values[variant_id] = entry_form.whole_number(text) if text else None
        if text and values[variant_id] is None:
            errors[variant_id] = entry_form.WHOLE_NUMBER
    if form.validate() and not errors:
        catalogue.set_thresholds(values, actor_id=current_user.id)
        flash(_("Low-stock thresholds saved."), "success")
        return client_redirect(url_for("catalogue.product", code=code))
    if not form.validate():
        errors["form"] = form.errors.get("csrf_token", [""])[0]
    matrix = queries.stock_matrix(style)
    context = {"style": style, "matrix": matrix, "typed": typed, "errors": errors}
    return render_template("catalogue/_thresholds.html", **context), 422


# ---------------------------------------------------------------- shared


def _style(code: str) -> Style:
    style = queries.style_by_code(code)
    if style is None:
        abort(404)
    return style
