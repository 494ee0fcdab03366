"""The store's side of accounts, on SQLite and PostgreSQL alike: users and their roles, failed
logins and locks, sessions, API tokens, and the append-only audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from ontrack.store import StoreError
from ontrack.store import accounts as db
from ontrack.store import db as store_db
from ontrack.store.repo import Store
from tests.conftest import HEADER

PLAN = HEADER + "tasks:\n  - {id: a, title: A, estimate: 2d}\n"
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = Store.open(db_url, None)
    opened.apply("P", [("plan.yaml", PLAN)], author="a", message="", tasks=1)
    opened.apply("Q", [("plan.yaml", PLAN)], author="a", message="", tasks=1)
    yield opened
    opened.close()


def add(store: Store, name: str, *, superuser: bool = False) -> db.UserRecord:
    record = db.insert_user(
        store,
        name=name,
        display=name.title(),
        password_hash=f"hash-of-{name}",
        superuser=superuser,
        now=T0,
    )
    assert record is not None
    return record


def test_users_are_unique_by_name_and_listed_by_name(store: Store) -> None:
    assert not db.has_users(store)
    bo = add(store, "bo")
    ana = add(store, "ana", superuser=True)
    assert db.has_users(store)
    assert (bo.name, bo.display, bo.superuser, bo.disabled, bo.failed_logins) == (
        "bo",
        "Bo",
        False,
        False,
        0,
    )
    assert bo.created_at == T0 and bo.locked_until is None
    taken = db.insert_user(
        store, name="bo", display="", password_hash="x", superuser=False, now=T0
    )
    assert taken is None
    assert [u.name for u in db.list_users(store)] == ["ana", "bo"]
    assert db.user_by_name(store, "ana") == ana
    assert db.user_by_name(store, "nobody") is None
    assert db.user_by_name(store, "x" * 1000) is None  # longer than any name: no query fails
    assert "hash-of" not in repr(ana)


def test_a_value_the_store_cannot_hold_is_refused_before_writing(store: Store) -> None:
    with pytest.raises(StoreError) as refused:
        db.insert_user(
            store, name="bo", display="x" * 201, password_hash="h", superuser=False, now=T0
        )
    assert refused.value.code == "E514"
    assert not db.has_users(store)


def test_roles_per_program(store: Store) -> None:
    bo = add(store, "bo")
    db.set_role(store, bo.id, "P", "editor")
    db.set_role(store, bo.id, "Q", "viewer")
    db.set_role(store, bo.id, "P", "admin")  # replaces
    user = db.user_by_name(store, "bo")
    assert user is not None and user.roles == {"P": "admin", "Q": "viewer"}
    assert [u.roles for u in db.list_users(store)] == [{"P": "admin", "Q": "viewer"}]
    assert db.remove_role(store, bo.id, "Q")
    assert not db.remove_role(store, bo.id, "Q")
    user = db.user_by_name(store, "bo")
    assert user is not None and user.roles == {"P": "admin"}
    with pytest.raises(StoreError) as unknown:
        db.set_role(store, bo.id, "Nope", "viewer")
    assert unknown.value.code == "E510"


def test_failed_logins_lock_and_a_success_or_a_new_password_resets(store: Store) -> None:
    bo = add(store, "bo")

    def lock(failures: int) -> dt.timedelta | None:
        return dt.timedelta(seconds=60 * failures) if failures >= 2 else None

    first = db.login_failed(store, bo.id, now=T0, lock_for=lock)
    assert (first.failed_logins, first.locked_until) == (1, None)
    second = db.login_failed(store, bo.id, now=T0, lock_for=lock)
    assert (second.failed_logins, second.locked_until) == (2, T0 + dt.timedelta(seconds=120))
    db.login_succeeded(store, bo.id, password_hash="rehashed")
    after = db.user_by_name(store, "bo")
    assert after is not None
    assert (after.failed_logins, after.locked_until, after.password_hash) == (0, None, "rehashed")
    db.login_failed(store, bo.id, now=T0, lock_for=lock)
    db.login_failed(store, bo.id, now=T0, lock_for=lock)
    changed = db.update_user(store, "bo", password_hash="new")
    assert changed is not None
    assert (changed.failed_logins, changed.locked_until, changed.password_hash) == (0, None, "new")
    disabled = db.update_user(store, "bo", disabled=True)
    assert disabled is not None and disabled.disabled and disabled.password_hash == "new"
    assert db.update_user(store, "nobody", disabled=True) is None


def test_sessions(store: Store) -> None:
    bo = add(store, "bo")
    idle = dt.timedelta(hours=2)
    mine = db.insert_session(
        store,
        token_hash="a" * 64,
        user_id=bo.id,
        csrf="c1",
        now=T0,
        expires_at=T0 + dt.timedelta(hours=12),
        idle=idle,
    )
    local = db.insert_session(
        store,
        token_hash="b" * 64,
        user_id=None,
        csrf="c2",
        now=T0,
        expires_at=T0 + dt.timedelta(hours=1),
        idle=idle,
    )
    assert "c1" not in repr(mine)
    found = db.find_session(store, "a" * 64)
    assert found is not None
    record, user = found
    assert record == mine and user is not None and user.name == "bo"
    assert record.expires_at == T0 + dt.timedelta(hours=12) and record.last_seen == T0
    assert db.find_session(store, "b" * 64) == (local, None)
    assert db.find_session(store, "f" * 64) is None
    db.touch_session(store, mine.id, T0 + dt.timedelta(minutes=5))
    touched = db.find_session(store, "a" * 64)
    assert touched is not None and touched[0].last_seen == T0 + dt.timedelta(minutes=5)
    # A new session sweeps away the expired (the local one, at 1 h) and the long idle.
    later = T0 + dt.timedelta(hours=1, minutes=30)
    db.insert_session(
        store,
        token_hash="d" * 64,
        user_id=bo.id,
        csrf="c3",
        now=later,
        expires_at=later + dt.timedelta(hours=12),
        idle=idle,
    )
    assert db.find_session(store, "b" * 64) is None
    assert db.find_session(store, "a" * 64) is not None
    assert db.delete_user_sessions(store, bo.id) == 2
    assert db.find_session(store, "a" * 64) is None
    assert not db.delete_session(store, "a" * 64)


def test_tokens(store: Store) -> None:
    bo = add(store, "bo")
    ana = add(store, "ana")
    first = db.insert_token(
        store, user_id=bo.id, label="CI", token_hash="1" * 64, prefix="abcd1234", now=T0
    )
    second = db.insert_token(
        store, user_id=ana.id, label="laptop", token_hash="2" * 64, prefix="efgh5678", now=T0
    )
    assert (first.user, first.label, first.prefix, first.last_used, first.revoked_at) == (
        "bo",
        "CI",
        "abcd1234",
        None,
        None,
    )
    assert db.list_tokens(store) == [first, second]
    assert db.list_tokens(store, ana.id) == [second]
    found = db.find_token(store, "1" * 64)
    assert found is not None and found[0] == first and found[1].name == "bo"
    assert db.find_token(store, "3" * 64) is None
    db.touch_token(store, first.id, T0 + dt.timedelta(minutes=3))
    revoked = db.revoke_token(store, first.id, T0 + dt.timedelta(hours=1))
    assert revoked is not None
    assert revoked.last_used == T0 + dt.timedelta(minutes=3)
    assert revoked.revoked_at == T0 + dt.timedelta(hours=1)
    again = db.revoke_token(store, first.id, T0 + dt.timedelta(hours=2))
    assert again == revoked  # the first revocation's time stays
    assert db.revoke_token(store, 999, T0) is None
    assert db.revoke_token(store, 2**40, T0) is None


def test_events_are_appended_and_read_newest_first(store: Store) -> None:
    def log(program: str | None, action: str, minute: int) -> db.EventRecord:
        return db.insert_event(
            store,
            program=program,
            at=T0 + dt.timedelta(minutes=minute),
            actor="cli:ana",
            action=action,
            target="bo",
            detail={"n": minute},
        )

    events = [log("P", "a", 0), log(None, "b", 1), log("Q", "c", 2), log("P", "d", 3)]
    assert [e.action for e in db.select_events(store, None, limit=10)] == ["d", "c", "b", "a"]
    assert [e.action for e in db.select_events(store, "P", limit=10)] == ["d", "a"]
    assert db.select_events(store, "P", limit=1) == [events[3]]
    page = db.select_events(store, None, limit=2, before=events[2].id)
    assert [e.action for e in page] == ["b", "a"]
    assert events[1].program is None and events[0].program == "P"
    assert events[0].detail == {"n": 0} and events[0].at == T0
    with pytest.raises(StoreError) as unknown:
        log("Nope", "e", 4)
    assert unknown.value.code == "E510"


def test_an_event_is_never_refused_for_how_its_actor_or_target_is_named(store: Store) -> None:
    event = db.insert_event(
        store,
        program=None,
        at=T0,
        actor="web:" + "x" * 300,
        action="login-failed",
        target="bad\x1bname" + "y" * 600,
        detail={"when": T0, "nested": {"list": [1, "two"]}},
    )
    assert len(event.actor) == 200 and len(event.target) == 500
    assert "\x1b" not in event.target
    assert event.detail == {"when": str(T0), "nested": {"list": [1, "two"]}}
    [read] = db.select_events(store, None, limit=5)
    assert read == event


def test_the_audit_log_offers_no_update_or_delete() -> None:
    touching = sorted(n for n in db.__all__ if "event" in n.lower())
    assert touching == ["EventRecord", "insert_event", "select_events"]


def test_a_store_from_before_accounts_is_migrated(tmp_path: Path) -> None:
    url = f"sqlite+pysqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    command.upgrade(store_db._alembic_config(engine), "0004")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO programs (id, name, created_at) VALUES (1, 'P', '2026-01-01')")
        )
    assert "users" not in inspect(engine).get_table_names()
    engine.dispose()
    store = Store.open(url, None, create=False)
    assert {"users", "memberships", "sessions", "api_tokens", "events"} <= set(
        inspect(store.engine).get_table_names()
    )
    bo = add(store, "bo")
    db.set_role(store, bo.id, "P", "viewer")
    store.close()
