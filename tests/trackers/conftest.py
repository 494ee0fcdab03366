"""The ``redmine`` fixture: one throwaway Redmine per test session (scripts/ensure-redmine), started
only when a test asks for it. It skips the tests when Redmine cannot start, or fails them under
ONTRACK_REQUIRE_REDMINE=1 (as CI sets it)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.trackers.redmine_api import RedmineApi

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "ensure-redmine"
REQUIRE = "ONTRACK_REQUIRE_REDMINE"


@dataclass(frozen=True)
class Redmine:
    url: str
    key: str
    api: RedmineApi
    dir: Path


def _unavailable(message: str) -> None:
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{message} ({REQUIRE}=1)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def redmine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Redmine]:
    where = tmp_path_factory.mktemp("redmine")
    try:
        done = subprocess.run(
            [str(SCRIPT), "start", str(where)],
            capture_output=True,
            text=True,
            timeout=900,  # a fresh machine installs the package first
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        _unavailable(f"Redmine could not start: {error}")
        raise  # unreachable: skip and fail raise
    if done.returncode != 0:
        _unavailable(f"Redmine could not start: {done.stderr.strip()[-1500:]}")
    info = json.loads(done.stdout.strip().splitlines()[-1])
    api = RedmineApi(info["url"], info["key"], db=where / "redmine.sqlite3")
    try:
        yield Redmine(url=info["url"], key=info["key"], api=api, dir=where)
    finally:
        api.close()
        subprocess.run([str(SCRIPT), "stop", str(where)], check=False, timeout=60)
