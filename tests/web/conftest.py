"""Fixtures of the web tier: a signed-in manager for the pages, and the API client."""

import pytest

from stockapp.models import Role
from tests.support.api import STYLE, Api
from tests.support.pages import sign_in


@pytest.fixture
def manager(app, make_user, client):
    """The manager boss, signed in on ``client``; their id."""
    user_id = make_user(Role.MANAGER, username="boss")
    sign_in(client, "boss")
    return user_id


@pytest.fixture
def api_stock() -> dict[str, int]:
    """What the ``api`` fixture receives before the test ({sku: qty}); a module
    overrides it to start every test with that stock."""
    return {}


@pytest.fixture
def api_roles() -> tuple[Role, ...]:
    """The roles whose tokens the ``api`` fixture makes up front; a module overrides
    it so that its snapshots see only the request's writes."""
    return ()


@pytest.fixture
def api(app, client, make_style, token_for, api_stock, api_roles) -> Api:
    """The API client, with the style A1024 (Black; S, M, L), then ``api_stock``
    received and the tokens of ``api_roles`` made."""
    api = Api(app, client, token_for, make_style(STYLE, sizes=("S", "M", "L"), colours=("Black",)))
    if api_stock:
        api.receive(**api_stock)
    for role in api_roles:
        api.auth(role)
    return api
