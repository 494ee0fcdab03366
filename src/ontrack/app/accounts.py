"""Accounts for the web app: users with a role per program, server-side sessions, API tokens,
login throttling, and the append-only audit log. ``Workspace.accounts()`` opens them.

Nothing here prints or exits: a refused request raises :class:`AccountError` (E520–E527), a
store that cannot be used :class:`~ontrack.store.StoreError` (e.g. E510, a program not in the
store). No password or secret is kept, logged, or shown in a record's ``repr`` or an error:

* passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommended
  profile), rehashed on login when those defaults grow; a password is 12 to 128 characters,
  not a common one, not the user's name: OWASP ASVS 4 level 2 (V2.1), without composition rules;
* a login for an unknown or disabled user does the same work as one for a real user, so its
  timing does not tell which names exist;
* after 5 failed logins in a row the account is locked for 60 s, doubling with each further
  failure up to 15 min; a locked account is refused (E522) before its password is checked;
* a session cookie and an API token are 256 random bits; only their SHA-256 is stored.

Kept light to import, as the workspace is: the store and argon2 load on first use.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import math
import re
import secrets
import string
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from argon2 import PasswordHasher

    from ontrack.store.accounts import EventRecord, TokenRecord, UserRecord
    from ontrack.store.repo import Store

__all__ = [
    "CODES",
    "ROLES",
    "AccountError",
    "Accounts",
    "Event",
    "IssuedToken",
    "Role",
    "Session",
    "TokenInfo",
    "User",
    "check_name",
    "check_password",
]

Role = Literal["viewer", "editor", "admin"]
#: The roles, each allowing what the ones before it allow.
ROLES: tuple[Role, ...] = get_args(Role)

CODES = ("E520", "E521", "E522", "E523", "E524", "E525", "E526", "E527")

MIN_PASSWORD = 12
MAX_PASSWORD = 128
#: Failed logins in a row before the account locks, the first lock, and the longest.
LOCK_AFTER = 5
FIRST_LOCK = dt.timedelta(seconds=60)
LONGEST_LOCK = dt.timedelta(minutes=15)
SESSION_TTL = dt.timedelta(hours=12)
#: A session unused for longer has ended.
SESSION_IDLE = dt.timedelta(hours=2)
#: A session's last use and a token's are written at most this often.
TOUCH_EVERY = dt.timedelta(minutes=1)
#: The most events one call returns.
MAX_EVENTS = 1000
TOKEN_PREFIX = "otk_"
#: Longer secrets than any this module makes are not looked up at all.
_MAX_SECRET = 200

_NAME = re.compile(r"[a-z0-9][a-z0-9._@+-]*")
_NAME_LENGTH = 200
_TEXT_LENGTH = 200
_NAME_HINT = (
    "a user name is lowercase letters, digits and . _ - @ +, starting with a letter or a digit, "
    f"at most {_NAME_LENGTH} characters"
)


class AccountError(Exception):
    """A refused account operation, with a stable code and a hint. ``retry_after``: the seconds
    a locked account stays locked (E522)."""

    def __init__(
        self, code: str, message: str, hint: str = "", *, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class User:
    """A user and its role in each program (program name -> role). A superuser is admin
    everywhere, whatever its roles say."""

    id: int
    name: str
    display: str
    superuser: bool
    disabled: bool
    roles: Mapping[str, Role]
    locked_until: dt.datetime | None = None

    def role(self, program: str) -> Role | None:
        if self.superuser:
            return "admin"
        return self.roles.get(program)

    def can(self, program: str, needed: Role) -> bool:
        """Whether the user's role in ``program`` is ``needed`` or above (never when disabled)."""
        held = self.role(program)
        return (
            not self.disabled and held is not None and ROLES.index(held) >= ROLES.index(needed)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "display": self.display,
            "superuser": self.superuser,
            "disabled": self.disabled,
            "roles": dict(self.roles),
            "locked_until": _iso(self.locked_until),
        }


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in browser: its user (None: the single-user local session), the token its
    forms must send back, and when it ends at the latest."""

    user: User | None
    csrf: str = field(repr=False)
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new API token. ``secret`` is shown to its owner once: only its hash is stored."""

    id: int
    label: str
    secret: str = field(repr=False)
    prefix: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "prefix": self.prefix, "secret": self.secret}


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """An API token as a list shows it (never its secret)."""

    id: int
    user: str
    label: str
    prefix: str
    created_at: dt.datetime
    last_used: dt.datetime | None
    revoked_at: dt.datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "user": self.user,
            "label": self.label,
            "prefix": self.prefix,
            "created_at": _iso(self.created_at),
            "last_used": _iso(self.last_used),
            "revoked_at": _iso(self.revoked_at),
        }


