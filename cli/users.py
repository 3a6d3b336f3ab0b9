"""Accounts: add, list, disable, enable, reset a password, change a role."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cli.common import DbOption, fail, open_engine, reports_errors

commands = typer.Typer(help="Accounts that sign in to the app, and their roles.", no_args_is_help=True)

RoleOption = Annotated[str, typer.Option("--role", help="admin, committee, assessor or auditor.")]


def read_password(prompt: str) -> str:
    """The password from standard input when it is piped (its first line), else prompted twice."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise fail("no password on standard input")
        return line.rstrip("\r\n")
    return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=True))


@commands.command("add")
@reports_errors
def add(
    email: Annotated[str, typer.Argument(help="The person's e-mail address, their sign-in name.")],
    role: RoleOption,
    no_password: Annotated[
        bool,
        typer.Option("--no-password", help="Signs in through the identity provider (OpenID Connect) only."),
    ] = False,
    db: DbOption = None,
) -> None:
    """Add an account. The password is read from standard input when piped, else prompted."""
    from services.accounts import add_account

    password = None if no_password else read_password("Password")
    added = add_account(engine=open_engine(db), email=email, role=role, password=password)
    typer.echo(f"Added {added.email} as {added.role}.")


@commands.command("list")
@reports_errors
def list_users(db: DbOption = None) -> None:
    """List the accounts: address, role, status."""
    from services.accounts import list_accounts

    for account in list_accounts(engine=open_engine(db)):
        status = "disabled" if account.disabled else "enabled"
        way = "password" if account.has_password else "identity provider only"
        typer.echo(f"{account.email}\t{account.role}\t{status}\t{way}")


@commands.command("disable")
@reports_errors
def disable(email: str, db: DbOption = None) -> None:
    """Disable an account: it can no longer sign in, and its sign-ins end now."""
    from services.accounts import set_disabled

    typer.echo(f"Disabled {set_disabled(engine=open_engine(db), email=email, disabled=True).email}.")


@commands.command("enable")
@reports_errors
def enable(email: str, db: DbOption = None) -> None:
    """Enable a disabled account again."""
    from services.accounts import set_disabled

    typer.echo(f"Enabled {set_disabled(engine=open_engine(db), email=email, disabled=False).email}.")


@commands.command("reset-password")
@reports_errors
def reset_password(email: str, db: DbOption = None) -> None:
    """Give an account a new password (from standard input when piped, else prompted); its
    sign-ins end. Also the way back in when the admin's password is lost."""
    from services.accounts import reset_password as reset

    password = read_password("New password")
    typer.echo(f"New password set for {reset(engine=open_engine(db), email=email, password=password).email}.")


@commands.command("role")
@reports_errors
def role(email: str, new_role: Annotated[str, typer.Argument(metavar="ROLE")], db: DbOption = None) -> None:
    """Give an account another role (its sign-ins end, so the new role holds at once)."""
    from services.accounts import set_role

    changed = set_role(engine=open_engine(db), email=email, role=new_role)
    typer.echo(f"{changed.email} is now {changed.role}.")
