"""Managers' set-up pages: suppliers (供应商), the main warehouse's locations (货位) and
the receiving settings (允差, approvals). Every write goes through its service."""

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...extensions import db
from ...htmx import client_redirect, is_htmx
from ...i18n import lazy_gettext as _l
from ...models import Location, Role, Supplier, Warehouse
from ...services import settings, suppliers, warehouses
from ...services.errors import DomainError, NotFound
from .. import entry_form
from ..access import role_required
from . import bp
from .forms import LocationForm, LocationNameForm, SettingsForm, SupplierForm

# The pages' tabs: endpoint and label.
SECTIONS = [
    ("settings.supplier_list", _l("Suppliers")),
    ("settings.location_list", _l("Locations")),
    ("settings.receiving_settings", _l("Settings")),
    ("settings.size_lists", _l("Sizes and colours")),
    ("auth.token_list", _l("API tokens")),
    ("auth.user_list", _l("Users")),
    ("auth.audit_trail", _l("Audit trail")),
]


# ---------------------------------------------------------------- suppliers


@bp.get("/suppliers")
@role_required(Role.MANAGER)
def supplier_list():
    """Every supplier, by name, with the form to add one."""
    if is_htmx():
        return render_template("settings/_supplier_rows.html", rows=suppliers.listing())
    return _suppliers_page(SupplierForm())


@bp.post("/suppliers")
@role_required(Role.MANAGER)
def add_supplier():
    form = SupplierForm()
    if not entry_form.validate(form):
        return _suppliers_page(form, 422)
    try:
        _save_supplier(form)
    except DomainError as refused:
        entry_form.show_refusal(form, refused)
        return _suppliers_page(form, 422)
    flash(_("Supplier %(name)s added.", name=form.name.data), "success")
    return client_redirect(url_for("settings.supplier_list"))


def _suppliers_page(form: SupplierForm, status: int = 200):
    if is_htmx():
        return render_template("settings/_supplier_form.html", form=form, supplier=None), status
    context = {"form": form, "supplier": None, "rows": suppliers.listing(), "sections": SECTIONS}
    return render_template("settings/suppliers.html", **context), status


@bp.route("/suppliers/<int:supplier_id>/edit", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def edit_supplier(supplier_id: int):
    """Change a supplier's name, contact, phone or note."""
    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None:
        abort(404)
    if request.method == "GET":
        return _edit_page(SupplierForm(obj=supplier), supplier)
    form = SupplierForm()  # what was sent, all of it: a field left out is cleared
    if not entry_form.validate(form):
        return _edit_page(form, supplier, 422)
    try:
        _save_supplier(form, supplier_id)
    except NotFound:
        abort(404)
    except DomainError as refused:
        entry_form.show_refusal(form, refused)
        return _edit_page(form, supplier, 422)
    flash(_("Supplier %(name)s saved.", name=form.name.data), "success")
    return client_redirect(url_for("settings.supplier_list"))


def _edit_page(form: SupplierForm, supplier: Supplier, status: int = 200):
    template = "settings/_supplier_form.html" if is_htmx() else "settings/edit_supplier.html"
    return render_template(template, form=form, supplier=supplier), status


def _save_supplier(form: SupplierForm, supplier_id: int | None = None) -> int:
    return suppliers.save(
        name=form.name.data or "",
        contact=form.contact.data or "",
        phone=form.phone.data or "",
        note=form.note.data or "",
        supplier_id=supplier_id,
        actor_id=current_user.id,
    )


# ---------------------------------------------------------------- locations


@bp.get("/locations")
@role_required(Role.MANAGER)
def location_list():
    """The main warehouse's locations, by code, with the form to add one."""
    if is_htmx():
        return render_template("settings/_location_rows.html", rows=_main_locations())
    return _locations_page(LocationForm())


@bp.post("/locations")
@role_required(Role.MANAGER)
def add_location():
    form = LocationForm()
    if not entry_form.validate(form):
        return _locations_page(form, 422)
    try:
        location_id = warehouses.create_location(
            warehouse_id=warehouses.main_warehouse_id(),
            code=form.code.data or "",
            zone=form.zone.data or "",
            note=form.note.data or "",
            is_quarantine=form.is_quarantine.data,
            actor_id=current_user.id,
        )
    except DomainError as refused:
        entry_form.show_refusal(form, refused)
        return _locations_page(form, 422)
    code = db.session.get(Location, location_id).code
    flash(_("Location %(code)s added.", code=code), "success")
    return client_redirect(url_for("settings.location_list"))


@bp.post("/locations/default-name")
@role_required(Role.MANAGER)
def name_default_location():
    """Name the default location as screens and printouts show it (empty: "Default location")."""
    form = LocationNameForm()
    if not entry_form.validate(form):
        return _location_name_form(form, 422)
    try:
        warehouses.change_location(
            location_id=warehouses.default_location_id(),
            name=form.name.data or "",
            actor_id=current_user.id,
        )
    except DomainError as refused:
        entry_form.show_refusal(form, refused)
        return _location_name_form(form, 422)
    location = db.session.get(Location, warehouses.default_location_id())
    flash(_("The default location is now called %(name)s.", name=location.shown_name), "success")
    return client_redirect(url_for("settings.location_list"))


def _location_name_form(form: LocationNameForm, status: int):
    if is_htmx():
        return render_template("settings/_location_name_form.html", name_form=form), status
    return _locations_page(LocationForm(formdata=None), status, name_form=form)


def _locations_page(form: LocationForm, status: int = 200, name_form=None):
    if is_htmx():
        return render_template("settings/_location_form.html", form=form), status
    if name_form is None:
        default = db.session.get(Location, warehouses.default_location_id())
        name_form = LocationNameForm(formdata=None, name=default.name)
    context = {
        "name_form": name_form,
        "form": form,
        "rows": _main_locations(),
        "warehouse": db.session.get(Warehouse, warehouses.main_warehouse_id()),
        "sections": SECTIONS,
    }
    return render_template("settings/locations.html", **context), status


def _main_locations():
    return warehouses.locations(warehouses.main_warehouse_id())


# ---------------------------------------------------------------- settings


@bp.route("/settings", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def receiving_settings():
    """The receiving settings: over-receipt tolerance and which receipts wait for approval."""
    if request.method == "GET":
        return _settings_page(SettingsForm(data=settings.current()))
    form = SettingsForm()
    if not entry_form.validate(form):
        return _settings_page(form, 422)
    try:
        settings.update(form.values(), actor_id=current_user.id)
    except DomainError as refused:
        entry_form.show_refusal(form, refused)
        return _settings_page(form, 422)
    flash(_("Settings saved"), "success")
    return client_redirect(url_for("settings.receiving_settings"))


def _settings_page(form: SettingsForm, status: int = 200):
    template = "settings/_settings_form.html" if is_htmx() else "settings/settings.html"
    return render_template(template, form=form, sections=SECTIONS), status
