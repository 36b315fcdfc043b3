"""Translated messages that are safe wherever they land, HTML included.

Flask-Babel's lazy strings claim to be markup (they have ``__html__``), so Jinja and
Flask's flashed messages would take "Order %(number)s is already complete." with a
user's number in it as trusted HTML. ``lazy_gettext`` here keeps the same lazy,
translated-when-used string, but as HTML it escapes the translated text and every
value interpolated into it. Every module takes ``_l`` from here (a test checks it).
"""

from flask_babel import gettext
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape


class Message(LazyString):
    """A lazily translated message; as HTML, the values in it are escaped."""

    def __html__(self) -> Markup:
        string, variables = self._args[0], self._kwargs
        template = escape(gettext(string))
        # Markup's % escapes each value (a Message among them through its own __html__).
        return template % variables if variables else template


def lazy_gettext(string: str, **variables) -> Message:
    return Message(gettext, string, **variables)
