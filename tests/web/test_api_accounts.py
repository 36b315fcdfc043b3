"""Users and the audit trail over the API: managers only, keyset pages, each refusal."""

import pytest

from stockapp.models import Role
from tests.support.api import (
    ACCOUNT_ENDPOINTS,
    API,
    BAD_AUTH,
    ROLES,
    Api,
    assert_problem,
    snapshot,
)
from tests.support.pages import sign_in

FIRST = "hand over 2026"


def patch(api: Api, name: str, body, role=Role.MANAGER):
    return api.client.patch(f"{API}/users/{name}", json=body, headers=api.auth(role))


def test_a_manager_adds_lists_and_changes_users(app, api, client):
    made = api.post(
        "/users",
        {"username": "li", "display_name": "李娜", "role": "clerk", "password": FIRST},
        Role.MANAGER,
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.get_json() | {"created_at": None} == {
        "username": "li",
        "display_name": "李娜",
        "role": "clerk",
        "active": True,
        "must_change_password": True,
        "created_at": None,
        "last_sign_in": None,
    }
    sign_in(client, "li", FIRST)
    first = api.get("/users?limit=1", role=Role.MANAGER).get_json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    names = [u["username"] for u in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = api.get(f"/users?limit=1&cursor={cursor}", role=Role.MANAGER).get_json()
        names += [u["username"] for u in page["items"]]
        cursor = page["next_cursor"]
    assert names[-1] == "li" and len(names) == len(set(names))
    assert page["items"][0]["last_sign_in"] is not None
    changed = patch(api, "li", {"role": "viewer", "display_name": "Li Na"})
    assert changed.status_code == 200
    assert (changed.get_json()["role"], changed.get_json()["display_name"]) == ("viewer", "Li Na")
    off = patch(api, "li", {"active": False}).get_json()
    assert off["active"] is False
    reset = patch(api, "li", {"active": True, "password": "another first 1"}).get_json()
    assert reset["active"] and reset["must_change_password"]
    trail = api.get("/audit?subject=user", role=Role.MANAGER).get_json()["items"]
    assert [(row["action"], row["subject_key"]) for row in trail][:4] == [
        ("reactivated", "li"),
        ("changed", "li"),
        ("deactivated", "li"),
        ("changed", "li"),
    ]
    assert trail[1]["after"] == {"password": "reset"}
    assert trail[3]["before"] == {"role": "clerk", "display_name": "李娜"}
    assert {row["actor"] for row in trail[:5]} == {api.user(Role.MANAGER)[1]}  # li made too
    assert trail[4]["action"] == "created" and trail[4]["after"]["password"] == "set"
    assert patch(api, "li", {"display_name": None}).get_json()["display_name"] == "Li Na"
    assert patch(api, "li", {"display_name": ""}).get_json()["display_name"] == ""


def test_refusals(api):
    manager = api.user(Role.MANAGER)[1]
    bad = api.post("/users", {"username": "", "role": "boss", "password": "short"}, Role.MANAGER)
    assert_problem(bad, 422, "username", "role")
    weak = api.post(
        "/users", {"username": "li", "role": "clerk", "password": "qwertyuiop"}, Role.MANAGER
    )
    assert_problem(weak, 422, "password")
    taken = api.post(
        "/users", {"username": manager, "role": "clerk", "password": FIRST}, Role.MANAGER
    )
    assert_problem(taken, 422, "username")
    assert_problem(patch(api, "nobody", {"role": "clerk"}), 404)
    assert_problem(patch(api, manager, {"role": "boss"}), 422, "role")
    last = assert_problem(patch(api, manager, {"role": "clerk"}), 409)
    assert "last active manager" in last["detail"]
    assert_problem(patch(api, manager, {"active": False}), 409)
    assert_problem(api.get("/audit?subject=stock", role=Role.MANAGER), 422, "subject")
    assert_problem(api.get("/users?cursor=x", role=Role.MANAGER), 422, "cursor")


def request(api: Api, endpoint: str) -> tuple[str, str, dict | None]:
    """The method, path and body of a successful call of ``endpoint``."""
    method, path = endpoint.split()
    body = {
        "POST /users": {"username": "li", "role": "clerk", "password": FIRST},
        "PATCH /users/{name}": {"display_name": "Wang"},
    }.get(endpoint)
    return method, path.format(name=api.user(Role.VIEWER)[1]), body


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_each_role_is_allowed_or_refused_as_the_routes_declare(api, role, subtests):
    api.auth(Role.VIEWER)  # the user PATCH changes
    headers = api.auth(role)
    for endpoint, least in ACCOUNT_ENDPOINTS.items():
        method, path, body = request(api, endpoint)
        with subtests.test(msg=f"{role} {endpoint}"):
            before = snapshot(api.app)
            response = api.client.open(API + path, method=method, headers=headers, json=body)
            if role.rank >= least.rank:
                assert response.status_code in (200, 201), response.get_data(as_text=True)
            else:
                assert_problem(response, 403)
                assert snapshot(api.app) == before, "a refused request wrote something"


def test_every_endpoint_refuses_missing_and_bad_tokens_with_401(api, subtests):
    bad = {name: make(api) for name, make in BAD_AUTH.items()}
    api.auth(Role.VIEWER)
    before = snapshot(api.app)
    for endpoint in ACCOUNT_ENDPOINTS:
        method, path, body = request(api, endpoint)
        for name, headers in bad.items():
            with subtests.test(msg=f"{endpoint}, {name}"):
                response = api.client.open(API + path, method=method, headers=headers, json=body)
                assert_problem(response, 401)
                assert snapshot(api.app) == before, "a refused request wrote something"


def test_a_user_who_must_change_the_password_keeps_their_token(api, client):
    """The first-password flag holds up the pages, not the API: a token is made by a
    manager for a program, not from the password."""
    name = api.user(Role.CLERK)[1]
    assert patch(api, name, {"password": FIRST}).get_json()["must_change_password"]
    assert api.get("/movements?sku=x").status_code == 200
