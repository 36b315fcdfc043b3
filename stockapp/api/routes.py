"""The API endpoints. Each parses its input, calls one service, renders the result."""

import re
from dataclasses import dataclass
from functools import wraps

from flask import g, jsonify, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from .. import queries
from ..database import begin_request_write
from ..extensions import db
from ..http_errors import TITLES
from ..models import MovementKind, Role, Style
from ..services import accounts, catalogue, counting, receiving
from ..services.errors import DomainError, InvalidInput, MalformedRequest, NotFound
from . import api, openapi
from .problems import from_domain_error, from_http_error, problem
from .schemas import MAX_NOTE, Reader, check_text

# The API's field names where the catalogue's differ.
API_FIELD = {"colours": "colors"}
# A movement id: ASCII digits that fit a 64-bit integer.
CURSOR = re.compile(r"[0-9]{1,18}")


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
    """Refuse (403) a token whose user's role is below ``role``."""

    def decorate(view):
        @wraps(view)
        def checked(*args, **kwargs):
            if g.api_user.role.rank < role.rank:
                return problem(
                    403, TITLES[403], _l("This needs the %(role)s role.", role=role.value)
                )
            return view(*args, **kwargs)

        return checked

    return decorate


@api.errorhandler(DomainError)
def domain_error(error: DomainError):
    return from_domain_error(error)


@api.errorhandler(HTTPException)
def http_error(error: HTTPException):
    return from_http_error(error)


@api.get("/openapi.json")
def openapi_document():
    return jsonify(openapi.document())


@api.post("/products")
@requires(Role.MANAGER)
def create_product():
    reader = Reader(json_body())
    fields = {
        "code": reader.text("code", max_length=32),
        "name": reader.text("name", max_length=120),
        "sizes": reader.labels("sizes", required=True),
        "colours": reader.labels("colors", required=False),
        "category": reader.text("category", max_length=60, required=False),
        "unit": reader.text("unit", max_length=16, required=False),
        "cost_price": reader.price("cost_price"),
        "sale_price": reader.price("sale_price"),
        "barcodes": _barcodes(reader),
    }
    # Name every bad field at once: the catalogue's own checks join the reader's.
    checked = ("code", "name", "sizes", "colours", "barcodes")
    for name, message in catalogue.style_errors(*(fields[f] for f in checked)).items():
        reader.fail(API_FIELD.get(name, name), message)
    reader.finish()
    try:
        style_id = catalogue.create_style(**fields)
    except InvalidInput as refused:
        refused.errors = {API_FIELD.get(n, n): message for n, message in refused.errors.items()}
        raise
    return jsonify(_product(db.session.get(Style, style_id))), 201


@api.get("/products/<code>")
def get_product(code: str):
    style = queries.style_by_code(code)
    if style is None:
        raise NotFound(_l("No product with style code %(code)s.", code=code))
    return jsonify(_product(style))


@api.get("/stock")
def get_stock():
    sku = request.args.get("sku", "")
    if not sku:
        raise InvalidInput(
            _l("Some fields need attention."), {"sku": _l("This field is required.")}
        )
    variant = queries.variant_by_sku(sku)
    if variant is None:
        raise NotFound(_l("No variant with SKU %(sku)s.", sku=sku))
    level = queries.stock_levels([variant.id])[variant.id]
    return jsonify(
        {"sku": sku, **level.as_dict(), "locations": queries.stock_by_location(variant.id)}
    )


@api.post("/inbound")
@requires(Role.CLERK)
def post_inbound():
    lines, note, variant_ids = _stock_lines({"qty": 1})
    result = receiving.receive(
        lines=lines, operator_id=g.api_user.id, note=note, idempotency_key=idempotency_key()
    )
    return _posted("receipt", result, variant_ids)


@api.post("/stocktake")
@requires(Role.CLERK)
def post_stocktake():
    lines, note, variant_ids = _stock_lines({"counted": 0, "expected": 0})
    result = counting.count(
        lines=[counting.CountLine(*line) for line in lines],
        operator_id=g.api_user.id,
        note=note,
        idempotency_key=idempotency_key(),
    )
    return _posted("stocktake", result, variant_ids)


@api.get("/movements")
@requires(Role.CLERK)
def list_movements():
    reader = Reader(dict(request.args))
    kind = request.args.get("kind") or None
    if kind is not None and kind not in set(MovementKind):
        reader.fail(
            "kind", _l("Unknown kind. Use one of: %(kinds)s.", kinds=", ".join(MovementKind))
        )
    limit = reader.integer(
        _as_int(request.args.get("limit", "50")), "limit", minimum=1, maximum=500
    )
    cursor = request.args.get("cursor") or None
    if cursor is not None and not CURSOR.fullmatch(cursor):
        reader.fail("cursor", _l("Use the next_cursor of the previous page."))
    reader.finish()
    found = queries.movements.page(
        queries.movements.Criteria(search=request.args.get("sku") or "", kind=kind or "all"),
        before=int(cursor) if cursor else None,
        limit=limit,
    )
    fields = ("id", "sku", "kind", "delta", "balance_after", "operator", "note", "reverses")
    items = [
        {
            **{name: row[name] for name in fields},
            "document": row["document"]["number"] if row["document"] else None,
            "created_at": row["created_at"].isoformat(),
        }
        for row in found.rows
    ]
    next_cursor = str(found.next_before) if found.next_before is not None else None
    return jsonify({"items": items, "next_cursor": next_cursor})


