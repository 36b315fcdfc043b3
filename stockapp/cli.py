"""Flask commands: ``flask --app app <command>``."""

import os
import sys
import time
from pathlib import Path

import click
import flask_migrate
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask.cli import with_appcontext

from . import backups
from .extensions import db
from .models import Location, Role, User, Variant
from .queries import accounts as account_queries
from .services import accounts, demo, ledger
from .services.errors import DomainError


def init_app(app: Flask) -> None:
    for command in (
        create_user,
        set_password,
        set_role,
        deactivate_user,
        reactivate_user,
        create_token,
        list_tokens,
        revoke_token,
        check_ledger,
        backup,
        restore,
        demo_data,
    ):
        app.cli.add_command(command)


@click.command("create-user")
@with_appcontext
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.CLERK.value)
def create_user(name: str, role: str) -> None:
    """Create a user. The password comes from STOCKAPP_PASSWORD or a prompt."""
    try:
        user_id = accounts.create_user(username=name, password=_new_password(), role=role)
    except DomainError as refused:
        _fail(refused)
    click.echo(f"created user {name} (id {user_id}, role {role})")


@click.command("set-password")
@with_appcontext
@click.argument("name")
def set_password(name: str) -> None:
    """Give user NAME a new password (from STOCKAPP_PASSWORD or a prompt); every
    session they are signed in with ends. Their API tokens keep working."""
    try:
        accounts.set_password(username=name, password=_new_password())
    except DomainError as refused:
        _fail(refused)
    click.echo(f"password of {name} changed; their sessions have ended")


@click.command("set-role")
@with_appcontext
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
def set_role(name: str, role: str) -> None:
    """Change the role of user NAME; every session they are signed in with ends."""
    try:
        accounts.set_role(username=name, role=role)
    except DomainError as refused:
        _fail(refused)
    click.echo(f"{name} is now {role}; their sessions have ended")


@click.command("deactivate-user")
@with_appcontext
@click.argument("name")
def deactivate_user(name: str) -> None:
    """Stop user NAME signing in: their sessions end and their API tokens are revoked."""
    try:
        accounts.deactivate(username=name)
    except DomainError as refused:
        _fail(refused)
    click.echo(f"deactivated {name}; their sessions have ended and their tokens are revoked")


@click.command("reactivate-user")
@with_appcontext
@click.argument("name")
def reactivate_user(name: str) -> None:
    """Let a deactivated user NAME sign in again (their old tokens stay revoked)."""
    try:
        accounts.reactivate(username=name)
    except DomainError as refused:
        _fail(refused)
    click.echo(f"reactivated {name}")


