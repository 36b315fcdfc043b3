"""Hostile values into every HTML POST route, with a valid CSRF token, on both databases.

The routes come from ``app.url_map`` (every POST rule outside /api/), so a new route is
fuzzed without anyone listing it, and one whose URL arguments this module cannot fill
fails. A route's fields are read from its own form (its GET page, else the nearest page
above it that answers). Each route is posted, as a manager and as a clerk (anonymous for
sign-in and first-run setup), a bounded, seeded set of cases: every field at once and one
field at a time set to NUL, other control characters, 10^30, -1, wrong types, blank;
fields missing, duplicated, a body just below and just past MAX_CONTENT_LENGTH, no or a
wrong CSRF token. Every answer is below 500, and after every refusal (4xx) the database
is as it was: each table's rows (but the sign-in throttle's, which records failures by
design). The ``app`` fixture then checks the ledger invariant.
"""

import hashlib
import random
import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from stockapp.extensions import db
from stockapp.models import Role
from stockapp.services import (
    accounts,
    imports,
    orders,
    purchasing,
    receiving,
    size_groups,
    supplier_returns,
    suppliers,
    transfers,
    warehouses,
)
from tests.support.apps import make_app
from tests.support.pages import HTMX, signed_in

SEED = 20261201
STYLE = "A1024"
HOSTILE = [
    "\x00",
    "A1024\x00",
    "\x01\x08\x1b[2J",
    "\x7f\x85\x9f",
    "1" + "0" * 30,
    "-1",
    "9223372036854775808",
    "1.5",
    "１２",
    "abc",
    "",
    " \t\r\n",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
]
# How many of a route's cases are also sent as the clerk.
CLERK_CASES = 12
# Tables whose rows a refusal may write by design: a failed sign-in is counted.
RECORD_REFUSALS = {"login_throttle"}
# Columns any request may refresh (at most once a minute): when a sign-in session or a
# token was last used.
BOOKKEEPING = {"last_seen_at", "last_used_at"}
# The forms are read from what the ``floor`` fixture made: style A1024 added to grids.
DISCOVER = "?add=" + STYLE


def _post_routes() -> list[tuple[str, str]]:
    app = make_app("sqlite://", SQLALCHEMY_ENGINE_OPTIONS={})
    return sorted(
        (rule.endpoint, rule.rule)
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and not rule.rule.startswith("/api/")
    )


ROUTES = _post_routes()


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def floor(app, make_user, make_style) -> dict:
    """Something for every route to act on; the URL arguments, by name (and by endpoint
    where one name means different things)."""
    skus = make_style(STYLE, sizes=("S", "M", "L"), colours=("Black",))
    boss = make_user(Role.MANAGER, username="boss")
    clerk = make_user(Role.CLERK, username="li")
    viewer = make_user(Role.VIEWER, username="wang")  # whom the users' forms change
    variants = list(skus.values())
    with app.app_context():
        inbound = receiving.receive(lines=[(v, 20) for v in variants], operator_id=boss)
        mill = suppliers.save(name="Hangzhou Mill")
        po = purchasing.create(
            number="PO-1",
            supplier_id=mill,
            lines=[purchasing.OrderedLine(v, 5) for v in variants],
            operator_id=boss,
            place=True,
        )
        order = orders.create(
            number="PH-1", customer="Zhang", lines=[(v, 2) for v in variants], operator_id=clerk
        )
        receipt = receiving.create(
            po_id=po["id"],
            lines=[receiving.ArrivedLine(v, 1) for v in variants],
            operator_id=clerk,
            submit=True,
        )
        token_id, _ = accounts.create_token("li")
        group_id = size_groups.save_group(name="S–L", sizes=["S", "M", "L"])
        upload = imports.upload(
            content=b"code,name,colour,S\nF1,Tee,Black,1\n", filename="f.csv", actor_id=boss
        )
        shanghai = warehouses.create_warehouse(code="SH", name="Shanghai", actor_id=boss)
        transfer = transfers.create(
            from_warehouse_id=warehouses.main_warehouse_id(),
            to_warehouse_id=shanghai,
            lines=[(v, 1) for v in variants],
            operator_id=boss,
        )
        transfers.ship(transfer["id"], operator_id=boss)  # for receive, decide and cancel
        supplier_return = supplier_returns.submit(
            supplier_id=mill,
            lines=[(variants[0], warehouses.default_location_id(), 1)],
            operator_id=clerk,
        )  # waiting: for approve and reject
    return {
        "code": STYLE,
        "order_id": order["id"],
        "po_id": po["id"],
        "supplier_id": mill,
        "document_id": receipt["document"]["id"],
        ("movements.reverse", "document_id"): inbound["document"]["id"],
        ("auth.language", "code"): "en",
        "token_id": token_id,
        "variant_id": variants[0],
        "kind": "group",
        "row_id": group_id,
        "user_id": viewer,
        "change": "deactivate",
        "import_id": upload["id"],
        "transfer_id": transfer["id"],
        "location_code": "DEFAULT",
        **{
            (f"supplier_returns.{endpoint}", "document_id"): supplier_return["document"]["id"]
            for endpoint in ("approve", "reject")
        },
        **{
            (f"warehouses.{endpoint}", "code"): "MAIN"
            for endpoint in ("rename_warehouse", "set_active", "add_location", "edit_location")
        },
    }


