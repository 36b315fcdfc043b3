"""The OpenAPI 3 document of API v1. A test checks it lists every route."""

from flask import url_for


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


PROBLEM = {"$ref": "#/components/responses/Problem"}
IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Sent again with the same request, returns the first result and posts nothing.",
    "schema": {"type": "string", "maxLength": 255},
}
ERRORS = {str(s): PROBLEM for s in (400, 401, 403, 404, 409, 413, 422)}

SCHEMAS = {
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details, as application/problem+json.",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {
                "type": "object",
                "description": "Field path (e.g. lines[0].qty) → message.",
                "additionalProperties": {"type": "string"},
            },
            "shortages": {"type": "array", "items": {"type": "object"}},
            "differences": {
                "type": "array",
                "description": "Stocktake: lines whose expected no longer matches on hand.",
                "items": {
                    "type": "object",
                    "properties": {
                        "sku": {"type": "string"},
                        "expected": {"type": "integer"},
                        "on_hand": {"type": "integer"},
                    },
                },
            },
        },
        "required": ["title", "status"],
    },
    "Variant": {
        "type": "object",
        "properties": {
            "sku": {"type": "string"},
            "barcode": {"type": "string"},
            "size": {"type": "string"},
            "color": {"type": "string", "nullable": True},
            "archived": {"type": "boolean"},
            "low_stock_threshold": {"type": "integer", "nullable": True},
            "on_hand": {"type": "integer"},
            "reserved": {"type": "integer"},
            "available": {"type": "integer"},
        },
    },
    "Product": {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "category": {"type": "string"},
            "unit": {"type": "string"},
            "cost_price": {"type": "string", "nullable": True},
            "sale_price": {"type": "string", "nullable": True},
            "active": {"type": "boolean"},
            "sizes": {"type": "array", "items": {"type": "string"}},
            "colors": {"type": "array", "items": {"type": "string"}},
            "variants": {"type": "array", "items": _ref("Variant")},
        },
    },
    "NewProduct": {
        "type": "object",
        "required": ["code", "name", "sizes"],
        "properties": {
            "code": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"},
            "name": {"type": "string", "maxLength": 120},
            "sizes": {"type": "array", "items": {"type": "string", "maxLength": 20}, "minItems": 1},
            "colors": {"type": "array", "items": {"type": "string", "maxLength": 40}},
            "category": {"type": "string", "maxLength": 60},
            "unit": {"type": "string", "maxLength": 16},
            "cost_price": {"type": "string", "example": "59.90"},
            "sale_price": {"type": "string", "example": "99.00"},
            "barcodes": {
                "type": "array",
                "description": "Barcodes to use; other variants get an internal EAN-13.",
                "items": {
                    "type": "object",
                    "required": ["size", "barcode"],
                    "properties": {
                        "size": {"type": "string"},
                        "color": {"type": "string"},
                        "barcode": {"type": "string"},
                    },
                },
            },
        },
    },
    "Stock": {
        "type": "object",
        "properties": {
            "sku": {"type": "string"},
            "on_hand": {"type": "integer"},
            "reserved": {"type": "integer"},
            "available": {"type": "integer"},
            "locations": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"location": {"type": "string"}, "on_hand": {"type": "integer"}},
                },
            },
        },
    },
    "Movement": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "sku": {"type": "string"},
            "kind": {
                "type": "string",
                "enum": [
                    "inbound",
                    "stocktake",
                    "allocation",
                    "return",
                    "write_off",
                    "transfer_out",
                    "transfer_in",
                    "reversal",
                ],
            },
            "delta": {"type": "integer"},
            "balance_after": {"type": "integer"},
            "operator": {"type": "string"},
            "note": {"type": "string"},
            "document": {"type": "string", "nullable": True},
            "created_at": {"type": "string", "format": "date-time"},
            "reverses": {"type": "integer", "nullable": True},
        },
    },
    "Document": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "number": {"type": "string"},
            "kind": {"type": "string"},
            "status": {"type": "string"},
            "note": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "OrderRef": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "number": {"type": "string"},
            "status": {"type": "string", "enum": ["open", "picking", "completed", "cancelled"]},
        },
    },
    "NewOrder": {
        "type": "object",
        "required": ["number", "customer", "lines"],
        "properties": {
            "number": {"type": "string", "minLength": 1, "maxLength": 40},
            "customer": {"type": "string", "minLength": 1, "maxLength": 120},
            "note": {"type": "string", "maxLength": 500},
            "lines": {
                "type": "array",
                "minItems": 1,
                "maxItems": 1000,
                "description": "One line per variant: a SKU may not be listed twice.",
                "items": {
                    "type": "object",
                    "required": ["sku", "qty"],
                    "properties": {"sku": {"type": "string"}, "qty": _ref("Qty")},
                },
            },
        },
    },
    "Order": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "number": {"type": "string"},
            "customer": {"type": "string"},
            "note": {"type": "string"},
            "status": {"type": "string", "enum": ["open", "picking", "completed", "cancelled"]},
            "created_at": {"type": "string", "format": "date-time"},
            "completed_at": {"type": "string", "format": "date-time", "nullable": True},
            "cancelled_at": {"type": "string", "format": "date-time", "nullable": True},
            "cancel_reason": {"type": "string"},
            "lines": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "sku": {"type": "string"},
                        "ordered": {"type": "integer"},
                        "picked": {"type": "integer"},
                        "shipped": {"type": "integer"},
                        "returned": {"type": "integer"},
                        "short": {
                            "type": "integer",
                            "description": "Open or picking: what stock cannot cover after "
                            "older orders. Completed: ordered but not shipped.",
                        },
                    },
                },
            },
        },
    },
    "Picks": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "status": {"type": "string"},
            "lines": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "sku": {"type": "string"},
                        "ordered": {"type": "integer"},
                        "picked": {"type": "integer"},
                    },
                },
            },
        },
    },
    "Qty": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
    "Count": {"type": "integer", "minimum": 0, "maximum": 1_000_000},
}


