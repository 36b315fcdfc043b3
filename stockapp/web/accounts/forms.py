"""The sign-in and first-run forms, the users' and passwords' forms, a new API token."""

from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput

from ...i18n import lazy_gettext as _l
from ...models import Role
from ...models.accounts import MAX_DISPLAY_NAME, MAX_USERNAME
from ...services import accounts
from ..entry_form import TOO_LONG
from ..inputs import Form, stripped


class LoginForm(Form):
    username = StringField(_l("User name"), validators=[InputRequired(), Length(max=MAX_USERNAME)])
    password = PasswordField(_l("Password"), validators=[InputRequired()])


class SetupForm(Form):
    username = StringField(_l("User name"), validators=[InputRequired(), Length(max=MAX_USERNAME)])
    password = PasswordField(
        _l("Password"),
        validators=[
            InputRequired(),
            Length(min=accounts.MIN_PASSWORD, message=_l("Use at least %(min)d characters.")),
        ],
    )
    confirm = PasswordField(
        _l("Password again"),
        validators=[InputRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    demo_data = BooleanField(_l("Load demo products and stock to try StockApp out"))


class ButtonForm(Form):
    """A form with no fields: a one-button POST that still carries its CSRF token."""


DISPLAY_NAME = _l("Display name")


class NewPasswordForm(Form):
    """A new password, typed twice; the service checks the rule (``password_problem``)."""

    password = PasswordField(
        _l("New password"),
        validators=[InputRequired(message=_l("Enter the new password."))],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Password again"),
        validators=[
            InputRequired(message=_l("Enter the new password again.")),
            EqualTo("password", message=_l("The passwords differ.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class OwnPasswordForm(NewPasswordForm):
    current = PasswordField(
        _l("Current password"),
        validators=[InputRequired(message=_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )


class UserForm(Form):
    """What a manager changes of a user: the display name and the role."""

    display_name = StringField(
        DISPLAY_NAME,
        filters=[stripped],
        validators=[Length(max=MAX_DISPLAY_NAME, message=TOO_LONG)],
    )
    role = SelectField(_l("Role"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [(role.value, role.label) for role in Role]


class NewUserForm(UserForm, NewPasswordForm):
    """A new user with a first password to hand over."""

    username = StringField(
        _l("User name"),
        filters=[stripped],
        validators=[
            InputRequired(message=_l("Enter a user name of at most 64 characters.")),
            Length(max=MAX_USERNAME, message=TOO_LONG),
        ],
        render_kw={"autocomplete": "off", "autocapitalize": "none"},
    )
    role = SelectField(_l("Role"), default=Role.CLERK.value)
    password = PasswordField(
        _l("First password"),
        validators=[InputRequired(message=_l("Enter the new password."))],
        description=_l("Hand it over: they choose their own at their first sign-in."),
        render_kw={"autocomplete": "new-password"},
    )


class NewTokenForm(Form):
    """An API token for a chosen user, expiring after some days (0: never)."""

    username = SelectField(_l("User"), validate_choice=True)
    days = StringField(
        _l("Expires after (days)"),
        filters=[stripped],
        default="365",
        description=_l("0: never."),
        render_kw={"inputmode": "numeric", "pattern": "[0-9]*", "maxlength": 4},
    )

    def __init__(self, *args, usernames=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.username.choices = [(name, name) for name in usernames]

    def validate_days(self, field):
        text = field.data or ""
        if not (text.isascii() and text.isdigit() and int(text) <= accounts.MAX_TOKEN_DAYS):
            raise ValidationError(
                _l("Enter a whole number from 0 to %(max)d.", max=accounts.MAX_TOKEN_DAYS)
            )


class UserWarehousesForm(Form):
    """The warehouses a user works in; a manager may work in every one."""

    warehouses = SelectMultipleField(
        _l("Warehouses"),
        coerce=int,
        option_widget=CheckboxInput(),
    )
    all_warehouses = BooleanField(_l("Every warehouse, those added later included"))

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.warehouses.choices = [(row.id, f"{row.code} {row.name}") for row in choices]
