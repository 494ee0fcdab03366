"""What the browser tests of the web app share: Debian's Chromium (required under
ONTRACK_REQUIRE_CHROMIUM), a store holding the example program, a real uvicorn server on a free
loopback port, and a watcher that records every console error, page error, CSP violation and
dialog of the pages a test opens."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES, PG_URL

CHROMIUM = next(
    (
        found
        for name in ("chromium", "chromium-browser", "google-chrome")
        if (found := shutil.which(name))
    ),
    None,
)

#: The user the tests log in as (an editor of the program).
USER = "tpm"
PASSWORD = "correct-horse-staple-41"


def require_chromium() -> str:
    """Chromium's path; skip without it, or fail under ONTRACK_REQUIRE_CHROMIUM (make test)."""
    if CHROMIUM is not None:
        return CHROMIUM
    message = "Chromium is not installed (scripts/ensure-chromium installs Debian's)"
    if os.environ.get("ONTRACK_REQUIRE_CHROMIUM"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def pinned_today() -> dt.date:
    """The day the suite pins as today (tests/conftest.py sets ONTRACK_TODAY)."""
    from ontrack.app.asof import today

    return today()


# -- the store -----------------------------------------------------------------------------------


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A store URL on a PostgreSQL schema of its own, dropped afterwards (skipped when the
    server is unreachable, failed under ONTRACK_REQUIRE_PG)."""
    import psycopg
    from sqlalchemy.engine import make_url

    from tests.conftest import _postgres_or_skip

    _postgres_or_skip()
    url = make_url(PG_URL)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    conninfo = psycopg.conninfo.make_conninfo(
        host=url.host, port=url.port or 5432, user=url.username, dbname=url.database
    )
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def record_example(folder: Path, db: str, *, users: bool = True) -> tuple[Path, str]:
    """A copy of examples/platform-migration recorded in the store ``db``: one revision, the
    baseline 'approved', the four status files; with ``users`` the user USER, an editor of the
    program (so that everyone logs in). Returns the plan folder and the program."""
    from ontrack.app.workspace import Workspace
    from ontrack.planfile import load_plan, plan_sources

    plan_dir = folder / "plan"
    shutil.copytree(EXAMPLES / "platform-migration", plan_dir)
    plan, diagnostics = load_plan(plan_dir)
    assert plan is not None, diagnostics
    with Workspace.open(db, plan_dir, create=True) as workspace:
        applied = workspace.apply(
            plan, plan_sources(plan_dir), author="planner", message="agreed plan"
        )
        program = applied.program
        assert workspace.set_baseline(program, "approved").baseline is not None
        for status in sorted((plan_dir / "status").glob("*.csv")):
            recorded = workspace.record_progress_file(program, status)
            assert not recorded.diagnostics, recorded.diagnostics
        if users:
            accounts = workspace.accounts()
            accounts.add_user(USER, PASSWORD, display="Terry Program-Manager")
            accounts.grant(USER, program, "editor")
    return plan_dir, program


@contextmanager
def cheap_hashes() -> Iterator[None]:
    """argon2id at a millisecond a hash instead of a third of a second (the tests log in a
    dozen times; tests/app/test_accounts.py checks the real parameters)."""
    from argon2 import PasswordHasher

    from ontrack.app import accounts

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    dummy = cheap.hash("no password matches this")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "_hasher", lambda: cheap)
        patch.setattr(accounts, "_dummy_hash", lambda: dummy)
        yield


# -- the server ----------------------------------------------------------------------------------


@dataclass
class Served:
    """A running server: its base URL, the app (its state is the server's), the program."""

    url: str
    app: Any
    program: str
    plan: Path
    kind: str = "sqlite"

    def path(self, *parts: str) -> str:
        from urllib.parse import quote

        return self.url + "/p/" + quote(self.program) + "".join(f"/{quote(p)}" for p in parts)


@contextmanager
def serve(db: str, plan: Path, program: str) -> Iterator[Served]:
    """uvicorn serving create_app(Settings(...)) on a free loopback port in a thread."""
    import uvicorn

    from ontrack.app.assessment import AssessOptions
    from ontrack.web.app import Settings, create_app

    today = pinned_today()
    app = create_app(
        Settings(
            db=db,
            plan=plan,
            host="127.0.0.1",
            options=AssessOptions(iterations=2000, time_limit=2.0),
            today=lambda: today,
            wait_page_after=120,
        )
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive(), "the server stopped while starting"
            assert time.monotonic() < deadline, "the server did not start in 20 s"
            time.sleep(0.02)
        yield Served(f"http://127.0.0.1:{port}", app, program, plan)
    finally:
        for job in app.state.ontrack.programs.jobs.running():
            job.future.exception(timeout=120)  # nothing may write to a store about to go
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


# -- watching pages ------------------------------------------------------------------------------

#: Reports every CSP violation to the console (Chromium logs most of them itself; this also
#: catches those it reports only as events). Playwright injects it past the page's CSP.
_CSP_PROBE = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
    + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""
_LOAD_FAILED = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")


@dataclass
class Watch:
    """Everything the pages of one browser context said that they should not have."""

    problems: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    #: HTTP statuses a test provoked on purpose (a wrong password, a stale edit): Chromium
    #: logs "Failed to load resource" for them, which is not a fault of the page.
    expected_status: set[int] = field(default_factory=set)

    def attach(self, context: Any) -> None:
        context.add_init_script(_CSP_PROBE)
        context.on("page", self.page)

    def page(self, page: Any) -> None:
        page.on("console", lambda msg: self._console(page, msg))
        page.on("pageerror", lambda exc: self.problems.append(f"{page.url}: page error: {exc}"))
        page.on("dialog", lambda dialog: self._dialog(page, dialog))

    def _console(self, page: Any, message: Any) -> None:
        text = message.text
        if message.type != "error" and "Content Security Policy" not in text:
            return
        failed = _LOAD_FAILED.search(text)
        if failed and int(failed[1]) in self.expected_status:
            return
        where = (message.location or {}).get("url") or page.url
        if failed and where.endswith("/favicon.ico") and "/status.html" in page.url:
            # The e-mail-ready status report is a document of its own (no icon link, as an
            # e-mail has none), so Chromium asks for /favicon.ico, which the app does not serve.
            return
        self.problems.append(f"{page.url}: console {message.type}: {text} ({where})")

    def _dialog(self, page: Any, dialog: Any) -> None:
        self.dialogs.append(f"{page.url}: {dialog.type} {dialog.message!r}")
        dialog.dismiss()

    @contextmanager
    def expecting(self, *statuses: int) -> Iterator[None]:
        self.expected_status.update(statuses)
        try:
            yield
        finally:
            self.expected_status.difference_update(statuses)

    def check(self) -> None:
        assert not self.dialogs, "dialogs opened (a script ran):\n" + "\n".join(self.dialogs)
        assert not self.problems, "console errors, page errors or CSP violations:\n" + "\n".join(
            self.problems
        )


class Shots:
    """Full-page screenshots under ``folder``, copied to $ONTRACK_SCREENSHOTS when set."""

    def __init__(self, folder: Path, prefix: str = "") -> None:
        self.folder = folder
        self.prefix = prefix
        folder.mkdir(parents=True, exist_ok=True)
        extra = os.environ.get("ONTRACK_SCREENSHOTS")
        self.extra = Path(extra) if extra else None
        self.taken: list[Path] = []

    def take(self, page: Any, name: str) -> Path:
        path = self.folder / f"{self.prefix}{name}.png"
        page.evaluate("window.scrollTo(0, 0)")  # sticky bars where they belong
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 1000, f"empty screenshot {path}"
        self.taken.append(path)
        if self.extra is not None:
            self.extra.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, self.extra / path.name)
        return path
