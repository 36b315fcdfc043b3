"""Import from Excel over the API: upload (multipart) → the preview with its errors, read
it, confirm it once; managers only; every bad request a problem that writes nothing."""

import io

import pytest

from stockapp.models import Role
from stockapp.services import imports
from tests.support.api import (
    API,
    BAD_AUTH,
    IMPORT_ENDPOINTS,
    ROLES,
    assert_problem,
    refuse,
    snapshot,
)
from tests.support.db import counts

GOOD = b"code,name,colour,S,M\nK1,Tee,Black,2,3\n"
BAD = b"code,name,colour,S,M\nK1,Tee,Black,-1,3\n,Tee,Red,2,x\n"


def send(api, content: bytes, role=Role.MANAGER, name="sheet.csv", **headers):
    return api.client.post(
        f"{API}/imports",
        data={"sheet": (io.BytesIO(content), name)},
        headers={**api.auth(role), **headers},
    )


def uploaded(api, content: bytes = GOOD) -> dict:
    answer = send(api, content)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.get_json()


def test_upload_read_and_confirm_a_sheet_once(api):
    found = uploaded(api)
    assert found["state"] == "ready" and found["can_confirm"] is True
    assert found["counts"]["new_styles"] == 1 and found["counts"]["pieces"] == 5
    assert found["errors"] == [] and found["uploaded_by"] == api.user(Role.MANAGER)[1]
    assert counts(api.app, "styles") == (1,), "an upload writes no style"  # A1024 only
    read = api.get(f"/imports/{found['id']}", role=Role.MANAGER)
    assert read.status_code == 200 and read.get_json() == found

    done = api.post(f"/imports/{found['id']}/confirm", role=Role.MANAGER)
    assert done.status_code == 200, done.get_data(as_text=True)
    body = done.get_json()
    assert body["state"] == "imported" and body["document"].startswith("OS")
    assert body["can_confirm"] is False and body["confirmed_at"]
    assert counts(api.app, "styles", "variants") == (2, 5)
    stocked = api.get("/stock?sku=K1-Black-M")
    assert stocked.get_json()["on_hand"] == 3

    before = snapshot(api.app)
    again = assert_problem(api.post(f"/imports/{found['id']}/confirm", role=Role.MANAGER), 409)
    assert "imported already" in again["detail"]
    # The same file uploaded again says so, and cannot be confirmed.
    second = uploaded(api)
    assert second["already_imported"]["id"] == found["id"]
    assert second["can_confirm"] is False
    assert_problem(api.post(f"/imports/{second['id']}/confirm", role=Role.MANAGER), 409)
    assert {k: v for k, v in snapshot(api.app).items() if k != "imports"} == {
        k: v for k, v in before.items() if k != "imports"
    }


def test_a_sheet_with_bad_rows_is_kept_with_each_error_at_its_row_and_column(api):
    found = uploaded(api, BAD)
    assert found["state"] == "invalid" and found["can_confirm"] is False
    where = {(e["row"], e["column"], e["heading"]) for e in found["errors"]}
    assert where == {(2, "D", "S"), (3, "A", "code"), (3, "E", "M")}, found["errors"]
    assert all(e["message"] for e in found["errors"])
    before = snapshot(api.app)
    refused = api.post(f"/imports/{found['id']}/confirm", role=Role.MANAGER)
    assert "Fix the errors" in assert_problem(refused, 409)["detail"]
    assert snapshot(api.app) == before


def test_errors_come_in_the_readers_language(api):
    found = uploaded(api, BAD)
    zh = api.get(f"/imports/{found['id']}", role=Role.MANAGER, headers={"Accept-Language": "zh"})
    messages = [e["message"] for e in zh.get_json()["errors"]]
    assert any("负" in m for m in messages), messages


def test_bad_requests_are_problems_that_keep_nothing(api, subtests):
    manager = api.auth(Role.MANAGER)
    for name, data, field in [
        ("not a spreadsheet", {"sheet": (io.BytesIO(b"\x00\x01garbage"), "x.xlsx")}, None),
        ("an old .xls", {"sheet": (io.BytesIO(b"\xd0\xcf\x11\xe0rest"), "x.xls")}, None),
        ("an empty file", {"sheet": (io.BytesIO(b""), "x.csv")}, None),
        ("no file", {"other": "x"}, "sheet"),
    ]:
        with subtests.test(msg=name):
            before = snapshot(api.app)
            answer = api.client.post(f"{API}/imports", data=data, headers=manager)
            body = assert_problem(answer, 422, *([field] if field else []))
            assert field or body["detail"]
            assert snapshot(api.app) == before
    refuse(api, subtests, "a JSON body", "/imports", 422, "sheet", body={"sheet": "x"})
    refuse(api, subtests, "no such upload", "/imports/999999/confirm", 404)
    assert_problem(api.get("/imports/999999", role=Role.MANAGER), 404, detail=False)


def test_a_sheet_larger_than_the_limit_is_refused_with_413(api, monkeypatch):
    monkeypatch.setattr(imports, "MAX_UPLOAD_REQUEST", 1024)
    api.auth(Role.MANAGER)
    before = snapshot(api.app)
    assert_problem(send(api, b"code,name,S\n" + b"K,T,1\n" * 400), 413, detail=False)
    assert snapshot(api.app) == before


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_each_role_is_allowed_or_refused_as_the_import_routes_declare(api, role, subtests):
    ready = uploaded(api)["id"]
    headers = api.auth(role)
    calls = {
        "POST /imports": lambda headers: send(api, GOOD, role=role),
        "GET /imports/{import_id}": lambda headers: api.client.get(
            f"{API}/imports/{ready}", headers=headers
        ),
        "POST /imports/{import_id}/confirm": lambda headers: api.client.post(
            f"{API}/imports/{ready}/confirm", headers=headers
        ),
    }
    success = {"POST /imports": 201}
    assert set(calls) == set(IMPORT_ENDPOINTS)
    for endpoint, least in IMPORT_ENDPOINTS.items():
        with subtests.test(msg=f"{role} {endpoint}"):
            before = snapshot(api.app)
            response = calls[endpoint](headers)
            if role.rank >= least.rank:
                assert response.status_code == success.get(endpoint, 200), response.get_data(
                    as_text=True
                )
            else:
                assert str(least.label) in assert_problem(response, 403)["detail"]
                assert snapshot(api.app) == before, "a refused request wrote something"


def test_every_import_endpoint_refuses_missing_and_bad_tokens_with_401(api, subtests):
    ready = uploaded(api)["id"]
    bad = {name: make(api) for name, make in BAD_AUTH.items()}
    before = snapshot(api.app)
    for method, path in [
        ("POST", "/imports"),
        ("GET", f"/imports/{ready}"),
        ("POST", f"/imports/{ready}/confirm"),
    ]:
        for name, headers in bad.items():
            with subtests.test(msg=f"{method} {path}, {name}"):
                data = {"sheet": (io.BytesIO(GOOD), "s.csv")} if path == "/imports" else None
                response = api.client.open(API + path, method=method, headers=headers, data=data)
                assert_problem(response, 401)
                assert snapshot(api.app) == before
