"""The entry point builds only the command being run, and every command when it cannot tell."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ontrack.cli import main

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import sys
sys.argv = ["ontrack", *sys.argv[1:]]
from ontrack.cli import main
try:
    main.run()
except SystemExit:
    pass
loaded = sorted(m for m in sys.modules if m.startswith("ontrack.cli."))
print("LOADED", " ".join(loaded), file=sys.stderr)
"""


def _loaded(*args: str) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("LOADED"))
    return set(line.split()[1:]), done


def test_a_command_imports_only_its_own_module() -> None:
    loaded, done = _loaded("schedule", "examples/small", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert '"finish"' in done.stdout
    assert "ontrack.cli.schedule" in loaded
    assert not {"ontrack.cli.report", "ontrack.cli.release", "ontrack.cli.serve"} & loaded


@pytest.mark.parametrize("args", [("--help",), ("schedul",), ()])
def test_help_and_typos_see_every_command(args: tuple[str, ...]) -> None:
    loaded, done = _loaded(*args)
    assert {f"ontrack.cli.{module}" for module, _, _ in main._COMMANDS.values()} <= loaded
    if args == ("schedul",):
        assert "Did you mean" in done.stderr


def test_the_module_app_has_every_command() -> None:
    names = {c.name for c in main.app.registered_commands}
    names |= {g.name for g in main.app.registered_groups}
    assert names == set(main._COMMANDS)
