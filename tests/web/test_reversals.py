"""Reversing a bin move or a write-off from its own page, from the log's dialog and over
the API (POST /api/v1/documents/{id}/reverse): managers only, with a reason, in their
warehouses; a refusal says why and writes nothing."""

import json
import re

import pytest

from stockapp.models import Role
from stockapp.queries.moves import held_in
from stockapp.services import warehouses
from tests.support.api import (
    API,
    BAD_AUTH,
    REVERSAL_ENDPOINTS,
    ROLES,
    Api,
    S,
    assert_problem,
    snapshot,
)
from tests.support.pages import HTMX, as_user, events, text

ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def api_stock():
    return {S: 6}


@pytest.fixture
def bins(app, api: Api) -> dict:
    """Bins A-01 and B-02 beside the default location (which holds 6 of S)."""
    with app.app_context():
        main = warehouses.main_warehouse_id()
        return {
            "DEFAULT": warehouses.default_location_id(),
            "A-01": warehouses.create_location(warehouse_id=main, code="A-01"),
            "B-02": warehouses.create_location(warehouse_id=main, code="B-02"),
        }


def held(app, api, location_id: int) -> int:
    with app.app_context():
        return held_in(location_id, [api.skus[S]]).get(api.skus[S], 0)


def moved(api: Api, qty: int = 3, source: str = "DEFAULT", to: str = "A-01") -> dict:
    body = {"from_location": source, "to_location": to, "lines": [{"sku": S, "qty": qty}]}
    response = api.post("/moves", body)
    assert response.status_code == 201, text(response)
    return response.get_json()["move"]


def written_off(api: Api, role: Role = Role.MANAGER, qty: int = 2) -> dict:
    body = {"location": "DEFAULT", "reason": "damaged", "lines": [{"sku": S, "qty": qty}]}
    response = api.post("/write-offs", body, role=role)
    assert response.status_code == 201, text(response)
    return response.get_json()["write_off"]


def reverse_on_page(client, document_id: int, page: str, reason: str = "booked twice", **extra):
    """The dialog's POST, as htmx sends it from ``page``."""
    headers = {**HTMX, "HX-Current-URL": f"http://localhost{page}", **extra.pop("headers", {})}
    return client.post(
        f"/documents/{document_id}/reverse",
        data={"reason": reason, "key": extra.pop("key", "k1")},
        headers=headers,
    )


# ---------------------------------------------------------------- pages


def test_a_manager_reverses_a_bin_move_from_its_page(app, client, api, bins):
    move = moved(api)
    page_url = f"/moves/{move['id']}"
    as_user(client, api.user(Role.MANAGER)[1])
    page = text(client.get(page_url))
    dialog_url = f"/documents/{move['id']}/reverse"
    assert f'hx-get="{dialog_url}" hx-target="#modal-body"' in page
    dialog = text(client.get(dialog_url, headers=HTMX))
    assert f"Reverse {move['number']}" in dialog and 'name="reason"' in dialog
    assert "MAIN · A-01" in dialog and "MAIN · Default location" in dialog
    assert re.search(r'name="key" type="hidden" value="[0-9a-f]{32}"', dialog)
    done = reverse_on_page(client, move["id"], page_url)
    assert done.status_code == 204, text(done)
    fired = events(done)
    assert fired["stock-changed"]["document"] == move["number"]
    assert fired["show-message"].startswith(f"{move['number']} is reversed by RV")
    assert (held(app, api, bins["A-01"]), held(app, api, bins["DEFAULT"])) == (0, 6)
    after = text(client.get(page_url, headers=HTMX))  # the page refreshes itself
    assert "<html" not in after and 'id="move-view"' in after
    assert "Reversed: booked twice" in after and ">Reversed<" in after
    assert dialog_url not in after, "a reversed move offers no second reversal"
    log = text(client.get(f"/logs?document={move['number']}"))
    assert "Reversed by <a" in log and dialog_url not in log


def test_a_bin_moves_reversal_is_refused_when_its_pieces_left_the_destination(
    app, client, api, bins
):
    move = moved(api)
    moved(api, 2, source="A-01", to="B-02")
    as_user(client, api.user(Role.MANAGER)[1])
    before = snapshot(app)
    refused = reverse_on_page(client, move["id"], f"/moves/{move['id']}")
    assert refused.status_code == 422 and "HX-Trigger" not in refused.headers
    assert (
        f"{move['number']} cannot be reversed: its pieces are no longer all where it put "
        "them. A1024-Black-S is short by 2 (on hand 1, needed 3) in A-01"
    ) in text(refused)
    assert snapshot(app) == before
    assert 'id="reverse-submit"' in text(refused), "it may be tried again once they are back"


