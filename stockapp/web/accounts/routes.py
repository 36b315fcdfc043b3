"""Sign in, sign out, first-run setup, the language switch and the managers' page of
API tokens."""

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ...extensions import db
from ...htmx import client_redirect
from ...i18n import lazy_gettext as _l
from ...models import Role, User
from ...services import accounts, demo
from ...services.errors import DomainError, LoginThrottled, NotFound
from ..access import role_required, same_site_path
from . import bp
from .forms import ButtonForm, LoginForm, SetupForm
from .users import token_form, token_page


@bp.route("/login", methods=["GET", "POST"])
def login():
    if not accounts.any_user():
        return redirect(url_for("auth.setup"))
    if current_user.is_authenticated:
        return redirect(url_for("catalogue.products"))
    form = LoginForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            user_id = accounts.authenticate(
                form.username.data, form.password.data, address=request.remote_addr
            )
        except LoginThrottled as refused:
            form.form_errors.append(refused.detail)
            status, headers = refused.status, {"Retry-After": str(refused.seconds)}
        else:
            if user_id is not None:
                _start_session(user_id)
                return redirect(_safe_next(request.args.get("next")))
            form.form_errors.append(_l("Wrong user name or password."))
            status = 401
    elif form.is_submitted():
        status = 422
    return render_template("accounts/login.html", form=form), status, headers


def _start_session(user_id: int) -> None:
    """Sign the browser in with a new session: the cookie holds only its token."""
    token = accounts.start_session(
        user_id, address=request.remote_addr, user_agent=request.user_agent.string
    )
    user = db.session.get(User, user_id)
    user.session_token = token
    session.permanent = True  # the cookie outlives the browser, up to SESSION_MAX_SECONDS
    login_user(user)


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    """First run: with no users yet, create the first manager."""
    if accounts.any_user():
        return redirect(url_for("auth.login"))
    form = SetupForm()
    status = 200
    if form.validate_on_submit():
        try:
            user_id = accounts.create_first_manager(
                username=form.username.data, password=form.password.data
            )
        except DomainError as refused:
            for name, message in refused.errors.items():
                getattr(form, name).errors.append(message)
            if not refused.errors:
                form.form_errors.append(refused.detail)
            status = 422
        else:
            _start_session(user_id)
            if form.demo_data.data:
                demo.fill(operator_id=user_id)
            flash(_l("Welcome. You are the first manager of StockApp."), "success")
            return redirect(url_for("catalogue.products"))
    elif form.is_submitted():
        status = 422
    return render_template("accounts/setup.html", form=form), status


@bp.post("/logout")
def logout():
    form = ButtonForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        accounts.end_session(current_user.get_id())
        logout_user()
    return redirect(url_for("auth.login"))


@bp.post("/language/<code>")
def language(code: str):
    """Switch the interface language; kept in a cookie and, when signed in, on the user."""
    form = ButtonForm()
    if code not in ("zh_CN", "en") or not form.validate_on_submit():
        return redirect(url_for("auth.login"))
    if current_user.is_authenticated:
        accounts.set_locale(current_user.id, code)
    response = make_response(redirect(_safe_next(request.form.get("next"))))
    response.set_cookie(
        "lang",
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


@bp.get("/tokens")
@role_required(Role.MANAGER)
def token_list():
    """Every API token: whose, made when, last used, expires, revoked; a Revoke button;
    the form to make one."""
    return token_page(token_form())


@bp.post("/tokens/<int:token_id>/revoke")
@role_required(Role.MANAGER)
def revoke_token(token_id: int):
    if not ButtonForm().validate():
        flash(_("The page is out of date: reload it."), "error")
        return client_redirect(url_for("auth.token_list"))
    try:
        accounts.revoke_token(str(token_id), actor_id=current_user.id)
    except NotFound:
        abort(404)
    flash(
        _("Token %(id)d revoked: programs using it are refused from now on.", id=token_id),
        "success",
    )
    return client_redirect(url_for("auth.token_list"))


def _safe_next(target: str | None) -> str:
    """Follow ``next`` only to a path on this site."""
    return same_site_path(target) or url_for("catalogue.products")
