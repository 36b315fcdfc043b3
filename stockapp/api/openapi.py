"""The OpenAPI 3.1 document of API v1, generated: the schemas are the contracts' (pydantic's
JSON Schema), the operations come from the short table below, and the roles from the views
(``requires``). A test checks that the document and the routes list the same operations.
"""

import copy
import re
from dataclasses import dataclass
from functools import cache

from flask import current_app, jsonify
from pydantic.json_schema import models_json_schema

from ..contracts import (
    accounts,
    catalogue,
    imports,
    movements,
    moves,
    orders,
    purchasing,
    returns,
    stock,
    supplier_returns,
    transfers,
    warehouses,
)
from ..contracts.shared import Problem
from ..models import Role
from ..models.ledger import MAX_ID
from . import api

REF = "#/components/schemas/{model}"
# What each error status means here; every error is application/problem+json.
ERRORS = {
    400: "The body is not a JSON object",
    401: "No valid API token",
    403: "The token's role (or the warehouses its user works in) does not allow this",
    404: "Not found",
    405: "Method not allowed",
    409: "Not allowed in the document's state, or stock is short",
    413: "The body is too large",
    422: "Some fields need attention (errors names each by its path)",
}
ROLES = {
    Role.VIEWER: "Any signed-in role.",
    Role.CLERK: "Clerk or manager.",
    Role.MANAGER: "Manager only.",
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Sent again with the same request, returns the first result and posts nothing.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    answer: tuple[int, type]
    body: type | None = None
    query: type | None = None
    keyed: bool = True  # takes an Idempotency-Key (every POST but /products and imports)
    upload: str | None = None  # the body is multipart/form-data with this file field
    errors: tuple[int, ...] = ()  # beyond those the shape of the operation implies


OPERATIONS = [
    Operation("post", "/products", "Create a style with its colour × size variants.",
              (201, catalogue.Product), catalogue.NewProduct, keyed=False),
    Operation("get", "/products/{code}", "A style with every variant's stock.",
              (200, catalogue.Product), errors=(404,)),
    Operation("get", "/products", "Styles by code, keyset-paginated (cursor: the last code "
              "of the previous page); active=false lists the archived ones.",
              (200, catalogue.ProductPage), query=catalogue.ProductsQuery),
    Operation("patch", "/products/{code}", "Change a style's name, category, unit or prices; "
              "active archives (refused while it holds stock) or restores.",
              (200, catalogue.Product), catalogue.ProductChange, keyed=False,
              errors=(404, 409)),
    Operation("post", "/products/{code}/variants", "Add sizes (each in its size group's "
              "order) or colours to a style.", (201, catalogue.Product),
              catalogue.NewVariants, keyed=False, errors=(404,)),
    Operation("patch", "/variants/{sku}", "A variant's barcode, low-stock threshold (null: "
              "none) or archived state.", (200, catalogue.Variant), catalogue.VariantChange,
              keyed=False, errors=(404, 409)),
    Operation("get", "/stock", "Stock of one variant, per location.",
              (200, stock.Stock), query=stock.StockQuery, errors=(404,)),
    Operation("post", "/inbound", "Receive goods (a receipt that posts at once).",
              (201, stock.PostedReceipt), stock.Inbound),
    Operation("post", "/stocktake", "Record counts; 409 with the current figures if an "
              "expected differs from on hand now.", (201, stock.PostedStocktake),
              stock.Stocktake, errors=(409,)),
    Operation("get", "/movements", "Movements, newest first, keyset-paginated: one "
              "product's (sku) for clerks, every product's for managers.",
              (200, movements.MovementPage), query=movements.MovementsQuery),
    Operation("post", "/documents/{document_id}/reverse", "Reverse (冲销) a posted receipt, "
              "stocktake, bin move, write-off or return to the supplier, with a reason: the "
              "opposite of each of its "
              "movements; 409 when it cannot be (not posted, already reversed, its pieces "
              "no longer where it put them).", (201, movements.Reversed), movements.Reversing,
              errors=(409,)),
    Operation("post", "/orders", "Create an allocation order (配货单); it reserves its lines.",
              (201, orders.OrderRef), orders.NewOrder, errors=(409,)),
    Operation("get", "/orders/{order_id}", "An order with its lines and shortfalls (in its "
              "warehouse).", (200, orders.Order), errors=(403,)),
    Operation("post", "/orders/{order_id}/picks", "Record picked quantities (each replaces "
              "the line's picked); the first moves the order to picking.",
              (200, orders.Picks), orders.NewPicks, errors=(409,)),
    Operation("post", "/orders/{order_id}/complete", "配货完成: stock falls by the picked "
              "quantities; the rest is short-shipped.", (200, orders.Completed), errors=(409,)),
    Operation("post", "/orders/{order_id}/cancel", "Cancel: an open order releases its "
              "reservation; a completed one (manager, with a reason) is reversed.",
              (200, orders.Cancelled), orders.Cancel, errors=(409,)),
    Operation("post", "/returns", "Book a return (退货): resellable pieces go back into "
              "stock, damaged ones into the warehouse's quarantine bin (written off where it "
              "has none).", (201, returns.PostedReturn),
              returns.NewReturn, errors=(409,)),
    Operation("post", "/moves", "Move stock between two locations (bins) of one warehouse "
              "(移库), posted at once.", (201, moves.PostedMove), moves.NewMove, errors=(409,)),
    Operation("post", "/write-offs", "Submit a write-off (报损) out of one location; it posts "
              "at once for a manager or when the settings ask no approval.",
              (201, moves.WriteOffResult), moves.NewWriteOff, errors=(409,)),
    Operation("get", "/write-offs/{write_off_id}", "A write-off with its lines and who did "
              "what.", (200, moves.WriteOff)),
    Operation("post", "/write-offs/{write_off_id}/approve", "Approve a write-off: its pieces "
              "leave stock.", (200, moves.WriteOffResult), errors=(409,)),
    Operation("post", "/write-offs/{write_off_id}/reject", "Reject a write-off, with a reason; "
              "nothing posts.", (200, moves.WriteOffResult), purchasing.Rejection,
              errors=(409,)),
    Operation("post", "/supplier-returns", "Submit a return to the supplier (退供应商) out "
              "of bins of one warehouse (quarantine ones included), against one of the "
              "supplier's purchase orders or none; it posts at once for a manager or when "
              "the settings ask no approval of write-offs.",
              (201, supplier_returns.SupplierReturnResult), supplier_returns.NewSupplierReturn,
              errors=(409,)),
    Operation("get", "/supplier-returns/{supplier_return_id}", "A return to the supplier "
              "with its lines and who did what.", (200, supplier_returns.SupplierReturn)),
    Operation("post", "/supplier-returns/{supplier_return_id}/approve", "Approve a return "
              "to the supplier: its pieces leave their bins.",
              (200, supplier_returns.SupplierReturnResult), errors=(409,)),
    Operation("post", "/supplier-returns/{supplier_return_id}/reject", "Reject a return to "
              "the supplier, with a reason; nothing posts.",
              (200, supplier_returns.SupplierReturnResult), purchasing.Rejection,
              errors=(409,)),
    Operation("post", "/suppliers", "Create a supplier.", (201, purchasing.Supplier),
              purchasing.NewSupplier),
    Operation("get", "/suppliers", "Every supplier.", (200, purchasing.SupplierList)),
    Operation("post", "/transfers", "Create a draft transfer (调拨) between two warehouses "
              "the caller works in.", (201, transfers.TransferState), transfers.NewTransfer,
              errors=(403,)),
    Operation("get", "/transfers/{transfer_id}", "A transfer: state, lines with shipped, "
              "received, damaged, decided and in transit.", (200, transfers.TransferState),
              errors=(403,)),
    Operation("post", "/transfers/{transfer_id}/ship", "Ship from the source: stock leaves "
              "its bins into in transit (在途).", (200, transfers.TransferState),
              errors=(409,)),
    Operation("post", "/transfers/{transfer_id}/receive", "Receive at the destination: "
              "short, damaged and reasons per line; closes if nothing is left in transit.",
              (200, transfers.TransferState), transfers.Receipt, errors=(409,)),
    Operation("post", "/transfers/{transfer_id}/decide", "A manager's decision per line "
              "left in transit: write off, or return to the source.",
              (200, transfers.TransferState), transfers.Decisions, errors=(409,)),
    Operation("post", "/transfers/{transfer_id}/cancel", "Cancel a draft, or a shipped "
              "transfer (its goods go back to the source).", (200, transfers.TransferState),
              errors=(409,)),
    Operation("post", "/purchase-orders", "Create a purchase order (采购单), placed unless "
              "place is false.", (201, purchasing.PurchaseOrderRef),
              purchasing.NewPurchaseOrder),
    Operation("get", "/purchase-orders", "Purchase orders, newest first, with their totals.",
              (200, purchasing.PurchaseOrderPage), query=purchasing.PurchaseOrdersQuery),
    Operation("get", "/purchase-orders/{po_id}", "A purchase order: lines, what was "
              "received and its receipts.", (200, purchasing.PurchaseOrder)),
    Operation("post", "/purchase-orders/{po_id}/place", "Place a draft purchase order.",
              (200, purchasing.PurchaseOrderRef), errors=(409,)),
    Operation("post", "/purchase-orders/{po_id}/close", "Close a purchase order: what has "
              "not come is cancelled.", (200, purchasing.PurchaseOrderRef), errors=(409,)),
    Operation("post", "/receipts", "Record what arrived (入库单), against a purchase order "
              "or not; submit to ask for approval.", (201, purchasing.ReceiptResult),
              purchasing.NewReceipt, errors=(409,)),
    Operation("get", "/receipts/{receipt_id}", "A receipt with its lines and who did what.",
              (200, purchasing.Receipt)),
    Operation("post", "/receipts/{receipt_id}/submit", "Submit a draft receipt (a "
              "manager's posts at once).", (200, purchasing.Decided), errors=(409,)),
    Operation("post", "/receipts/{receipt_id}/approve", "Approve a receipt: it posts stock.",
              (200, purchasing.Decided), errors=(409,)),
    Operation("post", "/receipts/{receipt_id}/reject", "Reject a receipt, with a reason.",
              (200, purchasing.Decided), purchasing.Rejection, errors=(409,)),
    Operation("get", "/users", "Users in the order they were made, with their last sign-in.",
              (200, accounts.UserPage), query=accounts.UsersQuery),
    Operation("post", "/users", "Add a user with a first password, which they replace at "
              "their first sign-in in the browser.", (201, accounts.User), accounts.NewUser,
              keyed=False),
    Operation("patch", "/users/{name}", "Change a user's role, state (active), display name "
              "or password (a new first password); the last active manager stays one.",
              (200, accounts.User), accounts.UserChange, errors=(409,)),
    Operation("get", "/audit", "The audit trail (操作日志), newest first: who changed what "
              "that is not stock, before and after.", (200, accounts.AuditPage),
              query=accounts.AuditQuery),
    Operation("get", "/warehouses", "The warehouses the caller works in, with their "
              "locations and stock on hand.", (200, warehouses.WarehouseList)),
    Operation("post", "/warehouses", "Add a warehouse (仓库) with its default location.",
              (201, warehouses.Warehouse), warehouses.NewWarehouse, keyed=False),
    Operation("patch", "/warehouses/{code}", "Rename a warehouse; active deactivates "
              "(refused for MAIN, or while it holds stock, an open receipt or a transfer "
              "not closed) or reactivates.", (200, warehouses.Warehouse),
              warehouses.WarehouseChange, errors=(403, 409)),
    Operation("get", "/warehouses/{code}/locations", "A warehouse's locations (货位) with "
              "the stock in each.", (200, warehouses.LocationList), errors=(403,)),
    Operation("post", "/warehouses/{code}/locations", "Add a location to a warehouse.",
              (201, warehouses.Location), warehouses.NewLocation, keyed=False,
              errors=(403, 409)),
    Operation("post", "/imports", "Upload a sheet of styles and opening stock (.xlsx or "
              ".csv, the template's layout): checked, kept, nothing imported yet; the "
              "preview names every error by row and column.", (201, imports.ImportPreview),
              keyed=False, upload="sheet"),
    Operation("get", "/imports/{import_id}", "An upload's preview, errors, and state.",
              (200, imports.ImportPreview)),
    Operation("post", "/imports/{import_id}/confirm", "Import a ready upload once: its "
              "styles, and its opening stock (期初库存) as one document.",
              (200, imports.ImportPreview), keyed=False, errors=(409, 422)),
]  # fmt: skip


@api.get("/openapi.json")
def openapi_document():
    return jsonify(document())


@cache
def document() -> dict:
    schemas = _schemas()
    views = _views()
    paths: dict[str, dict] = {"/openapi.json": {"get": {
        "summary": "This document.",
        "security": [],
        "responses": {"200": {"description": "The OpenAPI 3.1 document",
                               "content": {"application/json": {"schema": {"type": "object"}}}}},
    }}}  # fmt: skip
    for operation in OPERATIONS:
        view = views[(operation.method, operation.path)]
        paths.setdefault(operation.path, {})[operation.method] = _operation(
            operation, view, schemas
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "StockApp API",
            "version": "1",
            "description": "Stock keeping for garment warehouses. Authenticate with "
            "`Authorization: Bearer <token>` (flask --app app create-token NAME). "
            "Errors are application/problem+json.",
        },
        "servers": [{"url": api.url_prefix}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
        },
    }


