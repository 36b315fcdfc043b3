"""What a list page reads from its query string: the state tab, the search, the page."""

import re

from flask import current_app, request
from werkzeug.datastructures import MultiDict
from wtforms import DateField
from wtforms.validators import Optional, ValidationError

from ..htmx import page_or_partial
from ..i18n import lazy_gettext as _l
from ..models.catalogue import MAX_CODE
from ..queries.pager import Cursor
from .inputs import Form

# A keyset cursor of an id list: ASCII digits that fit a 64-bit integer.
CURSOR = re.compile(r"[0-9]{1,18}")
# An old ``?page=N`` link (no cursor) is read by offset; a larger N is read as this one.
MAX_PAGE = 1_000


def list_filters(states: dict, default: str) -> tuple[str, str]:
    """A list page's state tab and search text, from the query string."""
    state = request.args.get("state")
    return state if state in states else default, request.args.get("q", "").strip()[:100]


def page_args(args=None, *, codes: bool = False) -> dict:
    """Which page of a list to show, as the list's query takes it: the ``cursor``
    (``?before=`` or ``?after=`` a key, and the page's number ``?page=N``, 1 … MAX_PAGE)
    and the page size. A key is an id, or with ``codes`` a style code; a malformed
    one is ignored (the first page)."""
    args = request.args if args is None else args
    keys = {name: _key(args.get(name, ""), codes) for name in ("before", "after")}
    if keys["before"] is not None:
        keys["after"] = None
    number = min(max(args.get("page", 1, type=int), 1), MAX_PAGE)
    return {
        "cursor": Cursor(**keys, number=number),
        "per_page": current_app.config["PAGE_SIZE"],
    }


def _key(text: str, codes: bool):
    if codes:
        return text if 0 < len(text) <= MAX_CODE else None  # a style code
    return int(text) if CURSOR.fullmatch(text) else None


def state_list(reader, states: dict, default: str, page: str, partial: str):
    """A list with state tabs and a search (orders, POs): the page, or for htmx its rows.

    ``states`` maps a tab to (its label, the statuses it shows); ``reader`` is the
    list's query, taking ``statuses``, ``search`` and the page arguments.
    """
    state, search = list_filters(states, default)
    found = reader(statuses=states[state][1], search=search, **page_args())
    return page_or_partial(page, partial, found=found, state=state, states=states, search=search)


class FilterForm(Form):
    """A log's filters, read from the query string (a GET form: no CSRF token), ending
    with a range of local days (``?from=`` and ``?to=``, both included)."""

    class Meta:
        csrf = False

    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def query_args(self) -> dict:
        """The filters as query-string arguments, leaving out the empty ones and those
        at their default."""
        args = {}
        for field in self:
            value = field.data
            if field.name in DATE_ARGS.values():
                value = value.isoformat() if value else None
            elif value == field.default:
                value = None
            if value:
                args[NAMED.get(field.name, field.name)] = value
        return args


# The query string's names of the date fields.
DATE_ARGS = {"from": "date_from", "to": "date_to"}
NAMED = {field: short for short, field in DATE_ARGS.items()}


def read_filters(form_class: type[FilterForm], args):
    """``form_class`` filled from the query string ``args`` and validated."""
    renamed = MultiDict(args)
    for short, field in DATE_ARGS.items():
        if short in renamed:
            renamed.setlist(field, renamed.poplist(short))
    form = form_class(renamed)
    form.validate()
    return form