def test_a_manager_reverses_an_approved_write_off_and_its_page_says_so(app, client, api, bins):
    write_off = written_off(api, Role.CLERK)
    as_user(client, api.user(Role.MANAGER)[1])
    page_url = f"/write-offs/{write_off['id']}"
    waiting = text(client.get(page_url))
    assert f"/documents/{write_off['id']}/reverse" not in waiting, "nothing posted yet"
    approved = client.post(f"{page_url}/approve", data={"key": "a"}, headers=HTMX)
    assert approved.status_code == 204 and api.on_hand(S) == 4
    page = text(client.get(page_url))
    assert f'hx-get="/documents/{write_off["id"]}/reverse"' in page
    done = reverse_on_page(client, write_off["id"], page_url, "<b>found it</b>")
    assert done.status_code == 204 and api.on_hand(S) == 6
    page = text(client.get(page_url, headers=HTMX))
    assert ">Reversed<" in page and "Approved by" in page and ">Approved<" not in page
    assert "Reversed: &lt;b&gt;found it&lt;/b&gt;" in page and "<b>found it</b>" not in page
    assert f"/documents/{write_off['id']}/reverse" not in page
    listed = text(client.get("/write-offs?state=posted"))
    assert write_off["number"] in listed and ">Reversed<" in listed


@pytest.mark.parametrize("decision", ["waiting", "rejected"])
def test_a_write_off_that_posted_nothing_is_not_reversed(app, client, api, decision):
    write_off = written_off(api, Role.CLERK)
    if decision == "rejected":
        path = f"/write-offs/{write_off['id']}/reject"
        assert api.post(path, {"reason": "not torn"}, role=Role.MANAGER).status_code == 200
    as_user(client, api.user(Role.MANAGER)[1])
    dialog = text(client.get(f"/documents/{write_off['id']}/reverse", headers=HTMX))
    message = "is not approved" if decision == "waiting" else "was rejected"
    assert f"{write_off['number']} {message}: nothing was posted" in dialog
    assert 'id="reverse-submit"' not in dialog and 'name="reason"' not in dialog
    before = snapshot(app)
    refused = reverse_on_page(client, write_off["id"], f"/write-offs/{write_off['id']}")
    assert refused.status_code == 422 and message in text(refused)
    assert snapshot(app) == before and api.on_hand(S) == 6


def test_the_refusal_reads_in_chinese(app, client, api):
    write_off = written_off(api, Role.CLERK)
    as_user(client, api.user(Role.MANAGER)[1])
    dialog = text(client.get(f"/documents/{write_off['id']}/reverse", headers=HTMX | ZH))
    assert f"{write_off['number']} 尚未审核" in dialog


def test_the_dialogs_key_reverses_once(app, client, api, bins):
    move = moved(api)
    as_user(client, api.user(Role.MANAGER)[1])
    first = reverse_on_page(client, move["id"], f"/moves/{move['id']}", key="same")
    before = snapshot(app)
    again = reverse_on_page(client, move["id"], f"/moves/{move['id']}", key="same")
    assert (first.status_code, again.status_code) == (204, 204)
    assert events(again)["show-message"] == events(first)["show-message"]
    assert snapshot(app) == before and held(app, api, bins["DEFAULT"]) == 6


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CLERK])
def test_only_managers_are_offered_or_allowed_a_reversal(app, client, api, bins, role):
    move, write_off = moved(api), written_off(api)
    as_user(client, api.user(role)[1])
    before = snapshot(app)
    for document in (move, write_off):
        url = f"/documents/{document['id']}/reverse"
        assert client.get(url, headers=HTMX).status_code == 403
        assert reverse_on_page(client, document["id"], "/").status_code == 403
    if role == Role.CLERK:
        for page in (f"/moves/{move['id']}", f"/write-offs/{write_off['id']}"):
            shown = text(client.get(page))
            assert "/reverse" not in shown and 'id="piece-lines"' in shown
    assert snapshot(app) == before


def test_a_manager_of_another_warehouse_is_refused(app, client, api, bins, make_user):
    move = moved(api)
    with app.app_context():
        sh = warehouses.create_warehouse(code="SH", name="Shanghai")
        other = make_user(Role.MANAGER, username="dan")
        warehouses.set_user_warehouses(user_id=other, warehouse_ids=[sh])
    as_user(client, "dan")
    before = snapshot(app)
    assert client.get(f"/documents/{move['id']}/reverse", headers=HTMX).status_code == 403
    assert reverse_on_page(client, move["id"], "/logs").status_code == 403
    assert snapshot(app) == before


# ---------------------------------------------------------------- API


def reverse_api(api: Api, document_id: int, body=None, role=Role.MANAGER, **headers):
    body = {"reason": "booked twice"} if body is None else body
    return api.post(f"/documents/{document_id}/reverse", body, role=role, headers=headers)


