"""Flask commands: ``flask --app app <command>``."""

import os
import sys

import click
from flask import Flask
from flask.cli import with_appcontext

from .extensions import db
from .models import Location, Role, User, Variant
from .services import accounts, demo, ledger
from .services.errors import DomainError


def init_app(app: Flask) -> None:
    for command in (create_user, create_token, revoke_token, check_ledger, demo_data):
        app.cli.add_command(command)


@click.command("create-user")
@with_appcontext
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.CLERK.value)
def create_user(name: str, role: str) -> None:
    """Create a user. The password comes from STOCKAPP_PASSWORD or a prompt."""
    password = os.environ.get("STOCKAPP_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    try:
        user_id = accounts.create_user(username=name, password=password, role=role)
    except DomainError as refused:
        _fail(refused)
    click.echo(f"created user {name} (id {user_id}, role {role})")


@click.command("create-token")
@with_appcontext
@click.argument("name")
def create_token(name: str) -> None:
    """Print a new API token for user NAME. It is shown once and stored hashed."""
    try:
        token_id, token = accounts.create_token(name)
    except DomainError as refused:
        _fail(refused)
    click.echo(f"token id {token_id} for {name}:", err=True)
    click.echo(token)


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


def _fail(reason) -> None:
    detail = getattr(reason, "detail", reason)
    errors = getattr(reason, "errors", {})
    click.echo(f"error: {detail}", err=True)
    for name, message in errors.items():
        click.echo(f"  {name}: {message}", err=True)
    sys.exit(1)
