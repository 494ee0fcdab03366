"""``ontrack user`` and ``ontrack token``: the web app's users, their roles, and API tokens,
managed from the command line (how the first admin comes to be).

Every change is also written to the store's audit log, as ``cli:`` and the OS user's name.
A password is read from a hidden prompt (typed twice) or, with ``--password-stdin``, from one
line of standard input; it is never echoed, printed or logged. A token's secret is printed once,
when it is made.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from ontrack.app.accounts import AccountError, User, check_name
from ontrack.app.workspace import ENV, StoreError, Workspace
from ontrack.cli.flags import App
from ontrack.cli.output import Format, add_column, print_diagnostics, print_json, stderr, stdout
from ontrack.cli.track import DB_OPTION, FORMAT_OPTION, PLAN_OPTION
from ontrack.diagnostics import SourceLoc, error

user_app = App(
    help="Users of the web app: add them, give them a role per program, change passwords.",
    no_args_is_help=True,
)
token_app = App(
    help="API tokens: a user's credential for scripts and CI (Authorization: Bearer ...).",
    no_args_is_help=True,
)


class RoleChoice(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"


_NO_STORE_HINT = (
    "users live in the plan's store, which `ontrack apply PLAN` or `ontrack serve` creates; "
    f"create it first, or point --db (or ${ENV}) at it"
)
PASSWORD_STDIN_OPTION = typer.Option(
    False,
    "--password-stdin",
    help="Read the password from one line of standard input instead of a hidden prompt.",
)


def _stop(label: str, exc: StoreError | AccountError, hint: str | None = None) -> typer.Exit:
    loc = SourceLoc(label)
    diagnostic = error(exc.code, loc, exc.message, exc.hint if hint is None else hint)
    print_diagnostics([diagnostic], stderr)
    return typer.Exit(1)


@contextmanager
def _workspace(db: str | None, plan: Path) -> Iterator[Workspace]:
    """The existing store (never created here), closed afterwards; a store or account error
    becomes its diagnostic on stderr and exit code 1."""
    label = db or os.environ.get(ENV) or str(plan)
    try:
        workspace = Workspace.open(db, plan)
    except StoreError as exc:
        raise _stop(label, exc, _NO_STORE_HINT if exc.code == "E503" else None) from None
    try:
        yield workspace
    except (StoreError, AccountError) as exc:
        raise _stop(workspace.label, exc) from None
    finally:
        workspace.close()


def _actor() -> str:
    """Who the audit log says made a change from the command line."""
    try:
        return "cli:" + getpass.getuser()
    except (OSError, KeyError):  # no user name in the environment or the password database
        return "cli:unknown"


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.removesuffix("\n").removesuffix("\r")
    text: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    return text


def _roles_text(user: User) -> str:
    if user.superuser:
        return "admin everywhere (superuser)"
    return ", ".join(f"{program}: {role}" for program, role in user.roles.items()) or "none"


def _print_user(verb: str, user: User) -> None:
    stdout.print(
        f"[green]✓[/green] {verb} user [bold]{escape(user.name)}[/bold] "
        f"({escape(user.display)}); roles: {escape(_roles_text(user))}"
    )


def _pairs(roles: list[RoleChoice], programs: list[str]) -> list[tuple[str, RoleChoice]]:
    """(program, role) from repeated --program and --role: one role for every program, or one
    role per program, in order."""
    if not programs and not roles:
        return []
    if not programs or not roles:
        raise typer.BadParameter("give --role and --program together")
    if len(roles) == 1:
        return [(p, roles[0]) for p in programs]
    if len(roles) != len(programs):
        raise typer.BadParameter(
            "give one --role for every --program, or a single --role for all of them"
        )
    return list(zip(programs, roles, strict=True))


# -- ontrack user ----------------------------------------------------------------------------


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="The login name: lowercase letters, digits, . _ - @ +"),
    display: str = typer.Option("", "--display", help="The name people see (default: NAME)."),
    superuser: bool = typer.Option(
        False, "--superuser", help="Admin of every program, and of the users."
    ),
    role: list[RoleChoice] = typer.Option(
        [], "--role", help="viewer, editor or admin in the --program (repeatable)."
    ),
    program: list[str] = typer.Option(
        [], "--program", help="A program to give the --role in (repeatable)."
    ),
    password_stdin: bool = PASSWORD_STDIN_OPTION,
    plan: Path = PLAN_OPTION,
    db: str | None = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Add a user of the web app. The store must exist already (`ontrack apply PLAN` or
    `ontrack serve` creates it); the first user is usually a --superuser.

    A password has 12 to 128 characters and is not a common one; a passphrase is best.

    Example: ontrack user add ana --superuser --plan examples/platform-migration

    Example: ontrack user add bo --role editor --program "Platform Migration"
    """
    grants = _pairs(role, program)
    with _workspace(db, plan) as workspace:
        accounts = workspace.accounts()
        check_name(name)
        for p, _ in grants:
            workspace.program(p)  # E510 before anything is added
        if any(u.name == name for u in accounts.users()):
            raise AccountError("E520", f"there is a user '{name}' already", "choose another name")
        password = _password(password_stdin)
        user = accounts.add_user(name, password, display=display, superuser=superuser)
        actor = _actor()
        accounts.record_event(
            None,
            actor,
            "user.add",
            name,
            {"display": user.display, "superuser": user.superuser},
        )
        for p, r in grants:
            user = accounts.grant(name, p, r.value)
            accounts.record_event(p, actor, "user.grant", name, {"role": r.value})
        label = workspace.label
    if fmt is Format.JSON:
        print_json({"user": user.to_json(), "store": label})
        return
    _print_user("added", user)


