"""Size groups (尺码组) and the colour list (颜色表): one page, a row form for each
entry and one to add another. Every write goes through services.size_groups."""

from types import SimpleNamespace

from flask import abort, flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...htmx import client_redirect, is_htmx
from ...models import Role
from ...services import size_groups
from ...services.errors import DomainError, NotFound
from .. import entry_form
from ..access import role_required
from ..inputs import Form
from . import bp
from .forms import ColourForm, SizeGroupForm
from .routes import SECTIONS

# Per list: its form, how it is saved and deleted, and its rows.
LISTS = {
    "group": (
        SizeGroupForm,
        size_groups.save_group,
        size_groups.delete_group,
        size_groups.size_groups,
    ),
    "colour": (ColourForm, size_groups.save_colour, size_groups.delete_colour, size_groups.colours),
}


@bp.get("/settings/sizes")
@role_required(Role.MANAGER)
def size_lists():
    """The size groups in the order they were made, the colours A → Z."""
    return _lists_page()


@bp.post("/settings/sizes/<kind>", defaults={"row_id": None})
@bp.post("/settings/sizes/<kind>/<int:row_id>")
@role_required(Role.MANAGER)
def save_entry(kind: str, row_id: int | None):
    """Add a size group or a colour, or change one (``row_id``)."""
    form_class, save, _delete, _rows = _list(kind)
    form = form_class(prefix=_prefix(kind, row_id))
    if entry_form.validate(form):
        try:
            key = "group_id" if kind == "group" else "colour_id"
            save(**form.values(), **{key: row_id}, actor_id=current_user.id)
        except NotFound:
            abort(404)
        except DomainError as refused:
            entry_form.show_refusal(form, refused)
        else:
            flash(_("%(name)s saved.", name=form.name.data), "success")
            return client_redirect(url_for("settings.size_lists"))
    return _lists_page({(kind, row_id): form}, 422)


@bp.post("/settings/sizes/<kind>/<int:row_id>/delete")
@role_required(Role.MANAGER)
def delete_entry(kind: str, row_id: int):
    """Delete a size group or a colour; the styles made with it keep their sizes and colours."""
    delete = _list(kind)[2]
    form = Form()
    if not form.validate():
        abort(400)
    try:
        delete(row_id, actor_id=current_user.id)
    except NotFound:
        abort(404)
    flash(_("Deleted."), "success")
    return client_redirect(url_for("settings.size_lists"))


def _list(kind: str):
    if kind not in LISTS:
        abort(404)
    return LISTS[kind]


def _prefix(kind: str, row_id: int | None) -> str:
    return f"{kind}-{row_id or 'new'}-"


def _lists_page(sent: dict | None = None, status: int = 200):
    """The page (or, for htmx, its lists) with a form per row; ``sent`` holds the form
    just sent back with its errors, in its place."""
    sent = sent or {}
    lists = {}
    for kind, (form_class, _save, _delete, rows) in LISTS.items():
        entries = [
            (
                row,
                sent.get((kind, row.id))
                or form_class(prefix=_prefix(kind, row.id), formdata=None, obj=_shown(row)),
            )
            for row in rows()
        ]
        new = sent.get((kind, None)) or form_class(prefix=_prefix(kind, None), formdata=None)
        lists[kind] = {"entries": entries, "new": new}
    template = "settings/_size_lists.html" if is_htmx() else "settings/size_lists.html"
    return render_template(template, lists=lists, sections=SECTIONS), status


def _shown(row):
    """A row as its form shows it: a group's sizes in one box, "S M L"."""
    if hasattr(row, "sizes"):
        return SimpleNamespace(name=row.name, sizes=" ".join(row.sizes))
    return row