def _new_password() -> str:
    return os.environ.get("STOCKAPP_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )


@click.command("create-token")
@with_appcontext
@click.argument("name")
@click.option(
    "--days",
    type=click.IntRange(0, accounts.MAX_TOKEN_DAYS),
    default=365,
    show_default=True,
    help="Days until the token expires; 0: never.",
)
def create_token(name: str, days: int) -> None:
    """Print a new API token for user NAME. It is shown once and stored hashed."""
    try:
        token_id, token = accounts.create_token(name, days=days or None)
    except DomainError as refused:
        _fail(refused)
    until = f"expires in {days} days" if days else "never expires"
    click.echo(f"token id {token_id} for {name} ({until}):", err=True)
    click.echo(token)


@click.command("list-tokens")
@with_appcontext
def list_tokens() -> None:
    """List every API token: id, user, state, created, last used, expires (UTC)."""

    def when(moment) -> str:
        return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"

    rows = account_queries.tokens()
    click.echo(f"{'id':>5}  {'user':<20} {'state':<8} {'created':<16}  {'last used':<16}  expires")
    for row in rows:
        click.echo(
            f"{row.id:>5}  {row.username:<20} {row.state.value:<8} {when(row.created_at):<16}  "
            f"{when(row.last_used_at):<16}  {when(row.expires_at)}"
        )


@click.command("revoke-token")
@with_appcontext
@click.argument("token_or_id")
def revoke_token(token_or_id: str) -> None:
    """Revoke an API token, given the token itself or its id."""
    try:
        token_id = accounts.revoke_token(token_or_id)
    except DomainError as refused:
        _fail(refused)
    click.echo(f"revoked token {token_id}")


@click.command("check-ledger")
@with_appcontext
def check_ledger() -> None:
    """Recompute every balance from the movements; exit 1 listing each difference."""
    _report_ledger()


@click.command("backup")
@with_appcontext
@click.argument("path", required=False, type=click.Path())
@click.option(
    "--keep",
    type=click.IntRange(min=1),
    help="then keep only the newest N backups in that folder (only files named by backup)",
)
def backup(path: str | None, keep: int | None) -> None:
    """Copy the live database, consistently, while the app runs.

    PATH defaults to instance/backups/stockapp-YYYYMMDD-HHMMSS.sqlite (.dump for
    PostgreSQL); a folder (one that exists, or PATH ending in /) gets a file of
    that name inside it.
    """
    url = db.engine.url
    if path is None:
        target = backups.default_path(url, Path(current_app.instance_path) / "backups")
    elif path.endswith(os.sep) or Path(path).is_dir():
        target = backups.default_path(url, Path(path))
    else:
        target = Path(path)
    try:
        written = backups.backup(url, target, keep=keep)
    except backups.BackupError as refused:
        _fail(refused)
    click.echo(f"wrote {written.path} ({_megabytes(written.size)}, {written.seconds:.2f} s)")
    for old in written.removed:
        click.echo(f"removed {old} (--keep {keep})")


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="restore even though the database is in use")
def restore(path: Path, force: bool) -> None:
    """Replace the configured database with the backup PATH, then check the ledger.

    Refuses a database in use (stop the app first) unless --force, and any file
    that is not a StockApp backup. Exits 1 if the restored ledger disagrees.
    """
    url = db.engine.url
    migrations = current_app.extensions["migrate"].directory
    db.session.remove()
    db.engine.dispose()  # our own connections would hold the file open
    started = time.monotonic()
    try:
        revision = backups.restore(url, path, migrations=migrations, force=force)
    except backups.BackupError as refused:
        _fail(refused)
    db.engine.dispose()
    click.echo(
        f"restored {path} into {url.render_as_string(hide_password=True)} "
        f"(schema {revision}, {time.monotonic() - started:.2f} s)"
    )
    head = ScriptDirectory(migrations).get_current_head()
    if revision != head:
        flask_migrate.upgrade()
        click.echo(f"upgraded the schema from {revision} to {head}")
    _report_ledger()


@click.command("demo-data")
@with_appcontext
@click.option("--styles", default=36, show_default=True)
def demo_data(styles: int) -> None:
    """Fill a believable demo catalogue with stock and history (operator: first manager)."""
    manager_id = db.session.scalar(
        db.select(User.id).where(User.role == Role.MANAGER).order_by(User.id).limit(1)
    )
    if manager_id is None:
        _fail("create a manager first: flask --app app create-user NAME --role manager")
    created = demo.fill(operator_id=manager_id, styles=styles)
    click.echo(f"added {created} demo styles")


def _report_ledger() -> None:
    """Print that the ledger is clean, or each difference and exit 1."""
    found = ledger.discrepancies()
    if not found:
        click.echo("ledger OK: every balance equals the sum of its movements")
        return
    skus = dict(db.session.execute(db.select(Variant.id, Variant.sku)).all())
    codes = dict(db.session.execute(db.select(Location.id, Location.code)).all())
    for row in found:
        click.echo(
            f"{skus.get(row['variant_id'], row['variant_id'])} @ "
            f"{codes.get(row['location_id'], row['location_id'])}: balance {row['balance']}, "
            f"movements sum to {row['movements']}",
            err=True,
        )
    click.echo(f"{len(found)} balance(s) disagree with the ledger", err=True)
    sys.exit(1)


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.1f} kB"


def _fail(reason) -> None:
    detail = getattr(reason, "detail", reason)
    errors = getattr(reason, "errors", {})
    click.echo(f"error: {detail}", err=True)
    for name, message in errors.items():
        click.echo(f"  {name}: {message}", err=True)
    sys.exit(1)
