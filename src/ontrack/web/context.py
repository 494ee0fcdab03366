"""What the web app's modules share: its settings, the state every route reaches (the open
store and the services on it), the caller of a request, and the session cookie."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request, Response

from ontrack.web.auth import COOKIE, Actor, ModeCache

if TYPE_CHECKING:
    from ontrack.app.accounts import Accounts
    from ontrack.app.assessment import AssessOptions
    from ontrack.app.programs import Programs
    from ontrack.app.workspace import Workspace

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


@dataclass(frozen=True, slots=True)
class Settings:
    """How the app is served. ``db`` as every command takes it (None: $ONTRACK_DB, else beside
    ``plan``)."""

    db: str | None = None
    plan: Path | None = None
    host: str = "127.0.0.1"
    options: AssessOptions | None = None
    secure_cookies: bool | None = None  # None: Secure unless plain HTTP on a non-loopback host
    session_hours: float = 12.0
    workers: int = 2
    today: Callable[[], dt.date] | None = None
    # Seconds a page waits for an assessment being computed before it shows the progress page
    # instead (most programs: no progress page at all).
    wait_page_after: float = 1.5
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def loopback(self) -> bool:
        return self.host in LOOPBACK


@dataclass(slots=True)
class State:
    """What the routes share: the open store and the services on it."""

    settings: Settings
    workspace: Workspace
    programs: Programs
    accounts: Accounts
    mode: ModeCache


def state(request: Request) -> State:
    found: State = request.app.state.ontrack
    return found


def actor_of(request: Request) -> Actor:
    found: Actor = request.state.actor
    return found


def secure_cookie(request: Request, settings: Settings) -> bool:
    if settings.secure_cookies is not None:
        return settings.secure_cookies
    # Browsers keep Secure cookies on plain HTTP only for loopback hosts.
    return request.url.scheme == "https" or (request.url.hostname or "") in LOOPBACK


def set_session_cookie(
    request: Request, response: Response, secret: str, settings: Settings
) -> None:
    response.set_cookie(
        COOKIE,
        secret,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        secure=secure_cookie(request, settings),
        samesite="strict",
        path="/",
    )