@user_app.command("grant")
def user_grant(
    name: str = typer.Argument(..., help="The user."),
    program: str = typer.Option(..., "--program", help="The program."),
    role: RoleChoice = typer.Option(..., "--role", help="viewer, editor or admin."),
    plan: Path = PLAN_OPTION,
    db: str | None = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Give a user a role in a program (replacing the role it had there).

    viewer reads the program; editor also edits its tasks and risks and records progress;
    admin also sets baselines. A superuser is admin of every program.

    Example: ontrack user grant bo --program "Platform Migration" --role viewer
    """
    with _workspace(db, plan) as workspace:
        accounts = workspace.accounts()
        user = accounts.grant(name, program, role.value)
        accounts.record_event(program, _actor(), "user.grant", name, {"role": role.value})
    if fmt is Format.JSON:
        print_json({"user": user.to_json()})
        return
    _print_user("granted", user)


@user_app.command("revoke")
def user_revoke(
    name: str = typer.Argument(..., help="The user."),
    program: str = typer.Option(..., "--program", help="The program."),
    plan: Path = PLAN_OPTION,
    db: str | None = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Take a user's role in a program away.

    Example: ontrack user revoke bo --program "Platform Migration"
    """
    with _workspace(db, plan) as workspace:
        accounts = workspace.accounts()
        user = accounts.revoke(name, program)
        accounts.record_event(program, _actor(), "user.revoke", name)
    if fmt is Format.JSON:
        print_json({"user": user.to_json()})
        return
    _print_user("revoked a role of", user)


@user_app.command("list")
def user_list(
    plan: Path = PLAN_OPTION,
    db: str | None = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """List the users, their roles, and whether they are disabled or locked.

    Example: ontrack user list -f json
    """
    with _workspace(db, plan) as workspace:
        users = workspace.accounts().users()
    if fmt is Format.JSON:
        print_json({"users": [u.to_json() for u in users]})
        return
    if not users:
        stdout.print("no users yet (single-user mode): ontrack user add NAME --superuser")
        return
    table = Table(title="Users", title_justify="left")
    for col in ("name", "display", "roles", "state"):
        add_column(table, col, wide=col == "roles")
    for u in users:
        state = "disabled" if u.disabled else ""
        if u.locked_until is not None:
            state = (state + ", " if state else "") + f"locked to {u.locked_until:%H:%M:%S} UTC"
        table.add_row(escape(u.name), escape(u.display), escape(_roles_text(u)), state)
    stdout.print(table)


@user_app.command("passwd")
def user_passwd(
    name: str = typer.Argument(..., help="The user."),
    password_stdin: bool = PASSWORD_STDIN_OPTION,
    plan: Path = PLAN_OPTION,
    db: str | None = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Set a user's password. Its sessions end (it logs in again) and a lock is lifted.

    Example: ontrack user passwd bo
    """
    with _workspace(db, plan) as workspace:
        accounts = workspace.accounts()
        accounts.user(name)  # E523 before asking for a password
        accounts.set_password(name, _password(password_stdin))
        ended = accounts.end_sessions(name)
        accounts.record_event(None, _actor(), "user.passwd", name, {"sessions_ended": ended})
    if fmt is Format.JSON:
        print_json({"user": name, "sessions_ended": ended})
        return
    stdout.print(
        f"[green]✓[/green] set the password of [bold]{escape(name)}[/bold]; "
        f"ended {ended} session{'' if ended == 1 else 's'}"
    )


@user_app.command("disable")
def user_disable(
    name: str = typer.Argument(..., help="The user."),
    plan: Path = PLAN_OPTION,
    db: str | None = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Disable a user: it cannot log in, its sessions end, its API tokens stop working.

    Example: ontrack user disable bo
    """
    _set_enabled(name, False, plan, db, fmt)


@user_app.command("enable")
def user_enable(
    name: str = typer.Argument(..., help="The user."),
    plan: Path = PLAN_OPTION,
    db: str | None = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Enable a disabled user again (its tokens work again; it logs in anew).

    Example: ontrack user enable bo
    """
    _set_enabled(name, True, plan, db, fmt)


def _set_enabled(name: str, enabled: bool, plan: Path, db: str | None, fmt: Format) -> None:
    with _workspace(db, plan) as workspace:
        accounts = workspace.accounts()
        user = accounts.enable_user(name) if enabled else accounts.disable_user(name)
        accounts.record_event(None, _actor(), "user.enable" if enabled else "user.disable", name)
    if fmt is Format.JSON:
        print_json({"user": user.to_json()})
        return
    _print_user("enabled" if enabled else "disabled", user)


# -- ontrack token ---------------------------------------------------------------------------


@token_app.command("create")
def token_create(
    user: str = typer.Argument(..., help="The user the token acts as."),
    label: str = typer.Option(..., "--label", help="What the token is for, e.g. 'CI'."),
    plan: Path = PLAN_OPTION,
    db: str | None = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Make an API token for a user. Its secret is printed once, on standard output: only a
    hash of it is stored, so it cannot be shown again.

    Example: ontrack token create ana --label "nightly report"
    """
    with _workspace(db, plan) as workspace:
        accounts = workspace.accounts()
        issued = accounts.create_token(user, label)
        detail: dict[str, Any] = {"id": issued.id, "label": issued.label, "prefix": issued.prefix}
        accounts.record_event(None, _actor(), "token.create", user, detail)
    if fmt is Format.JSON:
        print_json(issued.to_json() | {"user": user})
        return
    stderr.print(
        f"[green]✓[/green] token {issued.id} '{escape(issued.label)}' for "
        f"[bold]{escape(user)}[/bold]. Copy it now: it cannot be shown again."
    )
    sys.stdout.write(issued.secret + "\n")


@token_app.command("list")
def token_list(
    user: str | None = typer.Option(None, "--user", help="Only this user's tokens."),
    plan: Path = PLAN_OPTION,
    db: str | None = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """List the API tokens (never their secrets), revoked ones too.

    Example: ontrack token list --user ana
    """
    with _workspace(db, plan) as workspace:
        tokens = workspace.accounts().tokens(user)
    if fmt is Format.JSON:
        print_json({"tokens": [t.to_json() for t in tokens]})
        return
    if not tokens:
        stdout.print("no API tokens: ontrack token create USER --label TEXT")
        return
    table = Table(title="API tokens", title_justify="left")
    for col in ("id", "user", "label", "prefix", "created (UTC)", "last used", "revoked"):
        add_column(table, col, wide=col == "label", right=col == "id")
    for t in tokens:
        table.add_row(
            str(t.id),
            escape(t.user),
            escape(t.label),
            escape(t.prefix) + "…",
            f"{t.created_at:%Y-%m-%d %H:%M}",
            "" if t.last_used is None else f"{t.last_used:%Y-%m-%d %H:%M}",
            "" if t.revoked_at is None else f"{t.revoked_at:%Y-%m-%d %H:%M}",
        )
    stdout.print(table)


@token_app.command("revoke")
def token_revoke(
    token_id: int = typer.Argument(..., metavar="ID", help="The token's id (ontrack token list)."),
    plan: Path = PLAN_OPTION,
    db: str | None = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Revoke an API token: requests with it are refused from now on.

    Example: ontrack token revoke 3
    """
    with _workspace(db, plan) as workspace:
        accounts = workspace.accounts()
        info = accounts.revoke_token(token_id)
        detail: dict[str, Any] = {"id": info.id, "label": info.label, "prefix": info.prefix}
        accounts.record_event(None, _actor(), "token.revoke", info.user, detail)
    if fmt is Format.JSON:
        print_json(info.to_json())
        return
    stdout.print(
        f"[green]✓[/green] revoked token {info.id} '{escape(info.label)}' of "
        f"[bold]{escape(info.user)}[/bold]"
    )
