"""The managers' users page (添加用户, roles, resetting a password, deactivating a leaver),
every user's own password, and API tokens made in the browser."""

from flask import abort, flash, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import Reads
from ...extensions import db
from ...htmx import client_redirect, is_htmx
from ...models import Role, User
from ...queries import accounts as account_queries
from ...queries import warehouses as warehouse_queries
from ...services import accounts, warehouses
from ...services.errors import DomainError, NotFound
from .. import entry_form
from ..access import role_required
from ..lists import page_args
from ..settings.routes import SECTIONS
from . import bp
from .forms import (
    ButtonForm,
    NewPasswordForm,
    NewTokenForm,
    NewUserForm,
    OwnPasswordForm,
    UserForm,
    UserWarehousesForm,
)


@bp.get("/users")
@role_required(Reads.ACCOUNTS)
def user_list():
    """Every user: display name, role, last sign-in, state; the form to add one."""
    return _users_page(NewUserForm())


@bp.post("/users")
@role_required(Role.MANAGER)
def add_user():
    form = NewUserForm()
    if entry_form.validate(form):
        try:
            accounts.create_user(
                username=form.username.data,
                display_name=form.display_name.data,
                role=form.role.data,
                password=form.password.data,
                must_change_password=True,
                actor_id=current_user.id,
            )
        except DomainError as refused:
            entry_form.show_refusal(form, refused)
        else:
            flash(
                _(
                    "User %(name)s added: hand over the first password; they choose their own "
                    "at their first sign-in.",
                    name=form.username.data,
                ),
                "success",
            )
            return client_redirect(url_for("auth.user_list"))
    return _users_page(form, 422)


def _users_page(form: NewUserForm, status: int = 200):
    if is_htmx():
        return render_template("accounts/_user_form.html", form=form), status
    found = account_queries.users(**_page(page_args()))
    context = {"form": form, "found": found, "sections": SECTIONS}
    return render_template("accounts/users.html", **context), status


def _page(args: dict) -> dict:
    return {"cursor": args["cursor"], "limit": args["per_page"]}


@bp.get("/users/<int:user_id>")
@role_required(Reads.ACCOUNTS)
def user_page(user_id: int):
    """One user: the display name and role, a new first password, deactivate or reactivate."""
    user = _user(user_id)
    form = UserForm(data={"display_name": user.display_name, "role": user.role.value})
    return _user_page(user, form=form)


@bp.post("/users/<int:user_id>")
@role_required(Role.MANAGER)
def change_user(user_id: int):
    user = _user(user_id)
    form = UserForm()
    if entry_form.validate(form):
        changes = {"display_name": form.display_name.data, "role": form.role.data}
        if _changed(user, form, _("User %(name)s saved.", name=user.username), **changes):
            return client_redirect(url_for("auth.user_page", user_id=user_id))
    return _user_page(user, form=form, status=422, partial="accounts/_user_edit_form.html")


@bp.post("/users/<int:user_id>/password")
@role_required(Role.MANAGER)
def reset_password(user_id: int):
    """A new first password: they must choose another at their next sign-in; every
    session of theirs ends."""
    user = _user(user_id)
    form = NewPasswordForm()
    if entry_form.validate(form):
        notice = _(
            "New first password of %(name)s set: they are signed out and choose their own at "
            "their next sign-in.",
            name=user.username,
        )
        if _changed(user, form, notice, password=form.password.data):
            return client_redirect(url_for("auth.user_page", user_id=user_id))
    return _user_page(user, password=form, status=422, partial="accounts/_password_form.html")


@bp.post("/users/<int:user_id>/warehouses")
@role_required(Role.MANAGER)
def set_warehouses(user_id: int):
    """The warehouses the user works in (a manager: or every one)."""
    user = _user(user_id)
    form = warehouses_form(user)
    if entry_form.validate(form):
        try:
            warehouses.set_user_warehouses(
                user_id=user.id,
                warehouse_ids=form.warehouses.data or [],
                all_warehouses=form.all_warehouses.data,
                actor_id=current_user.id,
            )
        except DomainError as refused:
            entry_form.show_refusal(form, refused)
        else:
            flash(_("User %(name)s saved.", name=user.username), "success")
            return client_redirect(url_for("auth.user_page", user_id=user_id))
    partial = "accounts/_user_warehouses_form.html"
    return _user_page(user, warehouses=form, status=422, partial=partial)