def json_body():
    """The request's JSON; malformed JSON is a 400 problem, not a 500."""
    body = request.get_json(force=True, silent=True)
    if body is None:
        raise MalformedRequest(_l("The request body is not valid JSON."))
    return body


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 0 < len(key) <= 255 or not key.isascii() or not key.isprintable():
        raise InvalidInput(
            _l("Some fields need attention."),
            {"Idempotency-Key": _l("Use 1–255 printable ASCII characters.")},
        )
    return key


def _stock_lines(quantities: dict[str, int]):
    """Read ``{lines: [{sku, …quantities}], note}`` with every bad field named.

    ``quantities`` maps each quantity field to its minimum. Returns the lines as
    ``(variant_id, *quantities)``, the note, and the SKU → variant id map.
    """
    reader = Reader(json_body())
    parsed = [
        (
            path,
            line,
            [reader.integer(line.get(f), f"{path}.{f}", minimum=m) for f, m in quantities.items()],
        )
        for path, line in reader.lines()
    ]
    note = reader.text("note", max_length=MAX_NOTE, required=False)
    variant_ids = resolve_skus(reader, [(path, line) for path, line, _ in parsed])
    reader.finish()
    lines = [(variant_ids[line["sku"]], *values) for _, line, values in parsed]
    return lines, note, variant_ids


def resolve_skus(reader: Reader, lines) -> dict[str, int]:
    """Map each line's SKU to its variant id, failing the lines whose SKU is unknown."""
    variant_ids = queries.variant_ids_by_sku(line["sku"] for _, line in lines)
    for path, line in lines:
        if line["sku"] not in variant_ids:
            reader.fail(f"{path}.sku", _l("Unknown SKU %(sku)s.", sku=line["sku"]))
    return variant_ids


def _barcodes(reader: Reader) -> dict[tuple[str, str], str]:
    """``barcodes: [{size, color?, barcode}]`` as {(colour, size): barcode}."""
    value = reader.body.get("barcodes")
    if value is None:
        return {}
    if not isinstance(value, list):
        reader.fail("barcodes", _l("Give a list of {size, color, barcode}."))
        return {}
    found = {}
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            reader.fail(f"barcodes[{i}]", _l("Give a list of {size, color, barcode}."))
            continue
        size = check_text(
            reader, f"barcodes[{i}].size", item.get("size"), max_length=20, required=True
        )
        colour = check_text(
            reader, f"barcodes[{i}].color", item.get("color", ""), max_length=40, required=False
        )
        code = check_text(
            reader, f"barcodes[{i}].barcode", item.get("barcode"), max_length=32, required=True
        )
        if (colour, size) in found:
            reader.fail(f"barcodes[{i}]", _l("This size and colour already has a barcode above."))
        found[(colour, size)] = code
    return found


def _product(style: Style) -> dict:
    levels = queries.stock_levels(v.id for v in style.variants)
    return {
        "code": style.code,
        "name": style.name,
        "category": style.category,
        "unit": style.unit,
        "cost_price": None if style.cost_price is None else str(style.cost_price),
        "sale_price": None if style.sale_price is None else str(style.sale_price),
        "active": style.active,
        "sizes": style.sizes,
        "colors": [c for c in style.colours if c],
        "variants": [
            {
                "sku": v.sku,
                "barcode": v.barcode,
                "size": v.size,
                "color": v.colour or None,
                "archived": v.archived,
                "low_stock_threshold": v.low_stock_threshold,
                **levels[v.id].as_dict(),
            }
            for v in style.variants
        ],
    }


def _posted(name: str, result: dict, variant_ids: dict[str, int]):
    """201 with the posted document and its movements, as the service returned them."""
    return jsonify(
        {name: result["document"], "movements": posted_movements(result, variant_ids)}
    ), 201


def posted_movements(result: dict, variant_ids: dict[str, int]) -> list[dict]:
    """The movements of a service's ``{"document", "movements"}`` result, with SKUs."""
    skus = {variant_id: sku for sku, variant_id in variant_ids.items()}
    document = result["document"]
    return [
        {
            "id": m["id"],
            "sku": skus[m["variant_id"]],
            "kind": m["kind"],
            "delta": m["delta"],
            "balance_after": m["balance_after"],
            "operator": g.api_user.username,
            "note": m["note"],
            "document": document["number"],
            "created_at": m["created_at"],
            "reverses": m["reverses"],
        }
        for m in result["movements"]
    ]


def _as_int(text: str):
    try:
        return int(text)
    except ValueError:
        return text
