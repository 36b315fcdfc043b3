"""The sign-in and first-run forms."""

from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from ...i18n import lazy_gettext as _l
from ...models.accounts import MAX_USERNAME
from ...services import accounts
from ..inputs import Form


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