def fingerprint() -> str:
    """A hash of every table's rows (but those in RECORD_REFUSALS and BOOKKEEPING)."""
    digest = hashlib.sha256()
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            if table.name in RECORD_REFUSALS:
                continue
            columns = [c for c in table.columns if c.name not in BOOKKEEPING]
            rows = connection.execute(sa.select(*columns)).all()
            digest.update(table.name.encode())
            digest.update(repr(sorted(map(repr, rows))).encode())
    return digest.hexdigest()


def url_of(endpoint: str, rule: str, floor: dict) -> str:
    def value(match):
        name = match[2]
        found = floor.get((endpoint, name), floor.get(name))
        if found is None:
            pytest.fail(f"{endpoint} ({rule}): the fuzzer has no value for <{name}>: add one")
        return str(found)

    return re.sub(r"<(?:(\w+):)?(\w+)>", value, rule)


FIELD = re.compile(r"<(input|textarea|select)\b([^>]*)>", re.S)
GRID_CELL = re.compile(r"[a-z]+-[0-9]+")


def form_fields(page: str) -> MultiDict:
    """The named fields of a page's forms and their values (the last of each name wins)."""
    fields = MultiDict()
    for tag, attributes in FIELD.findall(page):
        name = re.search(r'\bname="([^"]+)"', attributes)
        if name is None:
            continue
        value = re.search(r'\bvalue="([^"]*)"', attributes)
        if tag == "input" and re.search(r'type="(checkbox|radio)"', attributes):
            value = value if "checked" in attributes else None
            if value is None:
                continue
        fields[name[1]] = value[1] if value and tag != "select" else ""
    for name, value in list(fields.items()):
        if not value and GRID_CELL.fullmatch(name):
            fields[name] = "1"  # a piece in each cell, so that the form gets past "nothing to do"
    return fields


def discover(client, url: str) -> tuple[MultiDict, str]:
    """The fields of the form that posts to ``url``, and a CSRF token of the session."""
    path = urlsplit(url).path
    while True:
        response = client.get(path + DISCOVER)
        if response.status_code == 200 or path in ("", "/"):
            break
        path = path.rsplit("/", 1)[0] or "/"
    page = response.get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', page
    )
    assert token, f"no CSRF token on {path}"
    fields = form_fields(page)
    fields.poplist("csrf_token")
    return fields, token[1]


def cases(fields: MultiDict, rng: random.Random, max_content: int):
    """(name, fields, CSRF token: "valid", "wrong" or None): the seeded cases of one route."""
    names = list(dict.fromkeys(fields.keys())) or ["key"]

    def but(name, value) -> MultiDict:
        changed = MultiDict(fields)
        changed.setlist(name, [value])
        return changed

    yield "as the form is", fields, "valid"
    yield "no fields", MultiDict(), "valid"
    yield "no CSRF token", fields, None
    yield "a wrong CSRF token", fields, "wrong"
    for value in HOSTILE:
        yield f"every field {value!r}", MultiDict({n: value for n in names}), "valid"
        name = rng.choice(names)
        yield f"{name}={value!r}", but(name, value), "valid"
    for name in sorted(rng.sample(names, min(len(names), 8))):
        missing = MultiDict(fields)
        missing.poplist(name)
        yield f"without {name}", missing, "valid"
    twice = MultiDict(fields)
    for n in names:
        twice.add(n, rng.choice(HOSTILE))
    yield "every field twice", twice, "valid"
    name = rng.choice(names)
    yield "just below the size limit", but(name, "x" * (max_content - 4096)), "valid"
    yield "past the size limit", but(name, "x" * max_content), "valid"


@pytest.mark.parametrize("endpoint, rule", ROUTES, ids=[e for e, _ in ROUTES])
def test_no_form_post_fails_and_no_refusal_writes(app, floor, endpoint, rule):
    rng = random.Random(f"{SEED}-{endpoint}")
    users = [None] if endpoint in ("auth.login", "auth.setup") else ["boss", "li"]
    if endpoint == "auth.setup":
        with app.app_context():  # first-run setup answers only while nobody has an account
            for table in reversed(db.metadata.sorted_tables):
                if table.name not in ("warehouses", "locations"):
                    db.session.execute(table.delete())
            db.session.commit()
    failures, sent = [], 0
    max_content = app.config["MAX_CONTENT_LENGTH"]
    url = url_of(endpoint, rule, floor)
    for username in users:
        client = signed_in(app, username)
        fields, token = discover(client, url)
        with app.app_context():
            before = fingerprint()
        chosen = list(cases(fields, rng, max_content))
        if username == "li":  # the clerk: a sample, enough to meet every kind of refusal
            chosen = rng.sample(chosen, CLERK_CASES)
        for name, values, csrf in chosen:
            data = MultiDict(values)
            if csrf is not None:
                data["csrf_token"] = token if csrf == "valid" else token[:-4] + "AAAA"
            status = client.post(url, data=data, headers=HTMX).status_code
            sent += 1
            with app.app_context():
                after = fingerprint()
            if status >= 500:
                failures.append(f"{username}: {name}: {status}")
            elif 400 <= status < 500 and after != before:
                failures.append(f"{username}: {name}: {status} but the database changed")
            before = after
            if username and endpoint == "auth.logout":  # signed out: sign in again
                client = signed_in(app, username)
                token = discover(client, url)[1]
                with app.app_context():
                    before = fingerprint()  # the new sign-in's session
    assert sent >= 30 + CLERK_CASES * (len(users) - 1)
    assert failures == [], f"{endpoint}: " + "; ".join(failures)
