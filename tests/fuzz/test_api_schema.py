"""Schemathesis over the API, in-process: requests generated from the document that the
contracts generate, every answer checked by every check Schemathesis has (never a 500;
status, content type, headers and body as documented; data the document calls invalid
refused; no answer to a wrong method, a missing header or a missing token but the
documented refusal), and one of ours: a request the document calls valid is accepted by
the contract, so a 422 it gets can only come from the database (an unknown SKU, a taken
number). On both databases (the ``app`` fixture), as a manager and as a clerk; a fixed
seed and a bounded number of examples per operation keep it repeatable and quick. The
ledger invariant is checked after each run by the ``app`` fixture.
"""

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from pydantic import ValidationError
from schemathesis import GenerationMode, openapi
from schemathesis.checks import CHECKS as REGISTERED
from schemathesis.config import PositiveDataAcceptanceConfig

from stockapp.api.openapi import OPERATIONS
from stockapp.models import Role

# Examples per operation, mode and role: ~50 requests per operation and role.
EXAMPLES = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 20}
SEED = 20261201
STYLE = "A1024"
# (method, path) → (body contract, query contract), as the document was made from them.
CONTRACTS = {(op.method, op.path): (op.body, op.query) for op in OPERATIONS}


@schemathesis.check
def contract_accepts_what_the_document_allows(ctx, response, case):
    """Positive data the API refused with 422 must pass its contract: then the refusal
    came from the database's checks, not from a contract stricter than its document."""
    if not case.meta.generation.mode.is_positive or response.status_code != 422:
        return None
    body, query = CONTRACTS[(case.method.lower(), case.operation.path)]
    try:
        if body is not None and case.body is not None:
            body.model_validate_json(json.dumps(case.body))
        if query is not None:
            query.model_validate({k: _wire(v) for k, v in (case.query or {}).items()}, strict=False)
    except ValidationError as refused:
        raise AssertionError(f"the document allows what the contract refuses: {refused}") from None
    return None


def _wire(value) -> str:
    """A query value as it arrives: text (booleans as JSON writes them)."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


CHECKS = REGISTERED.get_all()


def seed_data(app, make_style, headers) -> None:
    """Something to find: a style with stock, a supplier, a purchase order, an order and a
    receipt (each id 1)."""
    make_style(STYLE, sizes=("S", "M", "L"), colours=("Black",))
    client = app.test_client()
    sku = f"{STYLE}-Black-S"
    for path, body in [
        ("/inbound", {"lines": [{"sku": sku, "qty": 50}]}),
        ("/suppliers", {"name": "Mill A"}),
        ("/purchase-orders", {"number": "PO-1", "supplier": 1, "lines": [{"sku": sku, "qty": 9}]}),
        ("/orders", {"number": "SO-1", "customer": "Shop A", "lines": [{"sku": sku, "qty": 2}]}),
        ("/receipts", {"po": "PO-1", "lines": [{"sku": sku, "received": 3}], "submit": True}),
    ]:
        response = client.post(f"/api/v1{path}", json=body, headers=headers)
        assert response.status_code == 201, response.get_data(as_text=True)


def run(operation, mode: GenerationMode, headers: dict) -> int:
    """Send ``operation``'s generated cases; the number sent (a failing check raises)."""
    sent = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @seed(SEED)
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        # No shrinking: a failure is reported as found, so a failing run stays as quick as
        # a passing one (shrinking one PostgreSQL failure once took ten minutes).
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
    )
    def send(case):
        sent.append(1)
        case.call_and_validate(headers=headers, checks=CHECKS)

    send()
    return len(sent)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.CLERK], ids=["manager", "clerk"])
def test_every_answer_matches_the_document(app, make_style, token_for, role):
    """One role a test, so that the two spread over the workers (each takes a minute)."""
    manager = token_for(Role.MANAGER)
    headers = manager if role is Role.MANAGER else token_for(role)
    seed_data(app, make_style, manager)
    schema = openapi.from_wsgi("/api/v1/openapi.json", app)
    # 422 too: for positive data, contract_accepts_what_the_document_allows tells which.
    statuses = [*PositiveDataAcceptanceConfig().expected_statuses, "422"]
    schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
        expected_statuses=statuses
    )
    failures, sent = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in EXAMPLES:
            try:
                sent += run(operation, mode, headers)
            except (Exception, BaseExceptionGroup) as failure:  # every operation runs
                first = str(failure).strip().splitlines()[:12]
                failures.append(f"{operation.label} as {role} ({mode.value}): " + "\n".join(first))
    print(f"schemathesis: {sent} cases")
    assert not failures, f"{len(failures)} failing:\n\n" + "\n\n".join(failures)
