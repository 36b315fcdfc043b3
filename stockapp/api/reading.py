"""Reading a request through its contract, the checks against the database that follow
(every bad field still named in one answer), and answering through a response model."""

from collections.abc import Callable, Iterable

from flask import Response, g, request

from .. import queries
from ..contracts.reading import invalid, read_json, read_query
from ..contracts.shared import Answer, Contract
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import Warehouse
from ..queries.moves import location_by_code, warehouse_id_by_code
from ..services import warehouses
from ..services.errors import InvalidInput


class Refusal:
    """The errors of one request by path: the contract's first, then the database's.

    ``finish()`` raises them together as one ``InvalidInput`` (422).
    """

    def __init__(self, errors: dict):
        self.errors = errors

    def fail(self, path: str, message) -> None:
        self.errors.setdefault(path, message)

    def finish(self) -> None:
        if self.errors:
            raise invalid(self.errors)

    def listed_twice(self, lines, key: Callable, message: Callable) -> None:
        """Fail each line whose ``key`` an earlier line had (lines with a bad key skipped)."""
        seen = set()
        for i, line in enumerate(lines or ()):
            found = None if line is None else key(line)
            if found is None:
                continue
            if found in seen:
                self.fail(f"lines[{i}].sku", message(*found))
            seen.add(found)

    def variant_ids(self, lines, *, known: dict[str, int] | None = None) -> dict[str, int]:
        """SKU → variant id for the lines' SKUs (``known`` first); names each unknown one."""
        known = known or {}
        skus = [line.sku for line in lines or () if line is not None and line.sku is not None]
        found = {**queries.variant_ids_by_sku(s for s in skus if s not in known), **known}
        for i, line in enumerate(lines or ()):
            if line is not None and line.sku is not None and line.sku not in found:
                self.fail(f"lines[{i}].sku", _l("Unknown SKU %(sku)s.", sku=line.sku))
        return found

    def places(self, warehouse: str, **named: str | None) -> tuple[int | None, list]:
        """The warehouse a body names by code (field ``warehouse``) and the locations it
        names by code in that warehouse (field → code; left out: None). A warehouse
        left out is the user's own (``warehouses.working_warehouse_id``), or None, for
        the service to choose, when the body names no location either. A name that
        finds nothing is a failed field."""
        if not warehouse and not any(named.values()):
            return None, [None] * len(named)
        warehouse_id = None
        if warehouse:
            warehouse_id = warehouse_id_by_code(warehouse)
            if warehouse_id is None:
                self.fail("warehouse", _l("No warehouse %(code)s.", code=warehouse))
        else:
            try:
                warehouse_id = warehouses.working_warehouse_id(g.api_user.id)
            except InvalidInput as refused:
                self.fail("warehouse", refused.errors["warehouse"])
        found, by_code = [], {}  # a code named on many lines is looked up once
        for field, code in named.items():
            location = None
            if code and warehouse_id is not None:
                if code.upper() not in by_code:
                    by_code[code.upper()] = location_by_code(code, warehouse_id)
                location = by_code[code.upper()]
                if location is None:
                    code_of = warehouse or db.session.get(Warehouse, warehouse_id).code
                    message = _l("No location %(code)s in warehouse %(warehouse)s.", code=code,
                                 warehouse=code_of)  # fmt: skip
                    self.fail(field, message)
            found.append(location)
        return warehouse_id, found

    def lookup(self, field: str, value, find: Callable, missing: Callable) -> int | None:
        """The id ``find(value)`` gives for a field that names a row, or a failed field."""
        if value is None:
            return None
        found = find(value)
        if found is None:
            self.fail(field, missing(value))
        return found


def body(model: type[Contract], *, optional: bool = False) -> tuple[Contract, Refusal]:
    """The request's JSON body as ``model`` (partial when it has errors), and its errors."""
    raw = request.get_data()
    found, errors = read_json(model, raw if raw or not optional else b"{}")
    return found, Refusal(errors)


def query(model: type[Contract]) -> Contract:
    return read_query(model, request.args)


def unique_skus(refusal: Refusal, lines) -> None:
    if not refusal.errors and len({line.sku for line in lines}) == len(lines):
        return  # the usual case, at the cost of one set
    refusal.listed_twice(
        lines,
        key=lambda line: None if line.sku is None else (line.sku,),
        message=lambda sku: _l("%(sku)s is listed twice.", sku=sku),
    )


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


def answer(model: type[Answer], data, status: int = 200, hide: set[str] = frozenset()) -> Response:
    """``data`` through the response model: what is sent is what the document says
    (serialised by pydantic-core, not validated again by ``jsonify``), less the fields
    in ``hide``, which the caller's role may not read."""
    body = model.model_validate(data).model_dump_json(exclude=hide)
    return Response(body, status=status, mimetype="application/json")


def posted_movements(result: dict, variant_ids: dict[str, int]) -> list[dict]:
    """The movements of a service's ``{"document", "movements"}`` result, with SKUs."""
    skus = {variant_id: sku for sku, variant_id in variant_ids.items()}
    number = result["document"]["number"]
    return [
        {
            **movement,
            "sku": skus[movement["variant_id"]],
            "operator": g.api_user.username,
            "document": number,
        }
        for movement in result["movements"]
    ]


def posted(result: dict, variant_ids: dict[str, int], name: str = "document") -> dict:
    """A posting's answer: ``{name: document, movements: [...]}``."""
    return {name: result["document"], "movements": posted_movements(result, variant_ids)}


def by_sku(lines: Iterable, variant_ids: dict[str, int]):
    """Each line with its variant id."""
    return ((variant_ids[line.sku], line) for line in lines)


def placed_movements(
    result: dict, variant_ids: dict[str, int], codes: dict[int, str]
) -> list[dict]:
    """``posted_movements`` with each movement's location code (``codes``: by location id)."""
    return [
        {**movement, "location": codes[movement["location_id"]]}
        for movement in posted_movements(result, variant_ids)
    ]


def reversal_ref(reversal: dict | None) -> dict | None:
    """The reversal of a document (``queries.movements.reversal_of``) as the API shows it."""
    if reversal is None:
        return None
    return {
        "number": reversal["number"],
        "reason": reversal["reason"],
        "created_at": reversal["created_at"].isoformat(),
        "created_by": reversal["operator"],
    }