def warehouses_form(user: User, *, as_stored: bool = False) -> UserWarehousesForm:
    """The form as sent, or (``as_stored``) with the warehouses the user works in now."""
    choices = warehouse_queries.warehouse_rows(None)
    if not as_stored:
        return UserWarehousesForm(choices=choices)
    allowed = warehouses.allowed_warehouse_ids(user.id)
    data = {"all_warehouses": allowed is None, "warehouses": sorted(allowed or ())}
    return UserWarehousesForm(choices=choices, formdata=None, data=data)


@bp.post("/users/<int:user_id>/<any(deactivate, reactivate):change>")
@role_required(Role.MANAGER)
def set_active(user_id: int, change: str):
    user = _user(user_id)
    form = ButtonForm()
    if not entry_form.validate(form):
        flash(_("The page is out of date: reload it."), "error")
        return client_redirect(url_for("auth.user_page", user_id=user_id))
    active = change == "reactivate"
    if active:
        notice = _("%(name)s may sign in again.", name=user.username)
    else:
        notice = _(
            "%(name)s is deactivated: signed out everywhere, every API token revoked.",
            name=user.username,
        )
    if _changed(user, form, notice, active=active):
        return client_redirect(url_for("auth.user_page", user_id=user_id))
    flash(str(form.form_errors[0]), "error")
    return client_redirect(url_for("auth.user_page", user_id=user_id))


def _changed(user: User, form, notice: str, **changes) -> bool:
    """Make the change; True with ``notice`` flashed, or False with the refusal on the form."""
    try:
        accounts.change_user(username=user.username, actor_id=current_user.id, **changes)
    except NotFound:
        abort(404)
    except DomainError as refused:
        entry_form.show_refusal(form, refused)
        return False
    flash(notice, "success")
    return True


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _user_page(
    user: User, *, form=None, password=None, warehouses=None, status: int = 200, partial=None
):
    if partial and is_htmx():
        return render_template(partial, user=user, form=form or password or warehouses), status
    context = {
        "user": user,
        "row": account_queries.user(user.username),
        "form": form or UserForm(data={"display_name": user.display_name, "role": user.role}),
        "password": password or NewPasswordForm(formdata=None),
        "action": ButtonForm(),
        "warehouses": warehouses or warehouses_form(user, as_stored=True),
        "sections": SECTIONS,
    }
    return render_template("accounts/user.html", **context), status


# ---------------------------------------------------------------- one's own password


@bp.route("/password", methods=["GET", "POST"])
def password():
    """Every user changes their own password; a user given a first password is sent
    here from every page until they have."""
    form = OwnPasswordForm()
    status = 200
    if request.method == "POST":
        status = 422
        if entry_form.validate(form):
            try:
                accounts.change_own_password(
                    user_id=current_user.id,
                    current=form.current.data,
                    password=form.password.data,
                    session_token=current_user.get_id(),
                )
            except DomainError as refused:
                entry_form.show_refusal(form, refused)
            else:
                flash(_("Password changed: you are signed out everywhere else."), "success")
                return client_redirect(url_for("catalogue.products"))
    template = "accounts/_password_form.html" if is_htmx() else "accounts/password.html"
    context = {"form": form, "user": None, "min_password": accounts.MIN_PASSWORD}
    return render_template(template, **context), status


# ---------------------------------------------------------------- API tokens


@bp.post("/tokens")
@role_required(Role.MANAGER)
def create_token():
    """Make a token for a user: the page shows it this once (it is stored hashed)."""
    form = token_form()
    if not entry_form.validate(form):
        return token_page(form, status=422)
    days = int(form.days.data)
    try:
        token_id, token = accounts.create_token(
            form.username.data, days=days or None, actor_id=current_user.id
        )
    except DomainError as refused:
        entry_form.show_refusal(form, refused)
        return token_page(form, status=422)
    made = {"id": token_id, "token": token, "username": form.username.data}
    response = make_response(token_page(token_form(formdata=None), made=made, status=201))
    response.headers["Cache-Control"] = "no-store"  # the token is never kept by a cache
    return response


def token_form(**kwargs) -> NewTokenForm:
    return NewTokenForm(usernames=account_queries.active_usernames(), **kwargs)


def token_page(form: NewTokenForm, *, made=None, status: int = 200):
    context = {
        "rows": account_queries.tokens(),
        "action": ButtonForm(),
        "form": form,
        "made": made,
        "sections": SECTIONS,
    }
    return render_template("accounts/tokens.html", **context), status
