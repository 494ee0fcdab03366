"""Shared test helpers. Fixtures are written in the plan language, expectations inline:

    estimate: 5d/3d/8d   # expect: E112

means "a diagnostic with code E112 is reported on this line". The harness compares the whole
set of (line, code) pairs, so a missing diagnostic and an unexpected one both fail.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import textwrap
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

# "Today" is the as-of date of a plan with no status date and no progress (ontrack.app.asof):
# pinned, so the suite gives the same answers whatever day it runs.
os.environ.setdefault("ONTRACK_TODAY", "2026-12-06")
# pytest-xdist's workers start with COLUMNS=80 and LINES=24 in their environment, which Rich
# would fix as the width of the CLI's consoles at import: tests that ask for a wider terminal
# (CliRunner's env) would get 80 columns in a worker and their own width in one process.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)

from ontrack.diagnostics import Diagnostic
from ontrack.model import Plan
from ontrack.planfile import load_plan_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_DATA = ROOT.parent / "shared" / "data"

#: `make test` sets it: a test that needs the shared data folder (``../shared`` beside the
#: checkout) then fails when the data is missing instead of skipping, as the PostgreSQL
#: (ONTRACK_REQUIRE_PG) and browser (ONTRACK_REQUIRE_CHROMIUM) tests do.
REQUIRE_SHARED = "ONTRACK_REQUIRE_SHARED"


def _shared_present(path: Path) -> bool:
    return path.is_file() or (path.is_dir() and any(path.iterdir()))


def shared_or_skip(path: Path, what: str) -> None:
    """Skip the test when the shared ``path`` is missing (or empty), or fail it under
    ONTRACK_REQUIRE_SHARED."""
    if _shared_present(path):
        return
    message = f"{what} not found at {path}: the tests read ../shared beside the checkout"
    if os.environ.get(REQUIRE_SHARED):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def needs_shared(path: Path, what: str) -> pytest.MarkDecorator:
    """Mark a test (or a module, as ``pytestmark``) that reads the shared ``path``: skipped when
    it is missing, failed under ONTRACK_REQUIRE_SHARED (see pytest_runtest_setup below)."""
    return pytest.mark.shared_data(path, what)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "shared_data(path, what): the test reads the shared data folder at path"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # First, so that a test parametrized over the files of a missing folder (an empty parameter
    # set, which pytest skips) fails under ONTRACK_REQUIRE_SHARED too.
    for mark in item.iter_markers("shared_data"):
        shared_or_skip(*mark.args)


_EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>[EW]\d{3}(?:[ ,]+[EW]\d{3})*)")

HEADER = """\
program:
  name: Test program
  start: 2026-01-05
"""


def expected_marks(text: str) -> set[tuple[int, str]]:
    marks: set[tuple[int, str]] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            marks.update((number, code) for code in re.split(r"[ ,]+", match["codes"]) if code)
    return marks


def found_marks(diagnostics: list[Diagnostic]) -> set[tuple[int, str]]:
    return {(d.loc.line, d.code) for d in diagnostics}


def load_doc(text: str, name: str = "plan.yaml") -> tuple[Plan | None, list[Diagnostic]]:
    """Load a plan written inline in a test (dedented)."""
    return load_plan_text(textwrap.dedent(text), name)


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]


@pytest.fixture
def plan_text() -> str:
    return HEADER


# -- databases ------------------------------------------------------------------------------------

#: The PostgreSQL server the store tests also run on (trust auth on this machine).
PG_URL = os.environ.get("ONTRACK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_or_skip() -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL)
    try:
        psycopg.connect(
            host=url.host,
            port=url.port or 5432,
            user=url.username,
            dbname=url.database,
            connect_timeout=3,
        ).close()
    except psycopg.OperationalError as exc:
        if os.environ.get("ONTRACK_REQUIRE_PG"):
            pytest.fail(f"PostgreSQL is required for these tests and unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store database: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite+pysqlite:///{tmp_path / 'store.db'}"
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
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def report_data(
    plan: Plan,
    day: dt.date | None = None,
    *,
    iterations: int = 300,
    seed: int = 1,
    facts: Sequence[Any] = (),
    tracking: Any = None,
    generated: dt.datetime | None = None,
    **report_options: Any,
) -> tuple[Any, list[Diagnostic]]:
    """The report's data as the commands build it: the program assessment as of ``day`` (the
    one rule when None) with ``iterations`` and ``seed``; ``report_options`` go to
    ReportOptions."""
    from ontrack.app.asof import resolve_as_of
    from ontrack.app.assessment import AssessOptions, assess
    from ontrack.reports.data import ReportOptions

    result, problems = assess(
        plan,
        AssessOptions(iterations=iterations, seed=seed, report=ReportOptions(**report_options)),
        as_of=resolve_as_of(plan, facts, day),
        facts=facts,
        tracking=tracking,
        generated=generated,
    )
    return (result.report if result is not None else None), problems