def _lines(item: dict) -> dict:
    return {
        "type": "object",
        "required": ["lines"],
        "properties": {
            "lines": {"type": "array", "minItems": 1, "maxItems": 1000, "items": item},
            "note": {"type": "string", "maxLength": 500},
        },
    }


def _posted(name: str) -> dict:
    return {
        "type": "object",
        "properties": {
            name: _ref("Document"),
            "movements": {"type": "array", "items": _ref("Movement")},
        },
    }


def document() -> dict:
    # Imported here: that module builds on this one's helpers.
    from .openapi_purchasing import PURCHASING_SCHEMAS, purchasing_paths

    manager, clerk, anyone = "Manager only.", "Clerk or manager.", "Any signed-in role."
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "StockApp API",
            "version": "1",
            "description": "Stock keeping for garment warehouses. Authenticate with "
            "`Authorization: Bearer <token>` (flask --app app create-token NAME). "
            "Errors are application/problem+json.",
        },
        "servers": [{"url": url_for("api.openapi_document").rsplit("/", 1)[0]}],
        "security": [{"bearer": []}],
        "paths": {
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {"description": "OpenAPI 3 document"}},
                }
            },
            "/products": {
                "post": {
                    "summary": "Create a style with its colour × size variants. " + manager,
                    "requestBody": {"required": True, "content": _body(_ref("NewProduct"))},
                    "responses": {"201": _json(_ref("Product"), "Created"), **ERRORS},
                }
            },
            "/products/{code}": {
                "get": {
                    "summary": "A style with every variant's stock. " + anyone,
                    "parameters": [_path("code")],
                    "responses": {"200": _json(_ref("Product"), "The style"), **ERRORS},
                }
            },
            "/stock": {
                "get": {
                    "summary": "Stock of one variant, per location. " + anyone,
                    "parameters": [_query("sku", required=True)],
                    "responses": {"200": _json(_ref("Stock"), "Stock"), **ERRORS},
                }
            },
            "/inbound": {
                "post": {
                    "summary": "Receive goods (a receipt that posts at once). " + clerk,
                    "parameters": [IDEMPOTENCY],
                    "requestBody": {
                        "required": True,
                        "content": _body(
                            _lines(
                                {
                                    "type": "object",
                                    "required": ["sku", "qty"],
                                    "properties": {"sku": {"type": "string"}, "qty": _ref("Qty")},
                                }
                            )
                        ),
                    },
                    "responses": {"201": _json(_posted("receipt"), "Posted"), **ERRORS},
                }
            },
            "/stocktake": {
                "post": {
                    "summary": "Record counts; 409 with current figures if any expected "
                    "differs from on hand now. " + clerk,
                    "parameters": [IDEMPOTENCY],
                    "requestBody": {
                        "required": True,
                        "content": _body(
                            _lines(
                                {
                                    "type": "object",
                                    "required": ["sku", "counted", "expected"],
                                    "properties": {
                                        "sku": {"type": "string"},
                                        "counted": _ref("Count"),
                                        "expected": _ref("Count"),
                                    },
                                }
                            )
                        ),
                    },
                    "responses": {"201": _json(_posted("stocktake"), "Posted"), **ERRORS},
                }
            },
            "/movements": {
                "get": {
                    "summary": "Movements, newest first, keyset-paginated. " + clerk,
                    "parameters": [
                        _query("sku"),
                        _query("kind"),
                        {**_query("limit"), "schema": {"type": "integer", "maximum": 500}},
                        _query("cursor"),
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "items": {"type": "array", "items": _ref("Movement")},
                                    "next_cursor": {"type": "string", "nullable": True},
                                },
                            },
                            "A page of movements",
                        ),
                        **ERRORS,
                    },
                }
            },
            **_order_paths(clerk, manager, anyone),
            **purchasing_paths(clerk, manager, anyone),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {**SCHEMAS, **PURCHASING_SCHEMAS},
            "responses": {
                "Problem": {
                    "description": "An error",
                    "content": {"application/problem+json": {"schema": _ref("Problem")}},
                }
            },
        },
    }


