"""Who is asking, and may they: sessions (cookie), API tokens (bearer), CSRF on every change,
roles per program, and the table of what each route needs (the authorization test walks it).

Single-user mode: a store with no users, served on loopback, treats every caller as the local
admin (the page says so). As soon as a user exists, everyone logs in.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from fastapi import Request

if TYPE_CHECKING:
    from ontrack.app.accounts import Accounts, Session, User

Role = Literal["viewer", "editor", "admin"]
Need = Literal["public", "login", "viewer", "editor", "admin"]
_RANK = {"viewer": 1, "editor": 2, "admin": 3}

COOKIE = "ontrack_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: (method, path template) -> what the route needs. Filled by :func:`needs` as routes are
#: declared; a route missing here is refused (and fails the authorization test).
ROUTE_NEEDS: dict[tuple[str, str], Need] = {}


def needs(method: str, path: str, need: Need) -> None:
    ROUTE_NEEDS[(method.upper(), path)] = need


@dataclass(frozen=True, slots=True)
class Actor:
    """The caller: a user, the local single user, or nobody."""

    name: str  # what the audit log and revisions record
    user: User | None
    local: bool  # single-user mode
    via: Literal["session", "token", "none"]
    session: Session | None = None
    cookie: str | None = None

    @property
    def display(self) -> str:
        """The name a sign-off records: the user's display name (else ``name``)."""
        return self.user.display if self.user is not None else self.name

    @property
    def authenticated(self) -> bool:
        return self.local or self.user is not None

    def role(self, program: str) -> Role | None:
        if self.local:
            return "admin"
        if self.user is None:
            return None
        return self.user.role(program)

    def can(self, program: str, need: Role) -> bool:
        role = self.role(program)
        return role is not None and _RANK[role] >= _RANK[need]

    @property
    def csrf(self) -> str:
        return self.session.csrf if self.session is not None else ""


class ModeCache:
    """Whether the store has users, re-read at most every few seconds (a user added from the
    CLI ends single-user mode without a restart)."""

    def __init__(self, accounts: Accounts, loopback: bool) -> None:
        self._accounts = accounts
        self._loopback = loopback
        self._checked = 0.0
        self._users = False

    def single_user(self) -> bool:
        now = time.monotonic()
        if now - self._checked > 2.0:
            self._users = self._accounts.has_users()
            self._checked = now
        return self._loopback and not self._users

    def forget(self) -> None:
        self._checked = 0.0


def identify(request: Request, accounts: Accounts, single_user: bool) -> Actor:
    """The actor of a request: a bearer token wins over the cookie."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = accounts.token_user(header[7:].strip())
        if user is not None:
            return Actor(user.name, user, False, "token")
        return Actor("anonymous", None, False, "none")
    return identify_with(request, accounts, single_user, request.cookies.get(COOKIE))


def identify_with(
    request: Request, accounts: Accounts, single_user: bool, cookie: str | None
) -> Actor:
    """The actor of a session cookie (or of none)."""
    session = accounts.session(cookie) if cookie else None
    if session is not None:
        if single_user:
            return Actor("local", None, True, "session", session, cookie)
        if session.user is not None and not session.user.disabled:
            return Actor(session.user.name, session.user, False, "session", session, cookie)
        return Actor("anonymous", None, False, "session", session, cookie)
    if single_user:
        return Actor("local", None, True, "none")
    return Actor("anonymous", None, False, "none")


def csrf_ok(actor: Actor, sent: str | None) -> bool:
    """A change made with a cookie must carry the session's CSRF token; a bearer token is not
    sent by browsers on their own, so it needs none."""
    if actor.via == "token":
        return True
    if actor.session is None or not sent:
        return False
    return secrets.compare_digest(actor.session.csrf, sent)
