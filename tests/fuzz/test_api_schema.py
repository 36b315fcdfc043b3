"""Schemathesis over the API, in-process: requests generated from the document that the
contracts generate, every answer checked against that document (status, content type,
body schema) and never a 500. On both databases (the ``app`` fixture), as a manager and as
a clerk; a fixed seed and a bounded number of examples per operation keep it repeatable
and quick. The ledger invariant is checked after each run by the ``app`` fixture.
"""

from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis import GenerationMode, openapi
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from stockapp.models import Role

# Examples per operation, mode and role: ~50 requests per operation and role.
EXAMPLES = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 20}
SEED = 20261201
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
STYLE = "A1024"


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


def test_every_answer_matches_the_document(app, make_style, token_for):
    manager, clerk = token_for(Role.MANAGER), token_for(Role.CLERK)
    seed_data(app, make_style, manager)
    schema = openapi.from_wsgi("/api/v1/openapi.json", app)
    failures, sent = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for role, headers in ((Role.MANAGER, manager), (Role.CLERK, clerk)):
            for mode in EXAMPLES:
                try:
                    sent += run(operation, mode, headers)
                except Exception as failure:  # every operation runs; all failures listed
                    first = str(failure).strip().splitlines()[:12]
                    failures.append(
                        f"{operation.label} as {role} ({mode.value}): " + "\n".join(first)
                    )
    print(f"schemathesis: {sent} cases")
    assert not failures, f"{len(failures)} failing:\n\n" + "\n\n".join(failures)