def _order_paths(clerk: str, manager: str, anyone: str) -> dict:
    order_id = {
        "name": "order_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
    return {
        "/orders": {
            "post": {
                "summary": "Create an allocation order (配货单); it reserves its lines. " + clerk,
                "parameters": [IDEMPOTENCY],
                "requestBody": {"required": True, "content": _body(_ref("NewOrder"))},
                "responses": {"201": _json(_ref("OrderRef"), "Created"), **ERRORS},
            }
        },
        "/orders/{order_id}": {
            "get": {
                "summary": "An order with its lines and shortfalls. " + anyone,
                "parameters": [order_id],
                "responses": {"200": _json(_ref("Order"), "The order"), **ERRORS},
            }
        },
        "/orders/{order_id}/picks": {
            "post": {
                "summary": "Record picked quantities (each replaces the line's picked, "
                "0 … ordered); the first moves the order to picking. " + clerk,
                "parameters": [order_id, IDEMPOTENCY],
                "requestBody": {
                    "required": True,
                    "content": _body(
                        {
                            "type": "object",
                            "required": ["lines"],
                            "properties": {
                                "lines": {
                                    "type": "array",
                                    "minItems": 1,
                                    "maxItems": 1000,
                                    "items": {
                                        "type": "object",
                                        "required": ["sku", "picked"],
                                        "properties": {
                                            "sku": {"type": "string"},
                                            "picked": _ref("Count"),
                                        },
                                    },
                                }
                            },
                        }
                    ),
                },
                "responses": {"200": _json(_ref("Picks"), "Every line of the order"), **ERRORS},
            }
        },
        "/orders/{order_id}/complete": {
            "post": {
                "summary": "配货完成: stock falls by the picked quantities; the rest is "
                "short-shipped. 409 if already complete or stock is short. " + manager,
                "parameters": [order_id, IDEMPOTENCY],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "order": _ref("OrderRef"),
                                "document": _ref("Document"),
                                "movements": {"type": "array", "items": _ref("Movement")},
                            },
                        },
                        "Completed",
                    ),
                    **ERRORS,
                },
            }
        },
        "/orders/{order_id}/cancel": {
            "post": {
                "summary": "Cancel: an open order releases its reservation; a completed "
                "one (manager only, with a reason) is reversed, restoring its stock. " + clerk,
                "parameters": [order_id, IDEMPOTENCY],
                "requestBody": {
                    "required": False,
                    "content": _body(
                        {
                            "type": "object",
                            "properties": {"reason": {"type": "string", "maxLength": 500}},
                        }
                    ),
                },
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "order": _ref("OrderRef"),
                                "reversal": {
                                    **_posted("document"),
                                    "nullable": True,
                                    "description": "Null for an order that was not complete.",
                                },
                            },
                        },
                        "Cancelled",
                    ),
                    **ERRORS,
                },
            }
        },
        "/returns": {
            "post": {
                "summary": "Book a return (退货): resellable pieces go back into stock, "
                "damaged ones are written off at once. " + clerk,
                "parameters": [IDEMPOTENCY],
                "requestBody": {
                    "required": True,
                    "content": _body(_return_body()),
                },
                "responses": {"201": _json(_posted("return"), "Posted"), **ERRORS},
            }
        },
    }


def _return_body() -> dict:
    schema = _lines(
        {
            "type": "object",
            "required": ["sku", "qty"],
            "description": "A SKU may appear once per condition.",
            "properties": {
                "sku": {"type": "string"},
                "qty": _ref("Qty"),
                "condition": {
                    "type": "string",
                    "enum": ["resellable", "damaged"],
                    "default": "resellable",
                },
            },
        }
    )
    schema["properties"]["order"] = {
        "description": "The completed order it comes back from: its number, or its id.",
        "oneOf": [{"type": "string"}, {"type": "integer"}],
    }
    return schema


def _body(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _path(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _query(name: str, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "schema": {"type": "string"}}


from flask import jsonify  # noqa: E402

from . import api  # noqa: E402


@api.get("/openapi.json")
def openapi_document():
    return jsonify(document())
