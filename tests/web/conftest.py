"""Fixtures of the web app's tests: the medium example (examples/platform-migration) recorded
in a store as `ontrack apply` records it, a second program beside it, a user of each role, and
``create_app`` built on that store, driven by starlette's TestClient over https (the session
cookie is Secure). Every fixture runs on SQLite and on PostgreSQL (a schema of its own, dropped
afterwards; skipped when the server is unreachable, failed under ONTRACK_REQUIRE_PG).

``web`` is built once per module (an assessment is computed once and cached by the app);
``fresh_web`` once per test, for a test that needs a store nobody else has written to.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

with warnings.catch_warnings():  # starlette 1.x would rather drive httpx2; httpx works the same
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

from ontrack.app.assessment import AssessOptions
from tests.conftest import EXAMPLES, PG_URL, _postgres_or_skip

#: The program of examples/platform-migration, and the second program of the store (examples/
#: small), whose admin must not see the first.
PROGRAM = "Platform Migration 2026"
OTHER_PROGRAM = "Checkout Revamp"
#: The day tests/conftest.py pins as today (ONTRACK_TODAY): the app's ``today`` must agree with
#: the CLI's, or the two could describe different days.
TODAY = dt.date(2026, 12, 6)
OPTIONS = AssessOptions(iterations=2000, time_limit=2.0)
BASE_URL = "https://testserver"
PASSWORD = "correct horse battery"

#: The users of every store: a role on PROGRAM (None: none), and the admin of the other one.
VIEWER, EDITOR, ADMIN, OUTSIDER, SUPERUSER = "vera", "eddie", "ada", "otto", "sue"
ROLES: dict[str, str | None] = {
    VIEWER: "viewer",
    EDITOR: "editor",
    ADMIN: "admin",
    OUTSIDER: None,
    SUPERUSER: "admin",
}
USERS = tuple(ROLES)

#: Ids of the example the tests act on.
TASK = "apps-service-inventory"
RISK = "r-carrier-delay"
PERSON = "sam"
MILESTONE = "apps-readiness-done"
RELEASE = "rel-stateless"

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def program_path(program: str = PROGRAM) -> str:
    return quote(program, safe="")


def api(*parts: str, program: str = PROGRAM) -> str:
    """``/api/v1/programs/{program}/...``"""
    return "/api/v1/programs/" + program_path(program) + "".join(f"/{p}" for p in parts)


def pages(*parts: str, program: str = PROGRAM) -> str:
    """``/p/{program}/...``"""
    return "/p/" + program_path(program) + "".join(f"/{p}" for p in parts)


def csrf_of(client: TestClient) -> str:
    """The CSRF token of the client's session, as its pages' forms carry it (a first page
    gives an anonymous client a session)."""
    found = _CSRF.search(client.get("/login").text)
    assert found, "the login page carries no CSRF token"
    return found[1]


def run_cli(*args: str) -> str:
    """Run ``ontrack ARGS`` in-process; its stdout (it must exit 0)."""
    from ontrack.cli.main import app

    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, f"ontrack {' '.join(args)}:\n{result.output}"
    return result.stdout


# -- the store -------------------------------------------------------------------------------------


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """An empty store URL: a SQLite file in ``folder``, or a PostgreSQL schema of its own."""
    if kind == "sqlite":
        yield f"sqlite+pysqlite:///{folder / 'store.db'}"
        return
    _postgres_or_skip()
    import psycopg
    from sqlalchemy.engine import make_url

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
            conn.execute("SET lock_timeout = '20s'")  # a connection left open fails, not hangs
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def record(db: str, folder: Path, example: str = "platform-migration") -> Path:
    """A copy of ``examples/<example>`` in ``folder``, recorded in ``db`` by `ontrack apply`."""
    plan = folder / example
    shutil.copytree(EXAMPLES / example, plan)
    run_cli("apply", str(plan), "--db", db, "--author", "planner", "-m", "agreed plan")
    return plan


def add_users(db: str) -> dict[str, str]:
    """The users of ROLES (OUTSIDER: admin of OTHER_PROGRAM), each with an API token; their
    tokens' secrets by user."""
    from ontrack.app.workspace import Workspace

    tokens = {}
    with Workspace.open(db, None) as workspace:
        accounts = workspace.accounts()
        for name, role in ROLES.items():
            accounts.add_user(name, PASSWORD, superuser=name == SUPERUSER)
            if role is not None and name != SUPERUSER:
                accounts.grant(name, PROGRAM, role)
            tokens[name] = accounts.create_token(name, "tests").secret
        accounts.grant(OUTSIDER, OTHER_PROGRAM, "admin")
    return tokens


