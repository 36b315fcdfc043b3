"""Who is calling: bearer tokens on every endpoint but the document, and roles; and the
problem+json answer of every error the API raises."""

from dataclasses import dataclass
from functools import wraps

from flask import g, request
from werkzeug.exceptions import HTTPException

from ..database import begin_request_write
from ..http_errors import TITLES
from ..i18n import lazy_gettext as _l
from ..models import Role
from ..services import accounts
from ..services.errors import DomainError
from . import api
from .problems import from_domain_error, from_http_error, problem


@dataclass(frozen=True)
class ApiUser:
    id: int
    username: str
    role: Role


@api.before_request
def authenticate():
    """Every endpoint but the OpenAPI document needs a live bearer token."""
    if request.endpoint == "api.openapi_document":
        return None
    if request.method == "POST":
        begin_request_write()
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    user = accounts.user_for_token(token.strip()) if scheme.lower() == "bearer" and token else None
    if user is None:
        response = problem(
            401,
            _l("Sign-in required"),
            _l("Send a valid API token: Authorization: Bearer <token>."),
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="stockapp"'
        return response
    g.api_user = ApiUser(user.id, user.username, Role(user.role))
    return None


def requires(role: Role):
    """Refuse (403) a token whose user's role is below ``role``; the document reads the
    role from the view (``required_role``)."""

    def decorate(view):
        @wraps(view)
        def checked(*args, **kwargs):
            if g.api_user.role.rank < role.rank:
                return problem(
                    403, TITLES[403], _l("This needs the %(role)s role.", role=role.label)
                )
            return view(*args, **kwargs)

        checked.required_role = role
        return checked

    return decorate


@api.errorhandler(DomainError)
def domain_error(error: DomainError):
    return from_domain_error(error)


@api.errorhandler(HTTPException)
def http_error(error: HTTPException):
    return from_http_error(error)
