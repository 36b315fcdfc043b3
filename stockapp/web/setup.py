"""Managers' set-up pages: suppliers (供应商), the main warehouse's locations (货位) and
the receiving settings (允差, approvals). Every write goes through its service."""

import re

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ..extensions import db
from ..htmx import is_htmx
from ..models import Location, Role, Supplier, Warehouse
from ..services import settings, suppliers, warehouses
from ..services.errors import DomainError, NotFound
from . import entry_form, role_required

bp = Blueprint("setup", __name__)

TOO_LONG = _l("At most %(max)d characters.")
TOLERANCE = _l("Enter a whole number from 0 to 100.")
# The pages' tabs: endpoint and label.
SECTIONS = [
    ("setup.supplier_list", _l("Suppliers")),
    ("setup.location_list", _l("Locations")),
    ("setup.receiving_settings", _l("Settings")),
]


def _strip(text):
    return text.strip() if isinstance(text, str) else text


class SupplierForm(FlaskForm):
    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Give the supplier a name.")),
            Length(max=suppliers.LIMITS["name"], message=TOO_LONG),
        ],
    )
    contact = StringField(
        _l("Contact person"),
        filters=[_strip],
        validators=[Length(max=suppliers.LIMITS["contact"], message=TOO_LONG)],
    )
    phone = StringField(
        _l("Phone"),
        filters=[_strip],
        validators=[Length(max=suppliers.LIMITS["phone"], message=TOO_LONG)],
        # A text box with the phone keypad: the CSS styles text inputs, not type=tel.
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    note = TextAreaField(
        _l("Note"),
        filters=[_strip],
        validators=[Length(max=suppliers.LIMITS["note"], message=TOO_LONG)],
    )


class LocationForm(FlaskForm):
    # The service checks the code's shape (A-01-03) and that it is free.
    code = StringField(
        _l("Code"),
        filters=[_strip],
        render_kw={"placeholder": "A-01-03", "autocomplete": "off", "autocapitalize": "characters"},
    )
    zone = StringField(_l("Zone"), filters=[_strip], validators=[Length(max=40, message=TOO_LONG)])
    note = TextAreaField(
        _l("Note"), filters=[_strip], validators=[Length(max=500, message=TOO_LONG)]
    )
    is_quarantine = BooleanField(_l("Quarantine: damaged goods are kept here"))


class SettingsForm(FlaskForm):
    """Named after the settings' keys, so that the service's errors land beside their field."""

    # Text with the numeric keypad, like every quantity on the floor (the CSS styles
    # text inputs; a type=number box would stand out unstyled).
    over_receipt_tolerance_pct = StringField(
        _l("Over-receipt tolerance (%)"),
        filters=[_strip],
        render_kw={"inputmode": "numeric", "pattern": "[0-9]*", "maxlength": 3},
    )
    po_receipts_need_approval = BooleanField(_l("PO receipts need a manager's approval"))
    direct_receipts_need_approval = BooleanField(
        _l("Receipts without a PO (the manage-stock dialog) need approval")
    )

    def validate_over_receipt_tolerance_pct(self, field):
        if not re.fullmatch(r"[0-9]{1,3}", field.data or "") or int(field.data) > 100:
            raise ValidationError(TOLERANCE)

    def values(self) -> dict:
        return {
            "over_receipt_tolerance_pct": int(self.over_receipt_tolerance_pct.data),
            "po_receipts_need_approval": self.po_receipts_need_approval.data,
            "direct_receipts_need_approval": self.direct_receipts_need_approval.data,
        }


# ---------------------------------------------------------------- suppliers


@bp.get("/suppliers")
@role_required(Role.MANAGER)
def supplier_list():
    """Every supplier, by name, with the form to add one."""
    if is_htmx():
        return render_template("setup/_supplier_rows.html", rows=suppliers.listing())
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
        _show_refusal(form, refused)
        return _suppliers_page(form, 422)
    flash(_("Supplier %(name)s added.", name=form.name.data), "success")
    return entry_form.go(url_for("setup.supplier_list"))


def _suppliers_page(form: SupplierForm, status: int = 200):
    if is_htmx():
        return render_template("setup/_supplier_form.html", form=form, supplier=None), status
    context = {"form": form, "supplier": None, "rows": suppliers.listing(), "sections": SECTIONS}
    return render_template("setup/suppliers.html", **context), status


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
        _show_refusal(form, refused)
        return _edit_page(form, supplier, 422)
    flash(_("Supplier %(name)s saved.", name=form.name.data), "success")
    return entry_form.go(url_for("setup.supplier_list"))


def _edit_page(form: SupplierForm, supplier: Supplier, status: int = 200):
    template = "setup/_supplier_form.html" if is_htmx() else "setup/edit_supplier.html"
    return render_template(template, form=form, supplier=supplier), status


def _save_supplier(form: SupplierForm, supplier_id: int | None = None) -> int:
    return suppliers.save(
        name=form.name.data or "",
        contact=form.contact.data or "",
        phone=form.phone.data or "",
        note=form.note.data or "",
        supplier_id=supplier_id,
    )


# ---------------------------------------------------------------- locations


@bp.get("/locations")
@role_required(Role.MANAGER)
def location_list():
    """The main warehouse's locations, by code, with the form to add one."""
    if is_htmx():
        return render_template("setup/_location_rows.html", rows=_main_locations())
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
        )
    except DomainError as refused:
        _show_refusal(form, refused)
        return _locations_page(form, 422)
    code = db.session.get(Location, location_id).code
    flash(_("Location %(code)s added.", code=code), "success")
    return entry_form.go(url_for("setup.location_list"))


def _locations_page(form: LocationForm, status: int = 200):
    if is_htmx():
        return render_template("setup/_location_form.html", form=form), status
    context = {
        "form": form,
        "rows": _main_locations(),
        "warehouse": db.session.get(Warehouse, warehouses.main_warehouse_id()),
        "sections": SECTIONS,
    }
    return render_template("setup/locations.html", **context), status


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
        settings.update(form.values())
    except DomainError as refused:
        _show_refusal(form, refused)
        return _settings_page(form, 422)
    flash(_("Settings saved"), "success")
    return entry_form.go(url_for("setup.receiving_settings"))


def _settings_page(form: SettingsForm, status: int = 200):
    template = "setup/_settings_form.html" if is_htmx() else "setup/settings.html"
    return render_template(template, form=form, sections=SECTIONS), status


# ---------------------------------------------------------------- shared


def _show_refusal(form: FlaskForm, refused: DomainError) -> None:
    """The service's messages beside their fields; the rest on top of the form."""
    placed = False
    for name, message in refused.errors.items():
        # A checkbox shows no message of its own: its message goes on top.
        if name in form and not isinstance(form[name], BooleanField):
            form[name].errors = [*form[name].errors, message]
            placed = True
        else:
            form.form_errors.append(message)
    if not placed and not form.form_errors:
        form.form_errors.append(refused.detail)
