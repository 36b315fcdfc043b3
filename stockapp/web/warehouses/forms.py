"""The warehouses' forms: a new warehouse, its name, a location's edit."""

from wtforms import StringField
from wtforms.validators import Length

from ...i18n import lazy_gettext as _l
from ...models.warehouse import MAX_LOCATION_NAME, MAX_WAREHOUSE, MAX_WAREHOUSE_NAME
from ..entry_form import TOO_LONG
from ..inputs import Form
from ..inputs import stripped as _strip
from ..settings.forms import LocationForm


class WarehouseNameForm(Form):
    # The service refuses an empty name, beside the field.
    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[Length(max=MAX_WAREHOUSE_NAME, message=TOO_LONG)],
        render_kw={"autocomplete": "off", "placeholder": "上海仓"},
    )


class WarehouseForm(WarehouseNameForm):
    # The service checks the code's shape (SH-01) and that it is free.
    code = StringField(
        _l("Code"),
        filters=[_strip],
        validators=[Length(max=MAX_WAREHOUSE, message=TOO_LONG)],
        render_kw={"placeholder": "SH-01", "autocomplete": "off", "autocapitalize": "characters"},
    )


class LocationEditForm(LocationForm):
    """What changes of a location: everything but its code."""

    code = None
    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[Length(max=MAX_LOCATION_NAME, message=TOO_LONG)],
        description=_l("Shown instead of the code on screens and printouts; empty: the code."),
        render_kw={"autocomplete": "off"},
    )