def test_the_api_reverses_a_bin_move_once_per_key(app, api, bins):
    move = moved(api)
    key = {"Idempotency-Key": "rv-1"}
    first = reverse_api(api, move["id"], **key)
    assert first.status_code == 201, text(first)
    body = first.get_json()
    assert body["document"] == {**move, "status": "reversed"}
    assert body["reversal"]["number"].startswith("RV") and body["reversal"]["kind"] == "reversal"
    assert sorted((m["location"], m["delta"], m["kind"]) for m in body["movements"]) == [
        ("A-01", -3, "reversal"),
        ("DEFAULT", 3, "reversal"),
    ]
    assert {m["sku"] for m in body["movements"]} == {S}
    before = snapshot(app)
    again = reverse_api(api, move["id"], **key)
    assert again.status_code == 201 and again.get_json() == body
    assert snapshot(app) == before
    assert_problem(reverse_api(api, move["id"], {"reason": "other"}, **key), 422)
    assert_problem(reverse_api(api, move["id"]), 409)  # already reversed
    assert snapshot(app) == before and held(app, api, bins["DEFAULT"]) == 6


def test_the_api_refuses_a_move_whose_pieces_left_and_a_write_off_not_posted(app, api, bins):
    move = moved(api)
    moved(api, 2, source="A-01", to="B-02")
    waiting = written_off(api, Role.CLERK)
    api.auth(Role.MANAGER)
    before = snapshot(app)
    problem = assert_problem(reverse_api(api, move["id"]), 409)
    assert problem["shortages"] == [
        {"sku": S, "location": "A-01", "on_hand": 1, "requested": 3, "short": 2}
    ]
    assert problem["detail"].startswith(f"{move['number']} cannot be reversed")
    problem = assert_problem(reverse_api(api, waiting["id"]), 409)
    assert "is not approved" in problem["detail"]
    assert "尚未审核" in assert_problem(reverse_api(api, waiting["id"], **ZH), 409)["detail"]
    assert snapshot(app) == before


def test_a_write_off_reversed_over_the_api_shows_its_reversal(app, api):
    write_off = written_off(api)
    assert api.get(f"/write-offs/{write_off['id']}").get_json()["reversal"] is None
    done = reverse_api(api, write_off["id"], {"reason": "found it"})
    assert done.status_code == 201 and api.on_hand(S) == 6
    shown = api.get(f"/write-offs/{write_off['id']}").get_json()
    assert shown["status"] == "reversed" and shown["decided_by"]
    reversal = shown["reversal"]
    assert reversal["number"] == done.get_json()["reversal"]["number"]
    assert (reversal["reason"], reversal["created_by"]) == ("found it", api.user(Role.MANAGER)[1])


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({}, 422, "reason"),
        ({"reason": "  "}, 422, "reason"),
        ({"reason": "x" * 501}, 422, "reason"),
        ({"reason": 7}, 422, "reason"),
    ],
)
def test_a_bad_reason_is_a_problem_and_writes_nothing(app, api, bins, body, status, field):
    move = moved(api)
    api.auth(Role.MANAGER)
    before = snapshot(app)
    assert_problem(reverse_api(api, move["id"], body), status, field)
    assert snapshot(app) == before


def test_an_unknown_document_is_not_found(api):
    assert_problem(reverse_api(api, 999_999), 404)


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_each_role_is_allowed_or_refused_as_the_route_declares(app, api, bins, role):
    (least,) = REVERSAL_ENDPOINTS.values()
    move = moved(api)
    api.auth(role)
    before = snapshot(app)
    response = reverse_api(api, move["id"], role=role)
    if role.rank >= least.rank:
        assert response.status_code == 201
    else:
        assert str(least.label) in assert_problem(response, 403)["detail"]
        assert snapshot(app) == before


def test_the_api_refuses_a_manager_of_another_warehouse(app, client, api, bins, make_user):
    move = moved(api)
    with app.app_context():
        from stockapp.services import accounts

        sh = warehouses.create_warehouse(code="SH", name="Shanghai")
        other = make_user(Role.MANAGER, username="dan")
        warehouses.set_user_warehouses(user_id=other, warehouse_ids=[sh])
        _, token = accounts.create_token("dan")
    before = snapshot(app)
    response = client.post(
        f"{API}/documents/{move['id']}/reverse",
        json={"reason": "mine"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert_problem(response, 403)
    assert snapshot(app) == before


def test_the_route_refuses_missing_and_bad_tokens_with_401(api, bins, subtests):
    move = moved(api)
    api.auth(Role.MANAGER)
    for name, make in BAD_AUTH.items():
        with subtests.test(msg=name):
            headers = make(api)
            before = snapshot(api.app)
            response = api.client.post(
                f"{API}/documents/{move['id']}/reverse",
                data=json.dumps({"reason": "x"}),
                content_type="application/json",
                headers=headers,
            )
            assert_problem(response, 401)
            assert snapshot(api.app) == before
