"""Accounts: users and their roles, the password policy, login throttling (on a clock the tests
move), sessions that expire and go idle, API tokens, the audit log, and secrets kept out of
every repr and message. On SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from ontrack.app import accounts as accounts_module
from ontrack.app.accounts import (
    CODES,
    ROLES,
    AccountError,
    Accounts,
    Event,
    IssuedToken,
    Session,
    TokenInfo,
    User,
    check_password,
)
from ontrack.app.workspace import StoreError, Workspace
from ontrack.store import accounts as store_accounts
from ontrack.store.repo import Store
from tests.conftest import HEADER

PLAN = HEADER + "tasks:\n  - {id: a, title: A, estimate: 2d}\n"
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
GOOD = "correct horse battery"  # 21 characters, not on the list
OTHER = "staple gun lighthouse"
LONGEST = "q" + GOOD * 6 + "z"  # 128 characters


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = Store.open(db_url, None)
    for name in ("P", "Q"):
        opened.apply(name, [("plan.yaml", PLAN)], author="a", message="", tasks=1)
    yield opened
    opened.close()


CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
CHEAP_DUMMY = CHEAP.hash("no password matches this")


@pytest.fixture
def accounts(store: Store, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Accounts:
    """Accounts on a cheap argon2id (a millisecond a hash, not a tenth of a second): the tests
    hash hundreds of times. test_passwords_are_hashed_with_argon2id_defaults uses the real one."""
    monkeypatch.setattr(accounts_module, "_hasher", lambda: CHEAP)
    monkeypatch.setattr(accounts_module, "_dummy_hash", lambda: CHEAP_DUMMY)
    return Workspace(store).accounts(clock=clock)


def code_of(exc: pytest.ExceptionInfo[AccountError] | pytest.ExceptionInfo[StoreError]) -> str:
    return exc.value.code


# -- users and roles -----------------------------------------------------------------------


def test_roles_are_ordered_and_checked_per_program(accounts: Accounts) -> None:
    assert ROLES == ("viewer", "editor", "admin")
    assert not accounts.has_users()
    bo = accounts.add_user("bo", GOOD, display="Bo Berg")
    assert accounts.has_users()
    assert (bo.name, bo.display, bo.superuser, bo.disabled, dict(bo.roles)) == (
        "bo",
        "Bo Berg",
        False,
        False,
        {},
    )
    bo = accounts.grant("bo", "P", "editor")
    assert bo.role("P") == "editor" and bo.role("Q") is None
    assert bo.can("P", "viewer") and bo.can("P", "editor") and not bo.can("P", "admin")
    assert not bo.can("Q", "viewer")
    bo = accounts.grant("bo", "P", "viewer")  # replaces
    assert dict(bo.roles) == {"P": "viewer"} and not bo.can("P", "editor")
    root = accounts.add_user("root.admin", GOOD, superuser=True)
    assert root.display == "root.admin"  # the name when none is given
    assert root.role("Q") == "admin" and root.can("Q", "admin")
    assert [u.name for u in accounts.users()] == ["bo", "root.admin"]
    assert accounts.user("bo") == bo
    bo = accounts.revoke("bo", "P")
    assert bo.role("P") is None
    with pytest.raises(AccountError) as none_left:
        accounts.revoke("bo", "P")
    assert code_of(none_left) == "E526"


def test_grants_are_checked(accounts: Accounts) -> None:
    accounts.add_user("bo", GOOD)
    with pytest.raises(AccountError) as role:
        accounts.grant("bo", "P", "owner")
    assert code_of(role) == "E525"
    with pytest.raises(AccountError) as user:
        accounts.grant("nobody", "P", "viewer")
    assert code_of(user) == "E523"
    with pytest.raises(StoreError) as program:
        accounts.grant("bo", "Nope", "viewer")
    assert code_of(program) == "E510"
    with pytest.raises(AccountError) as unknown:
        accounts.user("nobody")
    assert code_of(unknown) == "E523"


def test_a_disabled_user_can_nothing_until_enabled(accounts: Accounts) -> None:
    accounts.add_user("bo", GOOD)
    accounts.grant("bo", "P", "admin")
    bo = accounts.disable_user("bo")
    assert bo.disabled and bo.role("P") == "admin" and not bo.can("P", "viewer")
    assert accounts.verify_login("bo", GOOD) is None
    bo = accounts.enable_user("bo")
    assert bo.can("P", "admin")
    assert accounts.verify_login("bo", GOOD) == bo


def test_names_are_checked_and_taken_once(accounts: Accounts) -> None:
    for name in ["Bo", "bo smith", "", "-bo", "bo\n", "bø", "x" * 201, ".hidden", "bo/ana"]:
        with pytest.raises(AccountError) as refused:
            accounts.add_user(name, GOOD)
        assert code_of(refused) == "E520", name
    with pytest.raises(AccountError) as display:
        accounts.add_user("bo", GOOD, display="Bo\x1b[31m")
    assert code_of(display) == "E527"
    assert not accounts.has_users()
    accounts.add_user("ana@example.com", GOOD)
    accounts.add_user("x" * 200, GOOD)
    with pytest.raises(AccountError) as taken:
        accounts.add_user("ana@example.com", OTHER)
    assert code_of(taken) == "E520"


@pytest.mark.parametrize(
    "password",
    [
        "",
        "short pass",  # 10 characters
        LONGEST + "!",  # 129 characters
        "password1234",
        "Password2026!",  # a common word with digits and punctuation around it
        "QWERTY123456",
        "aaaaaaaaaaaaaaaa",
        "abcabcabcabcabc",
        "abcdefghijklmnopq",
        "bo.berg2026!",  # the user's name
    ],
)
def test_weak_passwords_are_refused_without_being_repeated(password: str) -> None:
    with pytest.raises(AccountError) as refused:
        check_password(password, name="bo.berg")
    assert code_of(refused) == "E521"
    if password:
        assert password not in refused.value.message + refused.value.hint


@pytest.mark.parametrize(
    "password", [GOOD, "x7#Kp2!qLm9$", "ünïcödé pässwörd", "111 a long phrase here", LONGEST]
)
def test_good_passwords_have_no_composition_rules(password: str) -> None:
    check_password(password, name="bo")


def test_a_new_password_is_checked_and_replaces_the_old(accounts: Accounts) -> None:
    accounts.add_user("bo", GOOD)
    with pytest.raises(AccountError) as weak:
        accounts.set_password("bo", "password1234")
    assert code_of(weak) == "E521"
    with pytest.raises(AccountError) as unknown:
        accounts.set_password("nobody", OTHER)
    assert code_of(unknown) == "E523"
    accounts.set_password("bo", OTHER)
    assert accounts.verify_login("bo", GOOD) is None
    assert accounts.verify_login("bo", OTHER) is not None


def test_passwords_are_compared_as_nfkc(accounts: Accounts) -> None:
    composed = "caf\u00e9 au lait, please"
    decomposed = "cafe\u0301 au lait, please"
    accounts.add_user("bo", composed)
    assert accounts.verify_login("bo", decomposed) is not None


# -- logging in ----------------------------------------------------------------------------


def test_login(accounts: Accounts) -> None:
    added = accounts.add_user("bo", GOOD)
    assert accounts.verify_login("bo", GOOD) == added
    assert accounts.verify_login("bo", OTHER) is None
    assert accounts.verify_login("nobody", GOOD) is None
    assert accounts.verify_login("Not A Name", GOOD) is None
    assert accounts.verify_login("bo", "x" * 10_000) is None  # longer than any password


def test_every_login_does_the_same_argon2_work(
    accounts: Accounts, monkeypatch: pytest.MonkeyPatch, clock: Clock
) -> None:
    accounts.add_user("bo", GOOD)
    accounts.add_user("cy", GOOD)
    accounts.disable_user("cy")
    calls: list[str] = []
    real = accounts_module._verify

    def counting(stored: str, password: str) -> bool:
        calls.append(stored)
        return real(stored, password)

    monkeypatch.setattr(accounts_module, "_verify", counting)
    for name, password in [
        ("bo", GOOD),
        ("bo", OTHER),
        ("nobody", GOOD),
        ("Bad Name", GOOD),
        ("cy", GOOD),
        ("bo", "x" * 500),
    ]:
        calls.clear()
        accounts.verify_login(name, password)
        assert len(calls) == 1, name
    for _ in range(3):  # two failures above, three more: locked
        accounts.verify_login("bo", OTHER)
    calls.clear()
    with pytest.raises(AccountError):
        accounts.verify_login("bo", GOOD)
    assert calls == []  # locked: the password is not even checked


def test_failed_logins_lock_the_account_with_a_doubling_lock(
    accounts: Accounts, clock: Clock
) -> None:
    accounts.add_user("bo", GOOD)
    for _ in range(4):
        assert accounts.verify_login("bo", OTHER) is None
    assert accounts.user("bo").locked_until is None
    assert accounts.verify_login("bo", OTHER) is None  # the fifth: locked for 60 s
    with pytest.raises(AccountError) as locked:
        accounts.verify_login("bo", GOOD)  # even the right password
    assert code_of(locked) == "E522" and locked.value.retry_after == 60
    assert GOOD not in str(locked.value) and OTHER not in str(locked.value)
    clock.advance(seconds=45)
    with pytest.raises(AccountError) as still:
        accounts.verify_login("bo", GOOD)
    assert still.value.retry_after == 15
    clock.advance(seconds=15)
    assert accounts.verify_login("bo", OTHER) is None  # the sixth: 120 s
    with pytest.raises(AccountError) as longer:
        accounts.verify_login("bo", GOOD)
    assert longer.value.retry_after == 120
    clock.advance(seconds=120)
    assert accounts.verify_login("bo", GOOD) is not None  # a success resets the count
    assert accounts.verify_login("bo", OTHER) is None
    assert accounts.user("bo").locked_until is None


def test_the_lock_doubles_up_to_15_minutes() -> None:
    lock = accounts_module._lock_for
    assert [lock(n) for n in range(5)] == [None] * 5
    seconds = [t.total_seconds() for n in range(5, 12) if (t := lock(n)) is not None]
    assert seconds == [60, 120, 240, 480, 900, 900, 900]
    assert lock(10**6) == dt.timedelta(minutes=15)


def test_a_new_password_lifts_the_lock(accounts: Accounts) -> None:
    accounts.add_user("bo", GOOD)
    for _ in range(5):
        accounts.verify_login("bo", OTHER)
    accounts.set_password("bo", OTHER)
    assert accounts.verify_login("bo", OTHER) is not None


def test_passwords_are_hashed_with_argon2id_defaults(store: Store, clock: Clock) -> None:
    real = Workspace(store).accounts(clock=clock)  # not the tests' cheap hasher
    real.add_user("bo", GOOD)
    record = store_accounts.user_by_name(store, "bo")
    assert record is not None and record.password_hash.startswith("$argon2id$")
    assert not PasswordHasher().check_needs_rehash(record.password_hash)
    assert accounts_module._dummy_hash().startswith("$argon2id$")
    assert real.verify_login("bo", GOOD) is not None


def test_an_old_hash_is_upgraded_at_login(accounts: Accounts, store: Store) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(GOOD)
    store_accounts.insert_user(
        store, name="old", display="Old", password_hash=weak, superuser=False, now=T0
    )
    assert accounts.verify_login("old", GOOD) is not None
    record = store_accounts.user_by_name(store, "old")
    assert record is not None and record.password_hash != weak
    assert not CHEAP.check_needs_rehash(record.password_hash)
    assert accounts.verify_login("old", GOOD) is not None


# -- sessions ------------------------------------------------------------------------------


def test_sessions_expire_and_go_idle(accounts: Accounts, clock: Clock) -> None:
    bo = accounts.add_user("bo", GOOD)
    secret, session = accounts.create_session(bo, ttl=dt.timedelta(hours=3))
    assert session.user == bo and session.expires_at == T0 + dt.timedelta(hours=3)
    assert len(secret) >= 43 and len(session.csrf) >= 43 and secret != session.csrf
    again = accounts.session(secret)
    assert again is not None and again.user == bo and again.csrf == session.csrf
    assert accounts.session("not-a-session") is None
    assert accounts.session("") is None
    # Used every 100 minutes, it lives to its end; not past it.
    clock.advance(minutes=100)
    assert accounts.session(secret) is not None
    clock.advance(minutes=79)
    assert accounts.session(secret) is not None
    clock.advance(minutes=1)
    assert accounts.session(secret) is None  # 3 h: expired
    # Idle for over two hours: ended.
    secret, _ = accounts.create_session(bo)
    clock.advance(hours=2, seconds=1)
    assert accounts.session(secret) is None


def test_a_session_is_touched_at_most_once_a_minute(
    accounts: Accounts, store: Store, clock: Clock
) -> None:
    secret, _ = accounts.create_session(None)
    digest = accounts_module._digest(secret)

    def last_seen() -> dt.datetime:
        found = store_accounts.find_session(store, digest)
        assert found is not None
        return found[0].last_seen

    clock.advance(seconds=30)
    accounts.session(secret)
    assert last_seen() == T0
    clock.advance(seconds=30)
    accounts.session(secret)
    assert last_seen() == T0 + dt.timedelta(minutes=1)


def test_the_local_session_and_logging_out(accounts: Accounts) -> None:
    secret, session = accounts.create_session(None)
    assert session.user is None
    found = accounts.session(secret)
    assert found is not None and found.user is None
    accounts.end_session(secret)
    assert accounts.session(secret) is None
    accounts.end_session(secret)  # again: no error
    accounts.end_session("")


def test_a_new_password_or_disabling_ends_the_sessions(accounts: Accounts) -> None:
    bo = accounts.add_user("bo", GOOD)
    first, _ = accounts.create_session(bo)
    second, _ = accounts.create_session(bo)
    local, _ = accounts.create_session(None)
    accounts.set_password("bo", OTHER)
    assert accounts.end_sessions("bo") == 2
    assert accounts.session(first) is None and accounts.session(second) is None
    assert accounts.session(local) is not None
    third, _ = accounts.create_session(bo)
    accounts.disable_user("bo")
    assert accounts.session(third) is None
    with pytest.raises(AccountError) as unknown:
        accounts.end_sessions("nobody")
    assert code_of(unknown) == "E523"


def test_a_session_sees_the_users_current_roles(accounts: Accounts) -> None:
    bo = accounts.add_user("bo", GOOD)
    secret, _ = accounts.create_session(bo)
    accounts.grant("bo", "Q", "editor")
    found = accounts.session(secret)
    assert found is not None and found.user is not None and found.user.role("Q") == "editor"


# -- API tokens ----------------------------------------------------------------------------


def test_tokens(accounts: Accounts, clock: Clock) -> None:
    bo = accounts.add_user("bo", GOOD)
    accounts.add_user("ana", OTHER)
    issued = accounts.create_token("bo", "  CI  ")
    assert issued.secret.startswith("otk_") and len(issued.secret) >= 4 + 43
    assert issued.prefix == issued.secret[4:12] and issued.label == "CI"
    assert accounts.token_user(issued.secret) == bo
    assert accounts.token_user(issued.secret + "x") is None
    assert accounts.token_user(issued.secret[4:]) is None  # no otk_: not even looked up
    assert accounts.token_user("otk_" + "x" * 500) is None
    other = accounts.create_token("ana", "laptop")
    listed = accounts.tokens()
    assert [(t.id, t.user, t.label, t.prefix) for t in listed] == [
        (issued.id, "bo", "CI", issued.prefix),
        (other.id, "ana", "laptop", other.prefix),
    ]
    assert [t.id for t in accounts.tokens("ana")] == [other.id]
    assert listed[0].last_used == T0
    for info in listed:
        text = repr(info) + str(info.to_json())
        assert issued.secret not in text and other.secret not in text
    revoked = accounts.revoke_token(issued.id)
    assert revoked.revoked_at == T0
    assert accounts.token_user(issued.secret) is None
    assert accounts.revoke_token(issued.id).revoked_at == T0  # again: unchanged
    with pytest.raises(AccountError) as unknown:
        accounts.revoke_token(12345)
    assert code_of(unknown) == "E524"
    accounts.disable_user("ana")
    assert accounts.token_user(other.secret) is None
    accounts.enable_user("ana")
    assert accounts.token_user(other.secret) is not None


def test_a_tokens_last_use_is_written_at_most_once_a_minute(
    accounts: Accounts, clock: Clock
) -> None:
    accounts.add_user("bo", GOOD)
    issued = accounts.create_token("bo", "CI")
    assert accounts.tokens()[0].last_used is None
    accounts.token_user(issued.secret)
    clock.advance(seconds=59)
    accounts.token_user(issued.secret)
    assert accounts.tokens()[0].last_used == T0
    clock.advance(seconds=1)
    accounts.token_user(issued.secret)
    assert accounts.tokens()[0].last_used == T0 + dt.timedelta(minutes=1)


def test_a_token_needs_a_user_and_a_label(accounts: Accounts) -> None:
    accounts.add_user("bo", GOOD)
    with pytest.raises(AccountError) as no_user:
        accounts.create_token("nobody", "CI")
    assert code_of(no_user) == "E523"
    with pytest.raises(AccountError) as no_label:
        accounts.create_token("bo", "   ")
    assert code_of(no_label) == "E527"
    with pytest.raises(AccountError) as unknown:
        accounts.tokens("nobody")
    assert code_of(unknown) == "E523"


# -- the audit log -------------------------------------------------------------------------


def test_events_are_appended_and_read_newest_first(accounts: Accounts, clock: Clock) -> None:
    first = accounts.record_event("P", "cli:ana", "user.grant", "bo", {"role": "editor"})
    assert (first.program, first.at, first.actor, first.action, first.target, first.detail) == (
        "P",
        T0,
        "cli:ana",
        "user.grant",
        "bo",
        {"role": "editor"},
    )
    clock.advance(minutes=1)
    second = accounts.record_event(None, "bo", "login")
    clock.advance(minutes=1)
    third = accounts.record_event("Q", "bo", "baseline", "approved", {"revision": 1})
    assert second.detail == {} and second.target == ""
    assert accounts.events(None) == [third, second, first]
    assert accounts.events("P") == [first]
    assert accounts.events(None, limit=1) == [third]
    assert accounts.events(None, before=third.id) == [second, first]
    assert accounts.events(None, limit=0) == []
    assert first.to_json()["at"] == "2026-03-02T09:00:00+00:00"
    with pytest.raises(StoreError) as unknown:
        accounts.record_event("Nope", "bo", "x")
    assert code_of(unknown) == "E510"


def test_the_audit_log_cannot_be_changed_through_accounts() -> None:
    public = {n for n in dir(Accounts) if not n.startswith("_")}
    assert {n for n in public if "event" in n} == {"record_event", "events"}


# -- secrets -------------------------------------------------------------------------------


def test_no_secret_in_any_record_repr(accounts: Accounts) -> None:
    bo = accounts.add_user("bo", GOOD)
    secret, session = accounts.create_session(bo)
    issued = accounts.create_token("bo", "CI")
    for record in (bo, session, issued, accounts.tokens()[0], accounts.users()[0]):
        text = repr(record)
        for hidden in (GOOD, secret, session.csrf, issued.secret, "$argon2"):
            assert hidden not in text, (type(record).__name__, hidden)
    assert issued.to_json()["secret"] == issued.secret  # shown once, on purpose


def test_records_are_frozen_and_slotted() -> None:
    for cls in (User, Session, IssuedToken, TokenInfo, Event):
        assert dataclasses.is_dataclass(cls) and "__slots__" in vars(cls)
        params = getattr(cls, "__dataclass_params__")  # noqa: B009
        assert params.frozen


def test_the_codes_are_the_documented_range() -> None:
    assert tuple(f"E52{n}" for n in range(8)) == CODES
