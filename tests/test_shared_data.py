"""Tests that read the shared data folder (``../shared`` beside the checkout) skip when it is
missing, and fail instead under ``make test`` (ONTRACK_REQUIRE_SHARED=1)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SHARED, ROOT, shared_or_skip

INNER = """\
from pathlib import Path

import pytest

from tests.conftest import needs_shared, shared_or_skip

MISSING = Path(__file__).parent / "no-such-shared-folder"


@needs_shared(MISSING, "the shared test data")
@pytest.mark.parametrize("path", sorted(MISSING.glob("*.xml")))
def test_over_the_files(path: Path) -> None:
    assert path.exists()


@needs_shared(MISSING, "the shared test data")
def test_marked() -> None:
    pass


def test_called() -> None:
    shared_or_skip(MISSING / "data.csv", "the shared test data")
"""


def test_missing_shared_data_skips_unless_required(monkeypatch: pytest.MonkeyPatch) -> None:
    missing = ROOT / "no-such-shared-folder"
    monkeypatch.delenv(REQUIRE_SHARED, raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"\.\./shared"):
        shared_or_skip(missing, "the shared test data")
    monkeypatch.setenv(REQUIRE_SHARED, "1")
    with pytest.raises(pytest.fail.Exception, match="the shared test data not found"):
        shared_or_skip(missing, "the shared test data")


@pytest.mark.parametrize("required", [False, True])
def test_marked_and_parametrized_tests_fail_when_required(tmp_path: Path, required: bool) -> None:
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_configure, pytest_runtest_setup  # noqa: F401\n"
    )
    (tmp_path / "test_inner.py").write_text(INNER)
    env = {k: v for k, v in os.environ.items() if k != REQUIRE_SHARED}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    if required:
        env[REQUIRE_SHARED] = "1"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", str(tmp_path)],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    tail = run.stdout.splitlines()[-1]
    if required:  # a failure in set-up counts as an error: either way the run fails
        assert run.returncode == 1 and "skipped" not in tail and "passed" not in tail, run.stdout
        assert tail.startswith("1 failed, 2 errors"), run.stdout
    else:
        assert run.returncode == 0 and tail.startswith("3 skipped"), run.stdout
