"""`ontrack serve`: one command from a plan to a working dashboard, and the refusals that keep
a fresh store from being served to the network."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

EXAMPLE = Path(__file__).parents[2] / "examples" / "platform-migration"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ontrack(*args: str, cwd: Path) -> list[str]:
    return [sys.executable, "-m", "ontrack.cli.main", *args]


def test_serve_a_plan_gives_a_dashboard_in_one_command(tmp_path: Path) -> None:
    plan = tmp_path / "pm"
    shutil.copytree(EXAMPLE, plan)
    port = _free_port()
    env = os.environ | {"ONTRACK_AUTHOR": "newcomer"}
    server = subprocess.Popen(
        [*_ontrack("serve", str(plan), "--port", str(port), "-n", "500", cwd=tmp_path)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        page = None
        while time.monotonic() < deadline:
            try:
                page = httpx.get(base + "/p/Platform%20Migration%202026", timeout=30)
                if page.status_code == 200 and "gantt" in page.text:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        assert page is not None and page.status_code == 200, page and page.text[:500]
        assert "single-user mode" in page.text and "Platform Migration 2026" in page.text
        portfolio = httpx.get(base + "/", timeout=30)
        assert portfolio.status_code == 200 and "Platform Migration 2026" in portfolio.text
        api = httpx.get(base + "/api/v1/programs", timeout=30).json()
        assert api["programs"][0]["revision"] == 1
        assert (plan / ".ontrack" / "ontrack.db").is_file()
    finally:
        server.send_signal(signal.SIGINT)
        try:
            _, err = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            _, err = server.communicate()
    assert "recorded" in err and "single-user mode" in err
    assert "Traceback" not in err


def test_a_store_without_users_is_not_served_beyond_loopback(tmp_path: Path) -> None:
    plan = tmp_path / "pm"
    shutil.copytree(EXAMPLE, plan)
    done = subprocess.run(
        [*_ontrack("serve", str(plan), "--host", "0.0.0.0", cwd=tmp_path)],
        cwd=tmp_path,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "E530" in done.stderr and "ontrack user add" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("db", ["postgresql+psycopg://nobody@127.0.0.1:1/x", "memory"])
def test_a_store_that_cannot_be_opened_is_an_error_not_a_traceback(tmp_path: Path, db: str) -> None:
    done = subprocess.run(
        [*_ontrack("serve", "--db", db if db != "memory" else "sqlite://", cwd=tmp_path)],
        cwd=tmp_path,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "E50" in done.stderr and "Traceback" not in done.stderr
