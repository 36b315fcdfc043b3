"""The JSON API's test client and what its tests check every answer with.

``Api`` holds one token per role and the style A1024 (Black; S, M, L);
``assert_problem`` checks an RFC 9457 problem; ``snapshot`` is what a refused request
must leave exactly as it was; ``refuse`` runs one bad request as a subtest;
``BAD_AUTH`` are the tokens every endpoint must refuse; and the tables say which
role may use each order and purchasing route.
"""

import sqlalchemy as sa

from stockapp.extensions import db
from stockapp.models import Role
from stockapp.services import accounts
from tests.support.db import on_hand

API = "/api/v1"
STYLE = "A1024"
S, M, L = (f"{STYLE}-Black-{size}" for size in ("S", "M", "L"))
ROLES = (Role.VIEWER, Role.CLERK, Role.MANAGER)


class Api:
    """A test client with one token per role and the style A1024 (Black; S, M, L)."""

    def __init__(self, app, client, token_for, skus: dict[str, int]):
        self.app, self.client, self.skus = app, client, skus
        self.new_token = token_for
        self._headers: dict[Role, dict] = {}

    def auth(self, role: Role = Role.CLERK) -> dict:
        if role not in self._headers:
            self._headers[role] = self.new_token(role)
        return self._headers[role]

    def token(self, role: Role = Role.CLERK) -> str:
        return self.auth(role)["Authorization"].split()[1]

    def user(self, role: Role) -> tuple[int, str]:
        with self.app.app_context():
            user = accounts.user_for_token(self.token(role))
            return user.id, user.username

    def get(self, path: str, role: Role | None = Role.CLERK, **kwargs):
        headers = {**(self.auth(role) if role else {}), **kwargs.pop("headers", {})}
        return self.client.get(API + path, headers=headers, **kwargs)

    def post(self, path: str, body=None, role: Role | None = Role.CLERK, **kwargs):
        headers = {**(self.auth(role) if role else {}), **kwargs.pop("headers", {})}
        if body is not None:
            kwargs["json"] = body
        return self.client.post(API + path, headers=headers, **kwargs)

    def receive(self, **qty_by_sku: int) -> int:
        """Set-up: put stock in as the clerk, through POST /inbound; the receipt id."""
        lines = [{"sku": sku, "qty": qty} for sku, qty in qty_by_sku.items()]
        response = self.post("/inbound", {"lines": lines}, role=Role.CLERK)
        assert response.status_code == 201, f"set-up failed: {response.get_data(as_text=True)}"
        return response.get_json()["receipt"]["id"]

    def on_hand(self, sku: str) -> int:
        with self.app.app_context():
            return on_hand(self.skus[sku])


def assert_problem(response, status: int, *fields: str, detail: bool = True) -> dict:
    """An RFC 9457 problem: the status, application/problem+json, a title, and (unless
    ``detail=False``) a detail or per-field errors; each of ``fields`` named in ``errors``.

    ``detail=False`` is for the answers werkzeug raises (404, 405, 413): whether those
    carry a detail is tested once, in ``test_api.py::test_http_errors_carry_a_detail``.
    """
    text = response.get_data(as_text=True)
    assert response.status_code == status, f"status {response.status_code}: {text[:300]}"
    assert response.mimetype == "application/problem+json", response.mimetype
    body = response.get_json()
    assert isinstance(body, dict), text[:300]
    assert body.get("status") == status, body
    assert isinstance(body.get("title"), str) and body["title"].strip(), body
    if detail:
        assert body.get("detail") or body.get("errors"), f"no detail nor errors: {body}"
    if "detail" in body:
        assert isinstance(body["detail"], str) and body["detail"].strip(), body
    errors = body.get("errors", {})
    assert isinstance(errors, dict), body
    for field in fields:
        assert field in errors, f"{field!r} not named in errors {errors}"
        assert isinstance(errors[field], str) and errors[field].strip(), errors
    return body


def snapshot(app) -> dict:
    """Rows in every table, the total stock and the newest movement: what a refused
    request must leave exactly as it was."""
    # Keyed by table name: the row count of each table; then three figures.
    probes = {t.name: f"SELECT COUNT(*) FROM {t.name}" for t in db.metadata.sorted_tables}
    probes["SUM(balances.qty)"] = "SELECT COALESCE(SUM(qty), 0) FROM balances"
    probes["MAX(movements.id)"] = "SELECT MAX(id) FROM movements"
    probes["MAX(documents.id)"] = "SELECT MAX(id) FROM documents"
    query = "SELECT " + ", ".join(f"({sql})" for sql in probes.values())
    with app.app_context():  # one round trip: cases take two snapshots each
        return dict(zip(probes, db.session.execute(sa.text(query)).one(), strict=True))


def refuse(api, subtests, name, path, status, *fields, role=Role.MANAGER, **send):
    """One bad request, as the subtest ``name``: its problem names each field, and
    nothing is written."""
    with subtests.test(msg=name):
        before = snapshot(api.app)
        response = api.post(path, role=role, **send)
        assert_problem(response, status, *fields, detail=status != 404)
        assert snapshot(api.app) == before, "a refused request wrote something"


# --- tokens every endpoint must refuse ------------------------------------------------


def _revoked(api: Api) -> dict:
    headers = api.new_token(Role.MANAGER)
    with api.app.app_context():
        accounts.revoke_token(headers["Authorization"].split()[1])
    return headers


def _revoked_by_id(api: Api) -> dict:
    headers = api.new_token(Role.MANAGER)
    with api.app.app_context():
        token_id = db.session.scalar(sa.text("SELECT MAX(id) FROM api_tokens"))
        accounts.revoke_token(str(token_id))
    return headers