@dataclass(frozen=True, slots=True)
class Event:
    """An entry of the audit log: ``actor`` did ``action`` to ``target``, in ``program`` (None:
    the store's users and tokens)."""

    id: int
    program: str | None
    at: dt.datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "program": self.program,
            "at": _iso(self.at),
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "detail": self.detail,
        }


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _normal(password: str) -> str:
    """NFKC, as NIST SP 800-63B asks: the same password typed on two keyboards is one."""
    return unicodedata.normalize("NFKC", password)


# -- the password policy ---------------------------------------------------------------------

# Passwords of 12 characters or more found near the top of breach corpora, and the words their
# variants are built on (checked with digits and punctuation stripped from both ends, so
# "Password2026!" is refused as well as "password1234").
_COMMON_TEXT = """
    123456789012 1234567890123 12345678901234 123456789123 1234567891011 123123123123
    123456123456 111111111111 000000000000 121212121212 112233445566 987654321098
    qwertyuiop12 qwertyuiop123 qwertyuiopasdf qwertyuiopasdfgh qwertyuiopasdfghjkl
    qwerty123456 qwerty12345678 1q2w3e4r5t6y 1q2w3e4r5t6y7u8i 1qaz2wsx3edc 1qaz2wsx3edc4rfv
    zaq12wsxcde3 zaq1zaq1zaq1 q1w2e3r4t5y6 q1w2e3r4t5y6u7i8 asdfghjkl123 asdfghjklqwe
    zxcvbnm12345 zxcvbnmasdfghjkl abc123456789 abcd12345678 abcdefghijkl abcdefghijklmnop
    passwordpassword password1234 password12345 password123456 passw0rd1234 p@ssw0rd1234
    mypassword123 mypassword1234 changeme1234 letmein12345 welcome12345 iloveyou1234
    iloveyouiloveyou administrator administrator1 admin1234567 admin123456789 adminadmin123
    rootroot1234 trustno1trustno1 qazwsxedcrfv qazwsxedcrfvtgb 1234qwerasdf 1234qwerasdfzxcv
    qwer1234qwer asdf1234asdf loveyouforever ilovemyfamily correcthorsebatterystaple
    thequickbrownfox blink182blink182 liverpool1234 chelsea12345 arsenal12345 manchester123
    """
_COMMON_WORDS_TEXT = """
    password passw0rd p@ssw0rd p@ssword mypassword qwerty qwertyuiop qwertyuiopasdf
    letmein welcome iloveyou admin administrator root changeme secret default guest
    monkey dragon master shadow superman batman football baseball basketball soccer princess
    sunshine starwars pokemon computer internet whatever michael jennifer jordan charlie
    trustno1 abc abcdef ontrack login test testing
    """
_COMMON = frozenset(_COMMON_TEXT.split())
_COMMON_WORDS = frozenset(_COMMON_WORDS_TEXT.split())
_EDGES = string.digits + string.punctuation + string.whitespace


def check_name(name: str) -> None:
    """Raise AccountError E520 when ``name`` cannot be a user's name."""
    if not _valid_name(name):
        raise AccountError("E520", f"{name[:60]!r} is not a valid user name", _NAME_HINT)


def _valid_name(name: str) -> bool:
    return len(name) <= _NAME_LENGTH and _NAME.fullmatch(name) is not None


def check_password(password: str, *, name: str = "") -> None:
    """Raise AccountError E521 when ``password`` is refused: under 12 or over 128 characters,
    a common password (or a common word with digits and punctuation around it), the user's
    name, or one character or a short run repeated. The message never repeats it."""
    text = _normal(password)
    if len(text) < MIN_PASSWORD or len(text) > MAX_PASSWORD:
        raise AccountError(
            "E521",
            f"the password is {len(text)} characters long",
            f"use {MIN_PASSWORD} to {MAX_PASSWORD} characters: a passphrase of several words "
            "is easy to remember and hard to guess",
        )
    lowered = text.lower()
    core = lowered.strip(_EDGES)
    if (
        lowered in _COMMON
        or core in _COMMON
        or core in _COMMON_WORDS
        or (name and core in (name.lower(), name.lower().split("@")[0]))
        or _repetitive(lowered)
    ):
        raise AccountError(
            "E521",
            "the password is too easy to guess (a common password, the user's name, or a "
            "repeated pattern)",
            "choose another: a passphrase of several unrelated words works well",
        )


