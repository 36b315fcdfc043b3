"""Signing in and reading pages through the Flask test client."""

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.support.apps import PASSWORD, english_client

HTMX = {"HX-Request": "true"}


def sign_in(client, username, password=PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


def signed_in(app, username: str | None):
    """A client signed in as ``username`` through the real form (CSRF on), or anonymous."""
    client = english_client(app)
    if username:
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
        form = {"username": username, "password": PASSWORD, "csrf_token": token}
        assert client.post("/login", data=form).status_code == 302
    return client


def as_user(client, username):
    """Sign out, then in as ``username``."""
    client.post("/logout")
    assert sign_in(client, username).status_code == 302


def text(response) -> str:
    return response.get_data(as_text=True)


def listed_styles(page: str) -> list[str]:
    """The style codes in the product list's rows, in order."""
    return re.findall(r'<a class="style-link" href="[^"]*"><strong>([^<]+)</strong>', page)


def events(response) -> dict:
    """The events an htmx answer triggers (its HX-Trigger header)."""
    return json.loads(response.headers["HX-Trigger"])


def value_of(page: str, name: str) -> str | None:
    """The value of the input called ``name`` on the page."""
    tag = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', page)
    if tag is None:
        return None
    value = re.search(r'\bvalue="([^"]*)"', tag[0])
    return value[1] if value else ""


def error_beside(page: str, element_id: str) -> str | None:
    """The message in the error paragraph ``element_id`` (None when there is none)."""
    found = re.search(rf'<p class="error" id="{re.escape(element_id)}">([^<]*)</p>', page)
    return found[1] if found else None


def scan_error(page: str, field_id: str) -> str | None:
    """The error under the scan field ``field_id`` (templates/_macros/scan.html), or None."""
    found = re.search(
        rf'<p class="scan-message error" id="{re.escape(field_id)}-message"[^>]*>([^<]*)</p>', page
    )
    return found[1] if found else None


def inbound(skus, **qty):
    """The manage-stock dialog's inbound form: ``qty`` pieces of each SKU, from ``skus``
    ({sku: variant id})."""
    return {"mode": "inbound", "key": "k-" + json.dumps(qty), "note": "van 7"} | {
        f"q-{skus[sku]}": str(n) for sku, n in qty.items()
    }


def today_where_the_app_is(app) -> set[str]:
    """Today in the app's timezone (a minute either side, for a run at midnight)."""
    now = datetime.now(ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"]))
    return {(now + timedelta(minutes=m)).strftime("%Y%m%d") for m in (-1, 0, 1)}
