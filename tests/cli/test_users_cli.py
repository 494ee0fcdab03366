"""`ontrack user` and `ontrack token` end to end, on SQLite and PostgreSQL: bootstrapping the
first admin, roles, passwords, tokens whose secret is shown once, the audit log of every change,
and clear coded errors (never a traceback)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from ontrack.app.workspace import Workspace
from ontrack.cli.main import app
from tests.conftest import EXAMPLES

runner = CliRunner()
PROGRAM = "Checkout Revamp"  # examples/small
PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple gun lighthouse"


def run(*args: str, stdin: str | None = None) -> Result:
    result = runner.invoke(app, list(args), input=stdin)
    assert "Traceback" not in result.output
    return result


def ok(*args: str, stdin: str | None = None) -> str:
    result = run(*args, stdin=stdin)
    assert result.exit_code == 0, result.output
    return result.stdout


def refused(code: str, *args: str, stdin: str | None = None) -> Result:
    result = run(*args, stdin=stdin)
    assert result.exit_code == 1, result.output
    assert f"error {code}" in result.stderr, result.output
    return result


def as_json(*args: str, stdin: str | None = None) -> Any:
    return json.loads(ok(*args, "-f", "json", stdin=stdin))


@pytest.fixture
def db(db_url: str) -> list[str]:
    ok("apply", str(EXAMPLES / "small"), "--db", db_url)
    return ["--db", db_url]


def test_bootstrap_the_first_admin_and_manage_users(db: list[str]) -> None:
    assert as_json("user", "list", *db) == {"users": []}
    added = as_json(
        "user", "add", "ana", "--superuser", "--display", "Ana Lima", "--password-stdin", *db,
        stdin=PASSWORD + "\n",
    )
    assert added["user"]["name"] == "ana" and added["user"]["superuser"]
    assert added["user"]["display"] == "Ana Lima"
    text = ok(
        "user", "add", "bo", "--role", "editor", "--program", PROGRAM, "--password-stdin", *db,
        stdin=PASSWORD + "\n",
    )
    assert "bo" in text and "editor" in text
    users = as_json("user", "list", *db)["users"]
    assert [(u["name"], u["roles"]) for u in users] == [
        ("ana", {}),
        ("bo", {PROGRAM: "editor"}),
    ]
    granted = as_json("user", "grant", "bo", "--program", PROGRAM, "--role", "viewer", *db)
    assert granted["user"]["roles"] == {PROGRAM: "viewer"}
    revoked = as_json("user", "revoke", "bo", "--program", PROGRAM, *db)
    assert revoked["user"]["roles"] == {}
    assert json.loads(ok("user", "disable", "bo", *db, "-f", "json"))["user"]["disabled"]
    assert not as_json("user", "enable", "bo", *db)["user"]["disabled"]
    assert "ana" in ok("user", "list", *db)
    with Workspace.open(db[1], None) as workspace:
        accounts = workspace.accounts()
        assert accounts.verify_login("ana", PASSWORD) is not None
        events = accounts.events(None)
    assert [e.action for e in reversed(events)] == [
        "user.add",
        "user.add",
        "user.grant",
        "user.grant",
        "user.revoke",
        "user.disable",
        "user.enable",
    ]
    assert all(e.actor.startswith("cli:") for e in events)
    assert [e.program for e in reversed(events)][2:5] == [PROGRAM, PROGRAM, PROGRAM]
    assert all(PASSWORD not in json.dumps(e.to_json()) for e in events)


def test_passwords_come_from_a_hidden_prompt_typed_twice(db: list[str]) -> None:
    result = run("user", "add", "ana", *db, stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    mismatch = run("user", "add", "bo", *db, stdin=f"{PASSWORD}\n{NEW_PASSWORD}\n")
    assert mismatch.exit_code != 0
    assert [u["name"] for u in as_json("user", "list", *db)["users"]] == ["ana"]


def test_a_new_password_ends_the_sessions(db: list[str]) -> None:
    ok("user", "add", "bo", "--password-stdin", *db, stdin=PASSWORD + "\n")
    with Workspace.open(db[1], None) as workspace:
        accounts = workspace.accounts()
        user = accounts.user("bo")
        secret, _ = accounts.create_session(user)
    changed = as_json("user", "passwd", "bo", "--password-stdin", *db, stdin=NEW_PASSWORD + "\n")
    assert changed == {"user": "bo", "sessions_ended": 1}
    with Workspace.open(db[1], None) as workspace:
        accounts = workspace.accounts()
        assert accounts.session(secret) is None
        assert accounts.verify_login("bo", NEW_PASSWORD) is not None
        assert accounts.events(None, limit=1)[0].action == "user.passwd"
    refused("E521", "user", "passwd", "bo", "--password-stdin", *db, stdin="short\n")
    refused("E523", "user", "passwd", "nobody", "--password-stdin", *db, stdin=PASSWORD + "\n")


def test_tokens_are_shown_once_and_revoked(db: list[str]) -> None:
    ok("user", "add", "ana", "--password-stdin", *db, stdin=PASSWORD + "\n")
    made = run("token", "create", "ana", "--label", "CI", *db)
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip()
    assert secret.startswith("otk_") and "\n" not in secret  # only the secret on stdout
    assert "cannot be shown again" in made.stderr
    issued = as_json("token", "create", "ana", "--label", "laptop", *db)
    assert issued["secret"].startswith("otk_") and issued["prefix"] == issued["secret"][4:12]
    listed = ok("token", "list", *db, "-f", "json") + ok("token", "list", "--user", "ana", *db)
    assert secret not in listed and issued["secret"] not in listed
    tokens = as_json("token", "list", "--user", "ana", *db)["tokens"]
    assert [t["label"] for t in tokens] == ["CI", "laptop"]
    with Workspace.open(db[1], None) as workspace:
        user = workspace.accounts().token_user(secret)
    assert user is not None and user.name == "ana"
    revoked = as_json("token", "revoke", str(tokens[0]["id"]), *db)
    assert revoked["revoked_at"] is not None
    with Workspace.open(db[1], None) as workspace:
        accounts = workspace.accounts()
        assert accounts.token_user(secret) is None
        actions = [e.action for e in accounts.events(None)]
        log = json.dumps([e.to_json() for e in accounts.events(None)])
    assert actions[:3] == ["token.revoke", "token.create", "token.create"]
    assert secret not in log and issued["secret"] not in log
    refused("E524", "token", "revoke", "999", *db)
    refused("E523", "token", "create", "nobody", "--label", "x", *db)
    refused("E523", "token", "list", "--user", "nobody", *db)


def test_errors_are_coded(db: list[str]) -> None:
    add = ["user", "add", "--password-stdin", *db]
    refused("E520", *add[:2], "Ana", *add[2:], stdin=PASSWORD + "\n")
    refused("E521", *add[:2], "ana", *add[2:], stdin="password1234\n")
    refused("E521", *add[:2], "ana", *add[2:], stdin="")
    refused(
        "E510", *add[:2], "ana", "--role", "viewer", "--program", "Nope", *add[2:],
        stdin=PASSWORD + "\n",
    )
    assert as_json("user", "list", *db) == {"users": []}  # nothing added by a refused command
    ok(*add[:2], "ana", *add[2:], stdin=PASSWORD + "\n")
    refused("E520", *add[:2], "ana", *add[2:], stdin=PASSWORD + "\n")
    refused("E523", "user", "grant", "nobody", "--program", PROGRAM, "--role", "viewer", *db)
    refused("E510", "user", "grant", "ana", "--program", "Nope", "--role", "viewer", *db)
    refused("E526", "user", "revoke", "ana", "--program", PROGRAM, *db)
    refused("E523", "user", "disable", "nobody", *db)
    bad_role = run("user", "grant", "ana", "--program", PROGRAM, "--role", "owner", *db)
    assert bad_role.exit_code == 2
    unpaired = run(
        *add[:2], "bo", "--role", "viewer", "--role", "admin", "--program", PROGRAM, *add[2:],
        stdin=PASSWORD + "\n",
    )
    assert unpaired.exit_code == 2


def test_the_store_must_exist(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    result = refused(
        "E503", "user", "add", "ana", "--password-stdin", "--db", str(missing),
        stdin=PASSWORD + "\n",
    )
    assert "ontrack apply" in result.stderr
    assert not missing.exists()
    refused("E503", "user", "list", "--plan", str(tmp_path))
    refused("E503", "token", "list", "--plan", str(tmp_path))
