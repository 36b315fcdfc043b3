"""Reading a body or a query through its contract, every bad field named.

A request is read in one pass (``model_validate_json``). When it fails, pydantic's errors
become today's messages keyed by path (``lines[2].qty``), and the fields that were valid
on their own are kept (``salvage``), so that the checks against the database can still
name their fields in the same answer.
"""

import json
from typing import Any

from pydantic import ValidationError

from ..i18n import lazy_gettext as _l
from ..services.errors import InvalidInput, MalformedRequest
from .shared import MESSAGES, Contract, Says


def read_json(model: type[Contract], raw: bytes) -> tuple[Contract, dict]:
    """``raw`` as ``model``, and the errors by path (empty when it is valid).

    On errors the model is partial: each field valid on its own has its value, every other
    field is None (a list of lines keeps its valid lines, field by field).
    """
    try:
        return model.model_validate_json(raw), {}
    except ValidationError as error:
        problems = error.errors()
    if any(p["type"] == "json_invalid" for p in problems):
        raise MalformedRequest(_l("The request body is not valid JSON."))
    if any(p["loc"] == () for p in problems):
        raise MalformedRequest(_l("The request body must be a JSON object."))
    return salvage(model, json.loads(raw)), messages(model, problems)


def read_query(model: type[Contract], args) -> Contract:
    """A query string as ``model`` (its values are text); 422 naming each bad parameter."""
    try:
        return model.model_validate(args.to_dict(), strict=False)
    except ValidationError as error:
        raise invalid(messages(model, error.errors())) from None


def invalid(errors: dict) -> InvalidInput:
    return InvalidInput(_l("Some fields need attention."), errors)


def messages(model: type[Contract], problems: list[dict]) -> dict:
    """pydantic's errors as ``{path: message}``, one per path: for a number, which is a
    union of int and whole float, the error that says most (range, fraction)."""
    found: dict[str, Any] = {}
    telling = {"greater_than_equal", "less_than_equal", "multiple_of"}
    for problem in sorted(problems, key=lambda p: p["type"] not in telling):
        field, owner, parts = _walk(model, problem["loc"])
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")
        found.setdefault(path, message_of(field, owner, problem))
    return found


def message_of(field, owner: type[Contract], problem: dict):
    kind = problem["type"]
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return owner.not_an_object
    for says in getattr(field, "metadata", ()):
        if isinstance(says, Says) and kind in says.messages:
            return says.messages[kind]
    message = MESSAGES.get(kind, MESSAGES["enum"])
    return message(problem.get("ctx", {})) if callable(message) else message


def _walk(model: type[Contract], loc: tuple):
    """The field an error's ``loc`` names, the contract that holds what is at ``loc``,
    and the path's parts (a union member's tag in ``loc`` is not part of the path)."""
    field, owner, current, parts = None, model, model, []
    for part in loc:
        if isinstance(part, int):
            parts.append(part)
        elif current is not None and part in current.model_fields:
            field = current.model_fields[part]
            parts.append(part)
            current = _item_model(field)
            owner = current or owner
    return field, owner, parts


def _item_model(field) -> type[Contract] | None:
    """The contract a field holds, or holds a list of."""
    annotation = field.annotation
    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, Contract):
            return candidate
    return None


def salvage(model: type[Contract], data: dict) -> Contract:
    """``model`` built from the fields of ``data`` that are valid on their own."""
    partial = model.model_construct()
    for name, field in model.model_fields.items():
        if name not in data:
            if field.is_required():
                object.__setattr__(partial, name, None)
            continue
        value, item = data[name], _item_model(field)
        try:
            model.__pydantic_validator__.validate_assignment(partial, name, value, strict=False)
        except ValidationError:
            if item is not None and isinstance(value, list):
                value = [salvage(item, v) if isinstance(v, dict) else None for v in value]
            else:
                value = None
            object.__setattr__(partial, name, value)
    return partial
