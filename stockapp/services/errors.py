"""Domain errors: expected refusals, each with a message in the user's language.

The web layer maps them to a form error (422) or a problem+json response; the
``status`` attribute is the HTTP status that fits.
"""

from dataclasses import dataclass

from ..app_logging import refused
from ..i18n import lazy_gettext as _l
from ..models.ledger import MAX_BALANCE


class DomainError(Exception):
    status = 422
    title = _l("The request cannot be carried out")

    def __init__(self, detail, errors: dict[str, object] | None = None):
        super().__init__(str(detail))
        self.detail = detail
        # Field name → message, for messages shown beside a field.
        self.errors = errors or {}
        refused(self)


class InvalidInput(DomainError):
    title = _l("Some fields need attention")


class MalformedRequest(DomainError):
    status = 400
    title = _l("Bad request")


class NotFound(DomainError):
    status = 404
    title = _l("Not found")


class InvalidTransition(DomainError):
    status = 409
    title = _l("Not allowed in this state")


class LastManager(InvalidTransition):
    title = _l("The last manager")


class AlreadyReversed(InvalidTransition):
    title = _l("Already reversed")


class IdempotencyKeyReused(DomainError):
    status = 422
    title = _l("Idempotency key already used for a different request")


class LoginThrottled(DomainError):
    status = 429
    title = _l("Too many failed logins")

    def __init__(self, seconds: int):
        if seconds < 120:
            wait = _l("Too many failed logins. Try again in %(seconds)d seconds.", seconds=seconds)
        else:
            minutes = -(-seconds // 60)
            wait = _l("Too many failed logins. Try again in %(minutes)d minutes.", minutes=minutes)
        super().__init__(wait)
        # For the Retry-After header.
        self.seconds = seconds


@dataclass(frozen=True)
class Shortage:
    sku: str
    location: str
    on_hand: int
    requested: int

    @property
    def short(self) -> int:
        return self.requested - self.on_hand


class InsufficientStock(DomainError):
    """Too few pieces for a change, each ``Shortage`` named; ``document``: the number of
    a document that cannot be reversed for it (its pieces have moved on since)."""

    status = 409
    title = _l("Not enough stock")

    def __init__(self, shortages: list[Shortage], *, document: str | None = None):
        parts = [
            _l(
                "%(sku)s is short by %(short)d (on hand %(on_hand)d, needed %(requested)d) "
                "in %(location)s",
                sku=s.sku,
                location=s.location,
                short=s.short,
                on_hand=s.on_hand,
                requested=s.requested,
            )
            for s in shortages
        ]
        detail = "; ".join(str(p) for p in parts)
        if document is not None:
            detail = str(
                _l(
                    "%(number)s cannot be reversed: its pieces are no longer all where it put "
                    "them. %(shortages)s",
                    number=document,
                    shortages=detail,
                )
            )
        super().__init__(detail)
        self.shortages = shortages


class BalanceLimit(InvalidInput):
    """A movement would take a balance past ``MAX_BALANCE`` (``requested`` is the delta)."""

    title = _l("Too much stock in one place")

    def __init__(self, shortages: list[Shortage]):
        parts = [
            _l(
                "%(sku)s in %(location)s would hold %(total)d pcs: at most %(max)d.",
                sku=s.sku,
                location=s.location,
                total=s.on_hand - s.requested,
                max=MAX_BALANCE,
            )
            for s in shortages
        ]
        super().__init__("; ".join(str(p) for p in parts))
        self.shortages = shortages


@dataclass(frozen=True)
class CountDifference:
    sku: str
    expected: int
    on_hand: int


class StaleCount(DomainError):
    status = 409
    title = _l("Stock changed since the count was shown")

    def __init__(self, differences: list[CountDifference]):
        parts = [
            _l(
                "%(sku)s: you saw %(expected)d, it is now %(on_hand)d",
                sku=d.sku,
                expected=d.expected,
                on_hand=d.on_hand,
            )
            for d in differences
        ]
        super().__init__("; ".join(str(p) for p in parts))
        self.differences = differences


class NotPermitted(DomainError):
    status = 403
    title = _l("Not permitted")


class AlreadyCompleted(InvalidTransition):
    title = _l("Already complete")


class AlreadyCancelled(InvalidTransition):
    title = _l("Already cancelled")


class AlreadyApproved(InvalidTransition):
    title = _l("Already approved")


class AlreadyShipped(InvalidTransition):
    title = _l("Already shipped")


class AlreadyReceived(InvalidTransition):
    title = _l("Already received")
