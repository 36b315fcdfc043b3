"""The OpenAPI paths and schemas of suppliers, purchase orders and receipts
(``api/purchasing.py``); ``openapi.document()`` merges them into the document."""

from .openapi import ERRORS, IDEMPOTENCY, _body, _json, _query, _ref

PO_STATUSES = ["draft", "ordered", "partially_received", "received", "closed"]
RECEIPT_STATUSES = ["draft", "submitted", "posted", "rejected", "reversed"]
REASONS = ["short", "over", "damaged", "wrong", "other"]
MONEY = {"type": "string", "example": "59.90", "description": "Two decimals, 0 or more."}
NULLABLE_MONEY = {**MONEY, "nullable": True}
REF = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
}

PURCHASING_SCHEMAS = {
    "Supplier": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "contact": {"type": "string"},
            "phone": {"type": "string"},
            "note": {"type": "string"},
        },
    },
    "NewSupplier": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {
                "type": "string",
                "minLength": 1,
                "maxLength": 120,
                "description": "Unique, ignoring case.",
            },
            "contact": {"type": "string", "maxLength": 80},
            "phone": {"type": "string", "maxLength": 40},
            "note": {"type": "string", "maxLength": 500},
        },
    },
    "PurchaseOrderRef": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "number": {"type": "string"},
            "status": {"type": "string", "enum": PO_STATUSES},
        },
    },
    "NewPurchaseOrder": {
        "type": "object",
        "required": ["number", "supplier", "lines"],
        "properties": {
            "number": {"type": "string", "minLength": 1, "maxLength": 40},
            "supplier": {"type": "integer", "description": "The supplier's id."},
            "expected_on": {"type": "string", "format": "date", "example": "2025-03-31"},
            "note": {"type": "string", "maxLength": 500},
            "place": {
                "type": "boolean",
                "default": True,
                "description": "True: ordered at once; false: kept as a draft.",
            },
            "lines": {
                "type": "array",
                "minItems": 1,
                "maxItems": 1000,
                "description": "One line per variant: a SKU may not be listed twice.",
                "items": {
                    "type": "object",
                    "required": ["sku", "qty"],
                    "properties": {
                        "sku": {"type": "string"},
                        "qty": _ref("Qty"),
                        "unit_cost": MONEY,
                    },
                },
            },
        },
    },
    "PurchaseOrderSummary": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "number": {"type": "string"},
            "supplier": REF,
            "status": {"type": "string", "enum": PO_STATUSES},
            "expected_on": {"type": "string", "format": "date", "nullable": True},
            "created_at": {"type": "string", "format": "date-time"},
            "ordered": {"type": "integer"},
            "received": {"type": "integer"},
            "cancelled": {"type": "integer"},
            "remaining": {"type": "integer"},
            "value": {**MONEY, "description": "Ordered pieces × unit cost, where known."},
        },
    },
    "PurchaseOrder": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "number": {"type": "string"},
            "supplier": REF,
            "expected_on": {"type": "string", "format": "date", "nullable": True},
            "status": {"type": "string", "enum": PO_STATUSES},
            "note": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "closed_at": {"type": "string", "format": "date-time", "nullable": True},
            "lines": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "sku": {"type": "string"},
                        "ordered": {"type": "integer"},
                        "received": {
                            "type": "integer",
                            "description": "Good pieces of approved receipts.",
                        },
                        "remaining": {
                            "type": "integer",
                            "description": "max(ordered − received − cancelled, 0).",
                        },
                        "cancelled": {
                            "type": "integer",
                            "description": "The remainder, recorded when the PO was closed.",
                        },
                        "unit_cost": NULLABLE_MONEY,
                    },
                },
            },
            "unexpected": {
                "type": "array",
                "description": "Variants received on approved receipts but not on the PO.",
                "items": {
                    "type": "object",
                    "properties": {"sku": {"type": "string"}, "received": {"type": "integer"}},
                },
            },
            "receipts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "number": {"type": "string"},
                        "status": {"type": "string", "enum": RECEIPT_STATUSES},
                    },
                },
            },
        },
    },
    "NewReceipt": {
        "type": "object",
        "required": ["lines"],
        "properties": {
            "po": {
                "description": "The purchase order it fills: its number, or its id. "
                "Left out: a receipt without a PO.",
                "oneOf": [{"type": "string"}, {"type": "integer"}],
            },
            "note": {"type": "string", "maxLength": 500},
            "submit": {
                "type": "boolean",
                "default": False,
                "description": "Submit at once (and post, where no approval is needed).",
            },
            "lines": {
                "type": "array",
                "minItems": 1,
                "maxItems": 1000,
                "description": "One line per variant: a SKU may not be listed twice.",
                "items": {
                    "type": "object",
                    "required": ["sku", "received"],
                    "description": "Received or damaged above 0, or a reason (short: none came).",
                    "properties": {
                        "sku": {"type": "string"},
                        "received": _ref("Count"),
                        "damaged": {**_ref("Count"), "description": "Never joins on hand."},
                        "location": {
                            "type": "string",
                            "description": "A sellable location of the main warehouse "
                            "(default: the variant's usual one).",
                        },
                        "unit_cost": {**MONEY, "description": "Default: the PO line's."},
                        "reason": {"type": "string", "enum": REASONS},
                        "note": {"type": "string", "maxLength": 500},
                    },
                },
            },
        },
    },
    "ReceiptLine": {
        "type": "object",
        "properties": {
            "sku": {"type": "string"},
            "received": {"type": "integer"},
            "damaged": {"type": "integer"},
            "location": {"type": "string"},
            "unit_cost": NULLABLE_MONEY,
            "reason": {"type": "string"},
            "note": {"type": "string"},
        },
    },
    "Receipt": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "number": {"type": "string"},
            "status": {"type": "string", "enum": RECEIPT_STATUSES},
            "note": {"type": "string"},
            "po": {**_ref("PurchaseOrderRef"), "nullable": True},
            "supplier": {**REF, "nullable": True},
            "created_at": {"type": "string", "format": "date-time"},
            "created_by": {"type": "string"},
            "submitted_at": {"type": "string", "format": "date-time", "nullable": True},
            "submitted_by": {"type": "string", "nullable": True},
            "decided_at": {"type": "string", "format": "date-time", "nullable": True},
            "decided_by": {"type": "string", "nullable": True},
            "reject_reason": {"type": "string"},
            "lines": {"type": "array", "items": _ref("ReceiptLine")},
        },
    },
    "ReceiptResult": {
        "type": "object",
        "properties": {
            "receipt": _ref("Document"),
            "movements": {
                "type": "array",
                "description": "What posted: empty until the receipt is approved.",
                "items": _ref("Movement"),
            },
            "po": {
                **_ref("PurchaseOrderRef"),
                "nullable": True,
                "description": "The receipt's PO as it stands now.",
            },
        },
    },
}