def _inactive_user(api: Api) -> dict:
    headers = api.new_token(Role.MANAGER)
    with api.app.app_context():
        user_id = db.session.scalar(sa.text("SELECT user_id FROM api_tokens ORDER BY id DESC"))
        db.session.execute(
            sa.text("UPDATE users SET active = :no WHERE id = :id"), {"no": False, "id": user_id}
        )
        db.session.commit()
    return headers


def _altered(api: Api) -> dict:
    token = api.token(Role.MANAGER)
    return {"Authorization": "Bearer " + token[:-1] + ("A" if token[-1] != "A" else "B")}


BAD_AUTH = {
    "no header": lambda api: {},
    "empty header": lambda api: {"Authorization": ""},
    "scheme only": lambda api: {"Authorization": "Bearer"},
    "blank token": lambda api: {"Authorization": "Bearer    "},
    "basic scheme": lambda api: {"Authorization": "Basic bWFuYWdlcjpwYXNzd29yZA=="},
    "token without scheme": lambda api: {"Authorization": api.token(Role.MANAGER)},
    "other scheme, real token": lambda api: {"Authorization": "Token " + api.token(Role.MANAGER)},
    "unknown token": lambda api: {"Authorization": "Bearer sa_" + "x" * 43},
    "real token, one character changed": _altered,
    "real token with a suffix": lambda api: {
        "Authorization": f"Bearer {api.token(Role.MANAGER)} extra"
    },
    "revoked token": _revoked,
    "token revoked by id": _revoked_by_id,
    "token of a deactivated user": _inactive_user,
}


# --- who may use each route ---------------------------------------------------------
# Each route and the least role that may use it, for test_api_orders.py and
# test_api_purchasing.py; test_api.py checks that these tables and its own cover
# every API route between them.

ORDER_ENDPOINTS = {
    "POST /orders": Role.CLERK,
    "GET /orders/{order_id}": Role.VIEWER,
    "POST /orders/{order_id}/picks": Role.CLERK,
    "POST /orders/{order_id}/complete": Role.MANAGER,
    "POST /orders/{order_id}/cancel": Role.CLERK,
    "POST /returns": Role.CLERK,
}
# Users and the audit trail (tested in test_api_accounts.py).
ACCOUNT_ENDPOINTS = {
    "GET /users": Role.MANAGER,
    "POST /users": Role.MANAGER,
    "PATCH /users/{name}": Role.MANAGER,
    "GET /audit": Role.MANAGER,
}
# The import routes (tested in test_api_imports.py).
IMPORT_ENDPOINTS = {
    "POST /imports": Role.MANAGER,
    "GET /imports/{import_id}": Role.MANAGER,
    "POST /imports/{import_id}/confirm": Role.MANAGER,
}
# Transfers (tested in test_transfers.py).
TRANSFER_ENDPOINTS = {
    "POST /transfers": Role.CLERK,
    "GET /transfers/{transfer_id}": Role.VIEWER,
    "POST /transfers/{transfer_id}/ship": Role.CLERK,
    "POST /transfers/{transfer_id}/receive": Role.CLERK,
    "POST /transfers/{transfer_id}/decide": Role.MANAGER,
    "POST /transfers/{transfer_id}/cancel": Role.MANAGER,
}
# Warehouses and their locations (tested in test_warehouses.py).
WAREHOUSE_ENDPOINTS = {
    "GET /warehouses": Role.VIEWER,
    "POST /warehouses": Role.MANAGER,
    "PATCH /warehouses/{code}": Role.MANAGER,
    "GET /warehouses/{code}/locations": Role.VIEWER,
    "POST /warehouses/{code}/locations": Role.MANAGER,
}
MOVE_ENDPOINTS = {
    "POST /moves": Role.CLERK,
    "POST /write-offs": Role.CLERK,
    "GET /write-offs/{write_off_id}": Role.CLERK,
    "POST /write-offs/{write_off_id}/approve": Role.MANAGER,
    "POST /write-offs/{write_off_id}/reject": Role.MANAGER,
}
# Returns to suppliers (tested in test_supplier_returns.py).
SUPPLIER_RETURN_ENDPOINTS = {
    "POST /supplier-returns": Role.CLERK,
    "GET /supplier-returns/{supplier_return_id}": Role.CLERK,
    "POST /supplier-returns/{supplier_return_id}/approve": Role.MANAGER,
    "POST /supplier-returns/{supplier_return_id}/reject": Role.MANAGER,
}
# Reversing a document (tested in test_reversals.py).
REVERSAL_ENDPOINTS = {
    "POST /documents/{document_id}/reverse": Role.MANAGER,
}
PURCHASING_ENDPOINTS = {
    "POST /suppliers": Role.MANAGER,
    "GET /suppliers": Role.CLERK,
    "POST /purchase-orders": Role.MANAGER,
    "GET /purchase-orders": Role.CLERK,
    "GET /purchase-orders/{po_id}": Role.CLERK,
    "POST /purchase-orders/{po_id}/place": Role.MANAGER,
    "POST /purchase-orders/{po_id}/close": Role.MANAGER,
    "POST /receipts": Role.CLERK,
    "GET /receipts/{receipt_id}": Role.CLERK,
    "POST /receipts/{receipt_id}/submit": Role.CLERK,
    "POST /receipts/{receipt_id}/approve": Role.MANAGER,
    "POST /receipts/{receipt_id}/reject": Role.MANAGER,
}