def _operation(operation: Operation, view, schemas: dict) -> dict:
    role = getattr(view, "required_role", Role.VIEWER)
    status, answer = operation.answer
    errors = {401, 405, *operation.errors}
    if role is not Role.VIEWER:
        errors.add(403)
    parameters = [_path_parameter(name) for name in re.findall(r"{(\w+)}", operation.path)]
    if parameters:
        errors.add(404)
    if operation.query is not None:
        parameters += _query_parameters(schemas[operation.query.__name__])
        errors.add(422)
    if operation.method == "post" and operation.keyed:
        parameters.append(IDEMPOTENCY_KEY)
        errors.add(422)
    if operation.body is not None:
        errors.update({400, 413, 422})
    if operation.upload is not None:
        errors.update({413, 422})
    found = {
        "summary": f"{operation.summary} {ROLES[role]}",
        "operationId": view.__name__,
        "responses": {
            str(status): {"description": answer.__doc__ or answer.__name__, "content": {
                "application/json": {"schema": {"$ref": REF.format(model=answer.__name__)}}}},
            **{str(code): _problem(code) for code in sorted(errors)},
        },
    }  # fmt: skip
    if parameters:
        found["parameters"] = parameters
    if operation.body is not None:
        # Shown whole where it is used (and named in components): every field at its path.
        found["requestBody"] = {
            "required": operation.body is not orders.Cancel,  # cancelling needs no reason
            "content": {"application/json": {"schema": schemas[operation.body.__name__]}},
        }
    if operation.upload is not None:
        upload = {"type": "object", "required": [operation.upload], "properties": {
            operation.upload: {"type": "string", "format": "binary"}}}  # fmt: skip
        found["requestBody"] = {
            "required": True,
            "content": {"multipart/form-data": {"schema": upload}},
        }
    return found


