"""Each class of mistake, put into a copy of the medium example, gives exit 1, the right
file:line, a stable code and no traceback — through the real `ontrack check` command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ontrack.cli.main import app
from tests.conftest import EXAMPLES

runner = CliRunner()
APPS, PEOPLE, RISKS, RELEASES = "tasks-apps.yaml", "people.yaml", "risks.yaml", "releases.yaml"
HELM = "        depends: [plat-helm-library, apps-containerize]\n"
READY = "        depends: [apps-containerize, apps-twelve-factor, apps-helm-charts]\n"

# (case, file, text to replace, replacement, expected code, a substring of the reported line)
CASES = [
    (
        "yaml-syntax",
        APPS,
        HELM,
        "        depends: [plat-helm-library, apps-containerize\n",
        "E005",
        None,
    ),
    ("unknown-key", APPS, "        skills: helm\n", "        skils: helm\n", "E100", "skils"),
    (
        "wrong-type",
        APPS,
        "        milestone: true\n",
        "        milestone: [yes]\n",
        "E102",
        "milestone: [yes]",
    ),
    (
        "bad-duration",
        APPS,
        "        estimate: 4d/6d/9d\n",
        "        estimate: 4d/6x/9d\n",
        "E110",
        "4d/6x/9d",
    ),
    (
        "estimate-order",
        APPS,
        "        estimate: 4d/6d/9d\n",
        "        estimate: 9d/6d/4d\n",
        "E112",
        "9d/6d/4d",
    ),
    ("bad-percentage", PEOPLE, "    allocation: 50%\n", "    allocation: 500%\n", "E113", "500%"),
    (
        "bad-date",
        APPS,
        "        deadline: 2026-04-24\n",
        "        deadline: 2026-04-31\n",
        "E114",
        "2026-04-31",
    ),
    (
        "bad-range",
        PEOPLE,
        "      - 2026-04-06..2026-04-10\n",
        "      - 2026-04-10..2026-04-06\n",
        "E115",
        "2026-04-10..2026-04-06",
    ),
    (
        "duplicate-id",
        RELEASES,
        "  - id: rel-full-cutover\n",
        "  - id: rel-stateless  # dup\n",
        "E200",
        "# dup",
    ),
    (
        "duplicate-across-files",
        "tasks-platform.yaml",
        "      - id: plat-design\n",
        "      - id: apps-helm-charts  # dup\n",
        "E200",
        "# dup",
    ),
    (
        "unknown-depends",
        APPS,
        HELM,
        "        depends: [plat-helm-libary, apps-containerize]\n",
        "E201",
        "plat-helm-libary",
    ),
    (
        "unknown-assignee",
        APPS,
        "        assignee: sam\n",
        "        assignee: samm\n",
        "E202",
        "samm",
    ),
    (
        "unknown-member",
        PEOPLE,
        "    members: [priya, marcus, aisha, jonas, arjun]\n",
        "    members: [priya, marcus, aisha, jonas, arjun, zoe]\n",
        "E202",
        "zoe",
    ),
    (
        "unknown-affects",
        RISKS,
        "    affects: apps-wave3\n",
        "    affects: apps-wave9\n",
        "E204",
        "apps-wave9",
    ),
    (
        "unknown-includes",
        RELEASES,
        "    includes: [data-cutover-done, apps-cutover-complete]\n",
        "    includes: [data-cutover-done, apps-cutover-completed]\n",
        "E205",
        "completed",
    ),
    (
        "cycle",
        APPS,
        "        depends: apps-service-inventory\n",
        "        depends: [apps-service-inventory, apps-readiness-done]\n",
        "E210",
        "apps-readiness-done]",
    ),
    (
        "milestone-estimate",
        APPS,
        "        deadline: 2026-04-24\n",
        "        deadline: 2026-04-24\n        estimate: 2.5d\n",
        "E220",
        "estimate: 2.5d",
    ),
    (
        "time-off-insane",
        PEOPLE,
        "      - 2026-04-06..2026-04-10\n",
        "      - 2062-04-06..2062-04-10\n",
        "E230",
        "2062-04-06",
    ),
    (
        "hostile-tag",
        APPS,
        "        skills: helm\n",
        "        skills: !!python/object/apply:os.system [echo]\n",
        "E006",
        "python/object",
    ),
]


@pytest.fixture
def plan_copy(tmp_path: Path) -> Path:
    target = tmp_path / "platform-migration"
    shutil.copytree(EXAMPLES / "platform-migration", target)
    return target


def mutate(folder: Path, name: str, old: str, new: str) -> Path:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "old", "new", "code", "marker"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_mistake_is_reported_at_its_line(
    plan_copy: Path, name: str, old: str, new: str, code: str, marker: str | None
) -> None:
    path = mutate(plan_copy, name, old, new)
    result = runner.invoke(app, ["check", str(plan_copy), "--format", "json"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    found = [d for d in json.loads(result.output)["diagnostics"] if d["code"] == code]
    assert found, result.output
    if marker is not None:
        lines = path.read_text(encoding="utf-8").splitlines()
        expected = next(i for i, line in enumerate(lines, start=1) if marker in line)
        assert (found[0]["file"], found[0]["line"]) == (str(path), expected)


def test_not_utf8_and_empty_files_in_a_plan_folder(plan_copy: Path) -> None:
    (plan_copy / RISKS).write_bytes(b"risks:\n  - id: r\n    title: Caf\xe9\n")
    (plan_copy / RELEASES).write_text("# nothing yet\n")
    result = runner.invoke(app, ["check", str(plan_copy), "--format", "json"])
    assert result.exit_code == 1
    found = {
        (d["code"], Path(d["file"]).name, d["line"])
        for d in json.loads(result.output)["diagnostics"]
    }
    assert ("E002", RISKS, 3) in found
    assert ("E003", RELEASES, 1) in found


def test_alias_bomb_in_a_plan_folder(plan_copy: Path) -> None:
    lines = ['x0: &x0 ["a","a","a","a","a","a","a","a","a","a"]']
    lines += [f"x{i}: &x{i} [" + ",".join([f"*x{i - 1}"] * 10) + "]" for i in range(1, 9)]
    (plan_copy / "bomb.yaml").write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["check", str(plan_copy)])
    assert result.exit_code == 1
    assert "E007" in result.output
