"""Enums that carry the user's word for each of their members.

``OrderStatus.OPEN.label`` is the translated display name (待配货 / Open); the value
(``"open"``) is what the database and the API store. One definition serves the
pages, the API's messages and the exports.
"""

from enum import StrEnum

from sqlalchemy import Enum


class Vocabulary(StrEnum):
    """A ``StrEnum`` whose members are declared as ``NAME = "value", _l("Label")``."""

    label: str

    def __new__(cls, value: str, label):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def label_of(cls, value: str) -> str:
        """The display name of a stored value, as text ("" for no value)."""
        return str(cls(value).label) if value else ""

    @classmethod
    def labels(cls) -> dict[str, str]:
        """Every stored value's display name, as text: for a page that shows many rows."""
        return {member.value: str(member.label) for member in cls}


def stored_as(vocabulary: type[Vocabulary], length: int) -> Enum:
    """The column type of a ``vocabulary`` value: its text in a VARCHAR(``length``), read
    back as the enum member (no database enum type, no check constraint)."""
    return Enum(
        vocabulary,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
    )