def _problem(status: int) -> dict:
    return {
        "description": ERRORS[status],
        "content": {"application/problem+json": {"schema": {"$ref": REF.format(model="Problem")}}},
    }


def _path_parameter(name: str) -> dict:
    schema = {"type": "string", "minLength": 1} if name in ("code", "name") else {
        "type": "integer", "minimum": 1, "maximum": MAX_ID}  # fmt: skip
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query_parameters(schema: dict) -> list[dict]:
    required = set(schema.get("required", ()))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": field}
        for name, field in schema["properties"].items()
    ]


def _schemas() -> dict:
    """Every contract's JSON Schema by name: bodies and queries whole (their lines inlined),
    answers with references to the models they hold."""
    requests = {m for op in OPERATIONS for m in (op.body, op.query) if m is not None}
    answers = {op.answer[1] for op in OPERATIONS} | {Problem}
    _, found = models_json_schema(
        [(model, "serialization") for model in sorted(answers, key=_name)],
        ref_template=REF,
    )
    schemas = found["$defs"]
    for model in requests:
        schema = model.model_json_schema(mode="validation")
        schemas[model.__name__] = _inline(schema, schema.pop("$defs", {}))
    return dict(sorted(schemas.items()))


def _inline(node, defs: dict):
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(copy.deepcopy(defs[node["$ref"].rsplit("/", 1)[1]]), defs)
        return {key: _inline(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(value, defs) for value in node]
    return node


def _name(model) -> str:
    return model.__name__


def _views() -> dict[tuple[str, str], object]:
    """(method, path) → the view that serves it, from the app's routes."""
    views = {}
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                views[(method.lower(), path.removeprefix(api.url_prefix))] = (
                    current_app.view_functions[rule.endpoint]
                )
    return views
