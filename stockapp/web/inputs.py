"""What every input of the pages passes before it reaches a service or a query.

- ``Form``: the base of every form. Each text field (``StringField`` and its kin:
  text areas, hidden and password fields) reads a missing field as ``""``, and
  every field whose value is text refuses control characters beside the field.
  One-line fields take none; a text area (a note, a reason) keeps ``\\t``,
  ``\\n`` and ``\\r``. NUL is among them: PostgreSQL cannot store it.
- ``Id`` and ``Segment``: the URL converters (``<int:…>`` and ``<…>``) every route
  uses. An id past ``MAX_ID`` names no row and a segment with a control
  character names no page: both are a 404 before any query runs.
- ``refuse_control_characters``: a query string (a search box, ``?add=``, a
  filter) with a control character other than ``\\t \\n \\r`` is a 400 that says so.
- ``form_id``: an id chosen in a form (a supplier), bounded like the URL's.
"""

import re

from flask import render_template, request
from flask_wtf import FlaskForm
from werkzeug.routing import BaseConverter, IntegerConverter
from wtforms import StringField, TextAreaField
from wtforms.fields.core import UnboundField
from wtforms.meta import DefaultMeta
from wtforms.validators import StopValidation

from ..i18n import lazy_gettext as _l
from ..models.ledger import MAX_ID

# Control characters (Unicode category Cc): C0, DEL and C1.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The same, but for the tab and line breaks a multi-line text may hold.
CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

ONE_LINE = _l("Remove the control characters (such as a tab or a line break) from this field.")
MULTI_LINE = _l("Remove the control characters from this text: only tabs and line breaks may stay.")
IN_ADDRESS = _l(
    "The address contains a control character. Check the link or the search and try again."
)


def control_free(pattern: re.Pattern, message):
    """A validator: text in which ``pattern`` finds a character is refused with ``message``,
    ahead of (and instead of) the field's other checks."""

    def check(form, field):
        if isinstance(field.data, str) and pattern.search(field.data):
            field.errors[:] = []
            raise StopValidation(message)

    return check


def _text_or_blank(value):
    return "" if value is None else value


def _with_checks(unbound_field: UnboundField) -> UnboundField:
    field_class = unbound_field.field_class
    kwargs = dict(unbound_field.kwargs)
    if issubclass(field_class, TextAreaField):
        check = control_free(CONTROL_BUT_LINES, MULTI_LINE)
    else:
        check = control_free(CONTROL, ONE_LINE)
    kwargs["validators"] = [check, *(kwargs.get("validators") or ())]
    if issubclass(field_class, StringField):
        kwargs["filters"] = [_text_or_blank, *(kwargs.get("filters") or ())]
    return UnboundField(field_class, *unbound_field.args, name=unbound_field.name, **kwargs)


# Each field of a form class with its checks, made once (a form is bound on every request).
_CHECKED: dict[UnboundField, UnboundField] = {}


class Form(FlaskForm):
    """The base of every form of the pages (see the module's docstring)."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            checked = _CHECKED.get(unbound_field)
            if checked is None:
                checked = _CHECKED[unbound_field] = _with_checks(unbound_field)
            return DefaultMeta.bind_field(self, form, checked, options)


def stripped(text):
    """A field's filter: text with the spaces around it dropped."""
    return text.strip() if isinstance(text, str) else text


def form_id(value) -> int:
    """An id chosen in a form (``SelectField(coerce=form_id)``): a whole number from 0
    (none chosen) to ``MAX_ID``; anything else is a ValueError, which WTForms reports
    as a choice that is not valid."""
    text = str(value)
    if not (text.isascii() and text.isdigit() and len(text) <= 10 and int(text) <= MAX_ID):
        raise ValueError(text)
    return int(text)


class Id(IntegerConverter):
    """``<int:…>`` in every route: 0 … MAX_ID, ASCII digits; anything else is a 404."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class Segment(BaseConverter):
    """``<…>`` (a style code, a language): at most 200 characters, no control characters."""

    regex = r"[^/\x00-\x1f\x7f-\x9f]{1,200}"


def init_app(app) -> None:
    """Register the converters (before any route is added) and the query-string check."""
    app.url_map.converters.update(int=Id, default=Segment, string=Segment)
    app.before_request(refuse_control_characters)


def refuse_control_characters():
    """A 400 page for a query string carrying a control character (the API checks its own)."""
    if request.path.startswith("/api/"):
        return None
    for name, values in request.args.lists():
        if CONTROL_BUT_LINES.search(name) or any(CONTROL_BUT_LINES.search(v) for v in values):
            return render_template("errors/error.html", status=400, message=IN_ADDRESS), 400
    return None