def _repetitive(text: str) -> bool:
    """One to four characters repeated ("aaaa…", "abcabc…"), or a run ("abcdefg…", "9876…")."""
    if any(text == text[:n] * (len(text) // n) for n in range(1, 5) if len(text) % n == 0):
        return True
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(text)}
    return steps in ({1}, {-1})


# -- argon2 ----------------------------------------------------------------------------------


@functools.cache
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher  # noqa: PLC0415 - loaded when a password is first used

    return PasswordHasher()  # argon2id with RFC 9106's low-memory profile (64 MiB, t=3, p=4)


@functools.cache
def _dummy_hash() -> str:
    """A hash no password matches, verified for unknown and disabled users: the same work."""
    return _hasher().hash(secrets.token_urlsafe(32))


def _verify(stored: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError  # noqa: PLC0415

    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _lock_for(failures: int) -> dt.timedelta | None:
    """How long ``failures`` failed logins in a row lock an account (None: not at all)."""
    if failures < LOCK_AFTER:
        return None
    doublings = min(failures - LOCK_AFTER, 10)  # 60 s * 2**10 is past the cap already
    return min(FIRST_LOCK * (1 << doublings), LONGEST_LOCK)


def _as_role(value: str) -> Role | None:
    return next((r for r in ROLES if r == value), None)


def _user(record: UserRecord) -> User:
    roles = {p: r for p, text in record.roles.items() if (r := _as_role(text)) is not None}
    return User(
        record.id,
        record.name,
        record.display,
        record.superuser,
        record.disabled,
        MappingProxyType(roles),
        record.locked_until,
    )


def _token_info(record: TokenRecord) -> TokenInfo:
    return TokenInfo(
        record.id,
        record.user,
        record.label,
        record.prefix,
        record.created_at,
        record.last_used,
        record.revoked_at,
    )


def _event(record: EventRecord) -> Event:
    return Event(
        record.id,
        record.program,
        record.at,
        record.actor,
        record.action,
        record.target,
        record.detail,
    )


def _text_problem(value: str, what: str, *, required: bool) -> None:
    """E527 for a display name or a label that is empty (when ``required``), too long or holds
    a control character."""
    from ontrack.store.limits import text_problem  # noqa: PLC0415

    problem = text_problem(value, single_line=True)
    if problem is None and len(value) > _TEXT_LENGTH:
        problem = f"is {len(value)} characters long (at most {_TEXT_LENGTH})"
    if problem is None and required and not value.strip():
        problem = "is empty"
    if problem is not None:
        raise AccountError("E527", f"the {what} {problem}", f"give a {what} on one line")


class Accounts:
    """The store's users, sessions, tokens and audit log. ``clock`` gives the time (aware, UTC)
    for every decision: a test moves it instead of waiting."""

    def __init__(self, store: Store, *, clock: Callable[[], dt.datetime] | None = None) -> None:
        self._store = store
        self._clock = clock or _now

    def _time(self) -> dt.datetime:
        moment = self._clock()
        return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)

    # -- users -------------------------------------------------------------------------------

    def has_users(self) -> bool:
        from ontrack.store import accounts as db  # noqa: PLC0415

        return db.has_users(self._store)

    def add_user(
        self, name: str, password: str, *, display: str = "", superuser: bool = False
    ) -> User:
        """A new user (E520: the name is invalid or taken; E521: the password is refused;
        E527: the display name is unusable). ``display`` defaults to the name."""
        from ontrack.store import accounts as db  # noqa: PLC0415

        check_name(name)
        check_password(password, name=name)
        _text_problem(display, "display name", required=False)
        added = db.insert_user(
            self._store,
            name=name,
            display=display.strip() or name,
            password_hash=_hasher().hash(_normal(password)),
            superuser=superuser,
            now=self._time(),
        )
        if added is None:
            raise AccountError(
                "E520", f"there is a user '{name}' already", "choose another name"
            )
        return _user(added)

    def user(self, name: str) -> User:
        """The user (E523 when there is none of that name)."""
        return _user(self._record(name))

    def users(self) -> list[User]:
        """Every user, by name."""
        from ontrack.store import accounts as db  # noqa: PLC0415

        return [_user(r) for r in db.list_users(self._store)]

    def set_password(self, name: str, password: str) -> User:
        """Set the user's password (E521 when refused); this also lifts a lock. Call
        :meth:`end_sessions` too, so that a stolen session ends with the old password."""
        from ontrack.store import accounts as db  # noqa: PLC0415

        self._record(name)
        check_password(password, name=name)
        changed = db.update_user(
            self._store, name, password_hash=_hasher().hash(_normal(password))
        )
        return _user(self._found(changed, name))

    def disable_user(self, name: str) -> User:
        """Disable the user: it cannot log in, its sessions end and its tokens stop working
        (they come back with :meth:`enable_user`)."""
        from ontrack.store import accounts as db  # noqa: PLC0415

        record = self._found(db.update_user(self._store, name, disabled=True), name)
        db.delete_user_sessions(self._store, record.id)
        return _user(record)

    def enable_user(self, name: str) -> User:
        from ontrack.store import accounts as db  # noqa: PLC0415

        return _user(self._found(db.update_user(self._store, name, disabled=False), name))

    def grant(self, name: str, program: str, role: str) -> User:
        """Give the user ``role`` in ``program``, replacing its role there (E525: no such role;
        E523: no such user; the store's E510: no such program)."""
        from ontrack.store import accounts as db  # noqa: PLC0415

        checked = _as_role(role)
        if checked is None:
            raise AccountError(
                "E525", f"{role[:40]!r} is not a role", "roles: " + ", ".join(ROLES)
            )
        record = self._record(name)
        db.set_role(self._store, record.id, program, checked)
        return self.user(name)

    def revoke(self, name: str, program: str) -> User:
        """Take the user's role in ``program`` away (E526 when it has none there)."""
        from ontrack.store import accounts as db  # noqa: PLC0415

        record = self._record(name)
        if not db.remove_role(self._store, record.id, program):
            raise AccountError(
                "E526",
                f"'{name}' has no role in '{program}'",
                "see the roles: ontrack user list",
            )
        return self.user(name)

    def _record(self, name: str) -> UserRecord:
        from ontrack.store import accounts as db  # noqa: PLC0415

        return self._found(db.user_by_name(self._store, name), name)

    @staticmethod
    def _found(record: UserRecord | None, name: str) -> UserRecord:
        if record is None:
            raise AccountError(
                "E523", f"no user {name[:60]!r}", "see the users: ontrack user list"
            )
        return record

    # -- logging in ----------------------------------------------------------------------------

    def verify_login(self, name: str, password: str) -> User | None:
        """The user when ``password`` is its password and it may log in, else None; E522 while
        the account is locked (``retry_after`` seconds), before the password is checked."""
        from ontrack.store import accounts as db  # noqa: PLC0415

        now = self._time()
        record = db.user_by_name(self._store, name) if _valid_name(name) else None
        if record is not None and record.locked_until is not None and now < record.locked_until:
            left = math.ceil((record.locked_until - now).total_seconds())
            raise AccountError(
                "E522",
                f"the account '{name}' is locked for {left} s more after "
                f"{record.failed_logins} failed logins",
                "wait, or ask an admin to set a new password (ontrack user passwd)",
                retry_after=left,
            )
        text = _normal(password)
        usable = len(text) <= MAX_PASSWORD  # no longer one was ever accepted
        # The same argon2 verification whether the user exists or not: the time taken tells
        # nothing about which names exist.
        stored = record.password_hash if record is not None and usable else _dummy_hash()
        matched = _verify(stored, text[:MAX_PASSWORD]) and record is not None and usable
        if record is None:
            return None
        if not matched:
            db.login_failed(self._store, record.id, now=now, lock_for=_lock_for)
            return None
        if record.disabled:
            return None
        rehashed = _hasher().hash(text) if _hasher().check_needs_rehash(stored) else None
        db.login_succeeded(self._store, record.id, password_hash=rehashed)
        return _user(record)

    # -- sessions ----------------------------------------------------------------------------

    def create_session(
        self, user: User | None, *, ttl: dt.timedelta = SESSION_TTL
    ) -> tuple[str, Session]:
        """A new session for ``user`` (None: the single-user local session): the secret to
        set as its cookie (only its SHA-256 is stored) and the session."""
        from ontrack.store import accounts as db  # noqa: PLC0415

        now = self._time()
        secret = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        record = db.insert_session(
            self._store,
            token_hash=_digest(secret),
            user_id=None if user is None else user.id,
            csrf=csrf,
            now=now,
            expires_at=now + ttl,
            idle=SESSION_IDLE,
        )
        return secret, Session(user, csrf, record.expires_at)

    def session(self, secret: str) -> Session | None:
        """The session whose cookie is ``secret``: None when unknown, expired, unused for more
        than 2 hours, or its user is disabled."""
        from ontrack.store import accounts as db  # noqa: PLC0415

        if not secret or len(secret) > _MAX_SECRET:
            return None
        found = db.find_session(self._store, _digest(secret))
        if found is None:
            return None
        record, user = found
        now = self._time()
        if now >= record.expires_at or now - record.last_seen > SESSION_IDLE:
            db.delete_session(self._store, _digest(secret))
            return None
        if record.user_id is not None and (user is None or user.disabled):
            return None
        if now - record.last_seen >= TOUCH_EVERY:
            db.touch_session(self._store, record.id, now)
        return Session(None if user is None else _user(user), record.csrf, record.expires_at)

    def end_session(self, secret: str) -> None:
        """Log the session out (an unknown one is no error)."""
        from ontrack.store import accounts as db  # noqa: PLC0415

        if secret and len(secret) <= _MAX_SECRET:
            db.delete_session(self._store, _digest(secret))

    def end_sessions(self, user_name: str) -> int:
        """End every session of the user (after its password changed); how many there were."""
        from ontrack.store import accounts as db  # noqa: PLC0415

        return db.delete_user_sessions(self._store, self._record(user_name).id)

    # -- API tokens --------------------------------------------------------------------------

    def create_token(self, user_name: str, label: str) -> IssuedToken:
        """A new API token for the user; its secret is in the result only (E527: no label)."""
        from ontrack.store import accounts as db  # noqa: PLC0415

        record = self._record(user_name)
        _text_problem(label, "token label", required=True)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        prefix = secret[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 8]
        info = db.insert_token(
            self._store,
            user_id=record.id,
            label=label.strip(),
            token_hash=_digest(secret),
            prefix=prefix,
            now=self._time(),
        )
        return IssuedToken(info.id, info.label, secret, info.prefix)

    def tokens(self, user_name: str | None = None) -> list[TokenInfo]:
        """The tokens of one user, or of everyone, oldest first; revoked ones too."""
        from ontrack.store import accounts as db  # noqa: PLC0415

        user_id = None if user_name is None else self._record(user_name).id
        return [_token_info(r) for r in db.list_tokens(self._store, user_id)]

    def revoke_token(self, token_id: int) -> TokenInfo:
        """Revoke the token (E524: no such token); revoking it again changes nothing."""
        from ontrack.store import accounts as db  # noqa: PLC0415

        record = db.revoke_token(self._store, token_id, self._time())
        if record is None:
            raise AccountError("E524", f"no token {token_id}", "see the tokens: ontrack token list")
        return _token_info(record)

    def token_user(self, secret: str) -> User | None:
        """The user an API request's token stands for: None when the token is unknown, revoked,
        or its user disabled."""
        from ontrack.store import accounts as db  # noqa: PLC0415

        if not secret.startswith(TOKEN_PREFIX) or len(secret) > _MAX_SECRET:
            return None
        found = db.find_token(self._store, _digest(secret))
        if found is None:
            return None
        token, user = found
        if token.revoked_at is not None or user.disabled:
            return None
        now = self._time()
        if token.last_used is None or now - token.last_used >= TOUCH_EVERY:
            db.touch_token(self._store, token.id, now)
        return _user(user)

    # -- the audit log -----------------------------------------------------------------------

    def record_event(
        self,
        program: str | None,
        actor: str,
        action: str,
        target: str = "",
        detail: Mapping[str, Any] | None = None,
    ) -> Event:
        """Append to the audit log (the store's E510 for a program not in it). Never put a
        password or a secret in ``detail``."""
        from ontrack.store import accounts as db  # noqa: PLC0415

        record = db.insert_event(
            self._store,
            program=program,
            at=self._time(),
            actor=actor,
            action=action,
            target=target,
            detail=detail or {},
        )
        return _event(record)

    def events(
        self, program: str | None, *, limit: int = 100, before: int | None = None
    ) -> list[Event]:
        """The newest events of ``program`` (None: of the whole store), newest first: at most
        ``limit`` (up to 1000), with ids below ``before`` (the next page)."""
        from ontrack.store import accounts as db  # noqa: PLC0415

        if limit < 1:
            return []
        rows = db.select_events(self._store, program, limit=min(limit, MAX_EVENTS), before=before)
        return [_event(r) for r in rows]