# -- the app ---------------------------------------------------------------------------------------


@contextmanager
def bare_app() -> Iterator[Any]:
    """The app on an empty, throwaway SQLite store: its routes and OpenAPI description, for
    parametrizing tests at collection time."""
    from ontrack.web.app import Settings, create_app

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(Settings(db=f"sqlite+pysqlite:///{Path(folder) / 'bare.db'}"))
        try:
            yield app
        finally:
            app.state.ontrack.programs.close()
            app.state.ontrack.workspace.close()


@dataclass
class Web:
    """The app on a recorded store: its URL, the plan folder recorded, the users' API tokens,
    and ``client``, an anonymous client that holds the app's lifespan."""

    app: Any
    db: str
    kind: str
    plan: Path
    client: TestClient
    tokens: dict[str, str]
    _sessions: dict[str, TestClient] = field(default_factory=dict)

    @property
    def state(self) -> Any:
        """What the routes share (``ontrack.web.app.State``): workspace, programs, accounts."""
        return self.app.state.ontrack

    def new_client(self) -> TestClient:
        """A client with no cookies (the app's lifespan is ``client``'s)."""
        return TestClient(self.app, base_url=BASE_URL, follow_redirects=False)

    def login(self, name: str, password: str = PASSWORD) -> TestClient:
        """A new client logged in as ``name`` through the login form."""
        client = self.new_client()
        response = client.post(
            "/login", data={"name": name, "password": password, "csrf": csrf_of(client)}
        )
        assert response.status_code == 303, response.text
        return client

    def session(self, name: str) -> TestClient:
        """A client logged in as ``name``, kept for the module (log in anew to log out)."""
        if name not in self._sessions:
            self._sessions[name] = self.login(name)
        return self._sessions[name]

    def bearer(self, name: str) -> dict[str, str]:
        return {"authorization": f"Bearer {self.tokens[name]}"}

    def latest(self) -> int:
        return int(self.state.workspace.resolve(PROGRAM, None))

    def revision_count(self) -> int:
        return len(self.state.workspace.revisions(PROGRAM))


#: argon2id at a millisecond a hash instead of a third of a second: the tests log in dozens of
#: times (tests/app/test_accounts.py checks the real parameters).
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@contextmanager
def cheap_hashes() -> Iterator[None]:
    from ontrack.app import accounts

    dummy = CHEAP.hash("no password matches this")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "_hasher", lambda: CHEAP)
        patch.setattr(accounts, "_dummy_hash", lambda: dummy)
        yield


@contextmanager
def build_web(kind: str, folder: Path) -> Iterator[Web]:
    """The example and examples/small recorded in a new store, the users, the app on it."""
    from ontrack.app.asof import today
    from ontrack.web.app import Settings, create_app

    assert today() == TODAY, f"ONTRACK_TODAY pins {today()}, the web tests assume {TODAY}"
    with cheap_hashes(), database(kind, folder) as db:
        plan = record(db, folder)
        record(db, folder, "small")
        tokens = add_users(db)
        app = create_app(
            # Pages wait for the assessment however loaded the machine is (the progress page
            # has tests of its own).
            Settings(db=db, plan=plan, options=OPTIONS, today=lambda: TODAY, wait_page_after=120)
        )
        with TestClient(app, base_url=BASE_URL, follow_redirects=False) as client:
            try:
                yield Web(app, db, kind, plan, client, tokens)
            finally:
                for job in app.state.ontrack.programs.jobs.running():
                    job.future.exception(timeout=120)  # nothing may write to a dropped store


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def web_backend(request: pytest.FixtureRequest) -> str:
    """The store's database: every web test runs on both."""
    kind: str = request.param
    return kind


@pytest.fixture(scope="module")
def web(web_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    """The app on a recorded store, shared by the tests of a module (they run in order)."""
    with build_web(web_backend, tmp_path_factory.mktemp(f"web-{web_backend}")) as built:
        yield built


@pytest.fixture
def fresh_web(web_backend: str, tmp_path: Path) -> Iterator[Web]:
    """The app on a store of its own, for one test."""
    with build_web(web_backend, tmp_path) as built:
        yield built
