"""Reversing a document (冲销): the ledger's reversal and what follows from it."""

from ..database import write_transaction
from . import ledger, receiving


def reverse_document(document_id: int, *, operator_id: int, reason: str) -> dict:
    """Reverse a posted document and bring what depends on it along, in one unit of work.

    A receipt's PO follows (its received and remaining quantities, its state). A
    document that belongs to an allocation order is refused (InvalidTransition):
    it is changed through its order (``orders.cancel``). Nothing is written when
    the reversal is refused (NotFound, AlreadyReversed, InvalidTransition).
    Returns the reversal document and its movements, as ``ledger.reverse`` does.
    """
    with write_transaction():
        reversal = ledger.reverse(document_id, operator_id=operator_id, reason=reason)
        receiving.after_reversal(document_id)
    return reversal
