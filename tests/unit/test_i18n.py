"""Translated messages escape what is interpolated into them when they land in HTML."""

from pathlib import Path

from flask_babel import force_locale
from markupsafe import Markup, escape

from stockapp.i18n import lazy_gettext as _l

ROOT = Path(__file__).resolve().parents[2]


def test_as_html_a_message_escapes_its_values_and_as_text_keeps_them(ctx):
    with force_locale("en"):
        check_escaping()


def check_escaping():
    message = _l("Order %(number)s is already complete.", number="<b>7</b>")
    assert str(message) == "Order <b>7</b> is already complete."
    assert escape(message) == Markup("Order &lt;b&gt;7&lt;/b&gt; is already complete.")


def test_numbers_and_nested_messages_format_as_html(ctx):
    with force_locale("en"):
        check_formatting()


def check_formatting():
    inner = _l("No order %(order)s.", order="<i>")
    assert escape(_l("At most %(max)d characters.", max=40)) == "At most 40 characters."
    outer = _l("Order %(number)s is already complete.", number=inner)
    assert escape(outer) == Markup("Order No order &lt;i&gt;. is already complete.")


def test_every_module_takes_its_lazy_gettext_from_stockapp_i18n():
    """Flask-Babel's own lazy strings pass as markup: none may be made anywhere."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "stockapp").rglob("*.py")
        if path.name != "i18n.py"
        and any(
            made in path.read_text()
            for made in ("from flask_babel import lazy_gettext", "flask_babel.lazy_gettext")
        )
    ]
    assert offenders == []
