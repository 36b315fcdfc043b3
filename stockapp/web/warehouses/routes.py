"""Warehouses (仓库) and their locations (货位). Everyone reads the warehouses they work
in; managers add, rename, deactivate and reactivate them, and add and edit their
locations. A warehouse the user does not work in is a 403, one that does not exist a
404, whatever the page. Every write goes through ``services.warehouses``."""

from flask import abort, flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import Reads
from ...extensions import db
from ...htmx import client_redirect, is_htmx
from ...models import Location, Role, Warehouse
from ...queries import warehouses as warehouse_queries
from ...services import warehouses
from ...services.errors import DomainError, NotFound, NotPermitted
from .. import entry_form
from ..access import role_required
from ..accounts.forms import ButtonForm
from ..settings.forms import LocationForm
from . import bp
from .forms import LocationEditForm, WarehouseForm, WarehouseNameForm


def allowed_warehouse(code: str) -> Warehouse:
    """The warehouse of that code, if the signed-in user works in it (else 403; 404
    if there is none)."""
    warehouse = warehouse_queries.warehouse_by_code(code)
    if warehouse is None:
        abort(404)
    try:
        warehouses.require_warehouse(current_user.id, warehouse.id)
    except NotPermitted:
        abort(403)
    return warehouse


def allowed_location(code: str, location_code: str) -> tuple[Warehouse, Location]:
    warehouse = allowed_warehouse(code)
    location = warehouse_queries.location_by_code(warehouse.id, location_code)
    if location is None:
        abort(404)
    return warehouse, location


# ---------------------------------------------------------------- the list


@bp.get("/warehouses")
@role_required(Reads.WAREHOUSES)
def warehouse_list():
    """The warehouses the user works in: state, bins, stock on hand; a manager adds one."""
    return _list_page(WarehouseForm(formdata=None))


@bp.post("/warehouses")
@role_required(Role.MANAGER)
def add_warehouse():
    form = WarehouseForm()
    if not entry_form.validate(form):
        return _list_page(form, 422)
    try:
        warehouse_id = warehouses.create_warehouse(
            code=form.code.data or "", name=form.name.data or "", actor_id=current_user.id
        )
    except DomainError as refused:
        entry_form.show_refusal(form, refused)
        return _list_page(form, 422)
    code = db.session.get(Warehouse, warehouse_id).code
    flash(_("Warehouse %(code)s added.", code=code), "success")
    return client_redirect(url_for("warehouses.warehouse_page", code=code))


def _list_page(form: WarehouseForm, status: int = 200):
    if is_htmx():
        return render_template("warehouses/_warehouse_form.html", form=form), status
    rows = warehouse_queries.warehouse_rows(warehouses.allowed_warehouse_ids(current_user.id))
    return render_template("warehouses/index.html", form=form, rows=rows), status


# ---------------------------------------------------------------- one warehouse


@bp.get("/warehouses/<code>")
@role_required(Reads.WAREHOUSES)
def warehouse_page(code: str):
    """A warehouse's locations with the stock in each; a manager's forms beside them."""
    warehouse = allowed_warehouse(code)
    return _warehouse_page(warehouse)


@bp.post("/warehouses/<code>")
@role_required(Role.MANAGER)
def rename_warehouse(code: str):
    warehouse = allowed_warehouse(code)
    form = WarehouseNameForm()
    if entry_form.validate(form):
        try:
            warehouses.change_warehouse(
                warehouse_id=warehouse.id, name=form.name.data or "", actor_id=current_user.id
            )
        except DomainError as refused:
            entry_form.show_refusal(form, refused)
        else:
            flash(_("Warehouse %(code)s saved.", code=warehouse.code), "success")
            return client_redirect(url_for("warehouses.warehouse_page", code=code))
    if is_htmx():
        template = "warehouses/_name_form.html"
        return render_template(template, warehouse=warehouse, name_form=form), 422
    return _warehouse_page(warehouse, name_form=form, status=422)


@bp.post("/warehouses/<code>/<any(deactivate, reactivate):change>")
@role_required(Role.MANAGER)
def set_active(code: str, change: str):
    """Deactivate (refused for the main warehouse, or while it holds stock or open
    documents) or reactivate; the outcome is flashed on the warehouse's page."""
    warehouse = allowed_warehouse(code)
    back = client_redirect(url_for("warehouses.warehouse_page", code=code))
    if not entry_form.validate(ButtonForm()):
        flash(_("The page is out of date: reload it."), "error")
        return back
    active = change == "reactivate"
    try:
        warehouses.change_warehouse(
            warehouse_id=warehouse.id, active=active, actor_id=current_user.id
        )
    except DomainError as refused:
        flash(str(refused.detail), "error")
        return back
    if active:
        flash(_("Warehouse %(code)s is active again.", code=warehouse.code), "success")
    else:
        flash(_("Warehouse %(code)s is deactivated.", code=warehouse.code), "success")
    return back


@bp.post("/warehouses/<code>/locations")
@role_required(Role.MANAGER)
def add_location(code: str):
    warehouse = allowed_warehouse(code)
    form = LocationForm()
    if entry_form.validate(form):
        try:
            location_id = warehouses.create_location(
                warehouse_id=warehouse.id,
                code=form.code.data or "",
                zone=form.zone.data or "",
                note=form.note.data or "",
                is_quarantine=form.is_quarantine.data,
                actor_id=current_user.id,
            )
        except DomainError as refused:
            entry_form.show_refusal(form, refused)
        else:
            added = db.session.get(Location, location_id).code
            flash(_("Location %(code)s added.", code=added), "success")
            return client_redirect(url_for("warehouses.warehouse_page", code=code))
    if is_htmx():
        action = url_for("warehouses.add_location", code=code)
        return render_template("settings/_location_form.html", form=form, action=action), 422
    return _warehouse_page(warehouse, form=form, status=422)


def _warehouse_page(warehouse: Warehouse, *, form=None, name_form=None, status: int = 200):
    context = {
        "warehouse": warehouse,
        "rows": warehouses.locations(warehouse.id),
        "on_hand": warehouse_queries.on_hand_by_location(warehouse.id),
        "form": form or LocationForm(formdata=None),
        "name_form": name_form or WarehouseNameForm(formdata=None, name=warehouse.name),
        "action": ButtonForm(),
        "main": warehouse.code == warehouses.MAIN_WAREHOUSE,
    }
    return render_template("warehouses/warehouse.html", **context), status


# ---------------------------------------------------------------- one location


@bp.route("/warehouses/<code>/locations/<location_code>", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def edit_location(code: str, location_code: str):
    """A location's name, zone, note and quarantine flag (its code stays)."""
    warehouse, location = allowed_location(code, location_code)
    form = LocationEditForm(obj=location)
    status = 200
    if form.is_submitted():
        status = 422
        if entry_form.validate(form):
            try:
                warehouses.change_location(
                    location_id=location.id,
                    name=form.name.data or "",
                    zone=form.zone.data or "",
                    note=form.note.data or "",
                    is_quarantine=form.is_quarantine.data,
                    actor_id=current_user.id,
                )
            except NotFound:
                abort(404)
            except DomainError as refused:
                entry_form.show_refusal(form, refused)
            else:
                flash(_("Location %(code)s saved.", code=location.code), "success")
                return client_redirect(url_for("warehouses.warehouse_page", code=code))
    template = "warehouses/_location_edit_form.html" if is_htmx() else "warehouses/location.html"
    context = {"warehouse": warehouse, "location": location, "form": form}
    return render_template(template, **context), status
