"""SQLite's writers queue on a flock beside the database (``database.configure_engine``):
the next writer may go only once the last one's transaction has ended in SQLite
itself, or its ``BEGIN IMMEDIATE`` meets SQLite's own lock and sleeps in the busy
handler (a millisecond at least) while nobody writes."""

import sqlite3

import pytest
from sqlalchemy import event

from stockapp.database import write_transaction
from stockapp.extensions import db
from stockapp.models import Role
from stockapp.services import receiving


@pytest.fixture
def database_url(database_url_for):
    return database_url_for("sqlite")  # the flock is SQLite's alone


def next_writer_gets_in(path: str) -> bool:
    """Whether another connection takes SQLite's write lock at once (no busy wait)."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


@pytest.mark.parametrize("ending", ["commit", "rollback"])
def test_the_next_writer_finds_the_database_free_when_the_lock_is_released(
    app, ctx, make_user, make_style, ending
):
    clerk = make_user(Role.CLERK)
    (variant,) = make_style("L1", sizes=("M",), colours=()).values()
    seen = []

    # Runs after the engine's own listener of the same event, which releases the flock.
    def released(connection):
        seen.append(next_writer_gets_in(db.engine.url.database))

    event.listen(db.engine, ending, released)
    try:
        if ending == "commit":
            receiving.receive(lines=[(variant, 2)], operator_id=clerk)
        else:
            with pytest.raises(RuntimeError), write_transaction():
                receiving.receive(lines=[(variant, 2)], operator_id=clerk)
                raise RuntimeError("changed my mind")
    finally:
        event.remove(db.engine, ending, released)
    assert seen == [True]