def purchasing_paths(clerk: str, manager: str, anyone: str) -> dict:
    po_id = _id("po_id")
    receipt_id = _id("receipt_id")
    created_receipt = {
        "allOf": [
            _ref("ReceiptResult"),
            {
                "type": "object",
                "properties": {"lines": {"type": "array", "items": _ref("ReceiptLine")}},
            },
        ]
    }
    return {
        "/suppliers": {
            "get": {
                "summary": "Every supplier, by name. " + anyone,
                "responses": {"200": _json(_items(_ref("Supplier")), "Suppliers"), **ERRORS},
            },
            "post": {
                "summary": "Add a supplier (供应商). " + manager,
                "parameters": [IDEMPOTENCY],
                "requestBody": {"required": True, "content": _body(_ref("NewSupplier"))},
                "responses": {"201": _json(_ref("Supplier"), "Created"), **ERRORS},
            },
        },
        "/purchase-orders": {
            "get": {
                "summary": "Purchase orders, newest first, keyset-paginated, with their "
                "totals. " + anyone,
                "parameters": [
                    {**_query("status"), "schema": {"type": "string", "enum": PO_STATUSES}},
                    {**_query("limit"), "schema": {"type": "integer", "maximum": 500}},
                    _query("cursor"),
                ],
                "responses": {
                    "200": _json(
                        {
                            **_items(_ref("PurchaseOrderSummary")),
                            "properties": {
                                **_items(_ref("PurchaseOrderSummary"))["properties"],
                                "next_cursor": {"type": "string", "nullable": True},
                            },
                        },
                        "A page of purchase orders",
                    ),
                    **ERRORS,
                },
            },
            "post": {
                "summary": "Create a purchase order (采购单), ordered at once unless "
                "place is false. " + manager,
                "parameters": [IDEMPOTENCY],
                "requestBody": {"required": True, "content": _body(_ref("NewPurchaseOrder"))},
                "responses": {"201": _json(_ref("PurchaseOrderRef"), "Created"), **ERRORS},
            },
        },
        "/purchase-orders/{po_id}": {
            "get": {
                "summary": "A purchase order with each line's received and remaining "
                "pieces, and its receipts. " + anyone,
                "parameters": [po_id],
                "responses": {"200": _json(_ref("PurchaseOrder"), "The PO"), **ERRORS},
            }
        },
        "/purchase-orders/{po_id}/place": {
            "post": {
                "summary": "Send a draft to the supplier: draft → ordered. " + manager,
                "parameters": [po_id, IDEMPOTENCY],
                "responses": {"200": _json(_ref("PurchaseOrderRef"), "Ordered"), **ERRORS},
            }
        },
        "/purchase-orders/{po_id}/close": {
            "post": {
                "summary": "Close: nothing more is expected; each line's remainder is "
                "recorded as cancelled. 409 for a draft, a closed PO, or one with a "
                "receipt waiting for approval. " + manager,
                "parameters": [po_id, IDEMPOTENCY],
                "responses": {"200": _json(_ref("PurchaseOrderRef"), "Closed"), **ERRORS},
            }
        },
        "/receipts": {
            "post": {
                "summary": "Record a receipt (入库单), against a PO or not, as a draft or "
                "submitted. Stock moves only once it is approved. " + clerk,
                "parameters": [IDEMPOTENCY],
                "requestBody": {"required": True, "content": _body(_ref("NewReceipt"))},
                "responses": {"201": _json(created_receipt, "Created"), **ERRORS},
            }
        },
        "/receipts/{receipt_id}": {
            "get": {
                "summary": "A receipt with its lines and state. " + anyone,
                "parameters": [receipt_id],
                "responses": {"200": _json(_ref("Receipt"), "The receipt"), **ERRORS},
            }
        },
        "/receipts/{receipt_id}/submit": {
            "post": {
                "summary": "draft → submitted (posted at once by a manager, or where no "
                "approval is needed). 403 for a clerk over the PO's tolerance. " + clerk,
                "parameters": [receipt_id, IDEMPOTENCY],
                "responses": {"200": _json(_ref("ReceiptResult"), "Submitted"), **ERRORS},
            }
        },
        "/receipts/{receipt_id}/approve": {
            "post": {
                "summary": "submitted → posted: received pieces join stock, damaged ones "
                "go to quarantine; the PO's state follows. 409 if already approved. " + manager,
                "parameters": [receipt_id, IDEMPOTENCY],
                "responses": {"200": _json(_ref("ReceiptResult"), "Approved"), **ERRORS},
            }
        },
        "/receipts/{receipt_id}/reject": {
            "post": {
                "summary": "submitted → rejected, with a reason; nothing posts. " + manager,
                "parameters": [receipt_id, IDEMPOTENCY],
                "requestBody": {
                    "required": True,
                    "content": _body(
                        {
                            "type": "object",
                            "required": ["reason"],
                            "properties": {
                                "reason": {"type": "string", "minLength": 1, "maxLength": 500}
                            },
                        }
                    ),
                },
                "responses": {"200": _json(_ref("ReceiptResult"), "Rejected"), **ERRORS},
            }
        },
    }


def _id(name: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }


def _items(schema: dict) -> dict:
    return {"type": "object", "properties": {"items": {"type": "array", "items": schema}}}
