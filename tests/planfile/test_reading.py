"""Reading plan files and folders: regular files only, never blocking on a FIFO or reading a
device without end, and no symlink out of the plan folder unless asked for."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ontrack.cli.main import app
from ontrack.planfile import load_plan, plan_sources, yamlread
from ontrack.planfile.loader import ALLOW_OUTSIDE_LINKS_ENV
from ontrack.planfile.yamlread import read_yaml_file
from tests.conftest import HEADER, codes

TASKS = "tasks: [{id: a, title: A, estimate: 1d}]\n"
SECRET = "secret_api_token: hunter2\n"

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
needs_zero = pytest.mark.skipif(not Path("/dev/zero").is_char_device(), reason="needs /dev/zero")


@contextlib.contextmanager
def no_hang(seconds: int = 10) -> Iterator[None]:
    """Fail instead of hanging the suite."""

    def timeout(signum: int, frame: object) -> None:
        raise AssertionError(f"blocked for {seconds}s")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "plan"
    folder.mkdir()
    (folder / "program.yaml").write_text(HEADER)
    (folder / "tasks.yaml").write_text(TASKS)
    return folder


def messages(diagnostics: Sequence[object]) -> str:
    return "\n".join(str(d) for d in diagnostics)


@needs_zero
def test_link_to_dev_zero_is_refused_not_read(plan_dir: Path) -> None:
    (plan_dir / "z.yaml").symlink_to("/dev/zero")
    started = time.monotonic()
    with no_hang():
        plan, diags = load_plan(plan_dir, allow_outside_links=True)
    assert time.monotonic() - started < 5
    assert plan is None and codes(diags) == ["E009"]
    assert diags[0].loc.file == str(plan_dir / "z.yaml")
    assert "device" in diags[0].message


@needs_zero
def test_a_device_named_on_the_command_line_is_refused() -> None:
    with no_hang():
        plan, diags = load_plan("/dev/zero")
    assert plan is None and codes(diags) == ["E009"]


@needs_fifo
def test_fifo_in_a_folder_is_refused_without_blocking(plan_dir: Path) -> None:
    os.mkfifo(plan_dir / "fifo.yaml")
    with no_hang():
        plan, diags = load_plan(plan_dir)
    assert plan is None and codes(diags) == ["E009"]
    assert "FIFO" in diags[0].message


@needs_fifo
def test_fifo_named_on_the_command_line_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "plan.yaml"
    os.mkfifo(fifo)
    with no_hang():
        plan, diags = load_plan(fifo)
        doc = read_yaml_file(fifo)
    assert plan is None and codes(diags) == ["E009"]
    assert codes(doc.diagnostics) == ["E009"]


@needs_fifo
def test_check_command_on_a_fifo_exits_1_with_the_code(plan_dir: Path) -> None:
    os.mkfifo(plan_dir / "fifo.yaml")
    with no_hang(30):
        result = CliRunner().invoke(app, ["check", str(plan_dir)])
    assert result.exit_code == 1
    assert "E009" in result.output and "fifo.yaml" in result.output
    assert "Traceback" not in result.output


def test_link_out_of_the_folder_is_refused_and_not_echoed(plan_dir: Path) -> None:
    secret = plan_dir.parent / "secret.yaml"
    secret.write_text(SECRET)
    (plan_dir / "extra.yaml").symlink_to(secret)
    plan, diags = load_plan(plan_dir, allow_outside_links=False)
    assert plan is None and codes(diags) == ["E010"]
    assert diags[0].loc.file == str(plan_dir / "extra.yaml")
    assert "secret_api_token" not in messages(diags) and "hunter2" not in messages(diags)


def test_relative_link_climbing_out_is_refused_too(plan_dir: Path) -> None:
    (plan_dir.parent / "secret.yaml").write_text(SECRET)
    (plan_dir / "sub").mkdir()
    (plan_dir / "sub" / "x.yaml").symlink_to("../../secret.yaml")
    _, diags = load_plan(plan_dir, allow_outside_links=False)
    assert codes(diags) == ["E010"]


def test_link_out_of_the_folder_is_read_when_allowed(
    plan_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = plan_dir.parent / "shared.yaml"
    shared.write_text("risks: [{id: r, title: R, probability: 10%, impact: 1d}]\n")
    (plan_dir / "shared.yaml").symlink_to(shared)
    plan, diags = load_plan(plan_dir, allow_outside_links=True)
    assert plan is not None and diags == []
    assert [r.id for r in plan.risks] == ["r"]
    # The default follows the environment.
    monkeypatch.delenv(ALLOW_OUTSIDE_LINKS_ENV, raising=False)
    assert codes(load_plan(plan_dir)[1]) == ["E010"]
    monkeypatch.setenv(ALLOW_OUTSIDE_LINKS_ENV, "1")
    assert load_plan(plan_dir)[0] is not None
    assert [name for name, _ in plan_sources(plan_dir)] == [
        "program.yaml",
        "shared.yaml",
        "tasks.yaml",
    ]
    monkeypatch.setenv(ALLOW_OUTSIDE_LINKS_ENV, "0")
    assert codes(load_plan(plan_dir)[1]) == ["E010"]
    with pytest.raises(OSError, match="out of the plan folder"):
        plan_sources(plan_dir)


def test_link_inside_the_folder_is_fine(plan_dir: Path) -> None:
    (plan_dir / ".shared").mkdir()  # hidden folders are not plan files themselves
    (plan_dir / ".shared" / "risks.yaml").write_text(
        "risks: [{id: r, title: R, probability: 10%, impact: 1d}]\n"
    )
    (plan_dir / "risks.yaml").symlink_to(".shared/risks.yaml")
    plan, diags = load_plan(plan_dir, allow_outside_links=False)
    assert plan is not None and diags == []


def test_plan_folder_reached_through_a_link_reads_normally(plan_dir: Path) -> None:
    alias = plan_dir.parent / "alias"
    alias.symlink_to(plan_dir)
    plan, diags = load_plan(alias, allow_outside_links=False)
    assert plan is not None and diags == []


def test_a_single_plan_file_may_be_a_link_anywhere(tmp_path: Path) -> None:
    real = tmp_path / "elsewhere" / "plan.yaml"
    real.parent.mkdir()
    real.write_text(HEADER + TASKS)
    link = tmp_path / "plan.yaml"
    link.symlink_to(real)
    plan, diags = load_plan(link, allow_outside_links=False)
    assert plan is not None and diags == []


def test_dangling_link_is_a_read_error(plan_dir: Path) -> None:
    (plan_dir / "gone.yaml").symlink_to(plan_dir / "nowhere.yaml")
    _, diags = load_plan(plan_dir)
    assert codes(diags) == ["E001"]
    single = plan_dir.parent / "single.yaml"
    single.symlink_to(plan_dir / "nowhere.yaml")
    _, diags = load_plan(single)
    assert codes(diags) == ["E001"]


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs /proc")
def test_size_limit_counts_bytes_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # /proc files report 0 bytes, as devices do; the limit still holds.
    monkeypatch.setattr(yamlread, "MAX_FILE_BYTES", 16)
    doc = read_yaml_file(Path("/proc/self/status"))
    assert codes(doc.diagnostics) == ["E004"]
    assert "more than 16 bytes" in doc.diagnostics[0].message


def test_plan_sources_reads_within_the_limit(
    plan_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert dict(plan_sources(plan_dir))["tasks.yaml"] == TASKS
    monkeypatch.setattr(yamlread, "MAX_FILE_BYTES", 8)
    with pytest.raises(OSError, match="limit"):
        plan_sources(plan_dir)
