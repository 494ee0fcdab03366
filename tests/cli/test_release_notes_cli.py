"""`ontrack release notes` end to end, on a real git repository built in tmp_path: two tags, a
branch merged with a merge commit, a breaking change, a git revert, a commit that follows no
convention; then a plan's release for the delivered work. The command is registered on a local
app here (main.py wires the release group separately), and once through ``ontrack`` itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from ontrack.cli.flags import App
from ontrack.cli.main import app as ontrack
from ontrack.cli.release_notes import notes_command

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

release_app = App()
release_app.command("notes")(notes_command)
app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.add_typer(release_app, name="release")

runner = CliRunner()
ROOT = Path(__file__).parents[2]


def notes(*args: str | Path) -> Result:
    return runner.invoke(app, ["release", "notes", *map(str, args)])


class Repo:
    """A git repository whose commits have fixed dates and authors."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir()
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, day: int = 1, author: str = "Ann Lee", message: str = "") -> str:
        stamp = f"2026-01-{day:02d}T10:00:00+00:00"
        email = author.split(maxsplit=1)[0].lower() + "@example.com"
        env = {
            **os.environ,
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_DATE": stamp,
            "GIT_AUTHOR_NAME": author,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": author,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
        }
        done = subprocess.run(
            [
                "git",
                "-c",
                f"user.name={author}",
                "-c",
                f"user.email={email}",
                "-c",
                "commit.gpgsign=false",
                "-c",
                "tag.gpgsign=false",
                "-C",
                str(self.path),
                *args,
            ],
            input=message.encode(),
            capture_output=True,
            env=env,
            check=True,
        )
        return done.stdout.decode().strip()

    def commit(self, message: str, day: int, author: str = "Ann Lee") -> str:
        self.git(
            "commit", "-q", "--allow-empty", "--cleanup=verbatim", "-F", "-",
            day=day, author=author, message=message,
        )  # fmt: skip
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Repo, dict[str, str]]:
    """v1.0 (lightweight) .. v1.1 (annotated) with six commits between, one a merge; one more
    commit after v1.1."""
    r = Repo(tmp_path / "repo")
    shas: dict[str, str] = {}
    shas["init"] = r.commit("chore: initial commit", 5)
    r.git("tag", "v1.0")
    shas["feat"] = r.commit("feat(api): add pagination\n\nRefs: #12\n", 6)
    r.git("checkout", "-q", "-b", "topic")
    shas["breaking"] = r.commit(
        "fix(cart)!: totals are integers\n\nBREAKING CHANGE: amounts are in cents\n",
        7,
        author="Bo Diaz",
    )
    r.git("checkout", "-q", "main")
    shas["docs"] = r.commit("docs: explain retries", 8)
    r.git("merge", "-q", "--no-ff", "topic", "-m", "Merge branch 'topic'", day=9)
    shas["merge"] = r.git("rev-parse", "HEAD")
    shas["revert"] = r.commit(
        f'Revert "feat(api): add pagination"\n\nThis reverts commit {shas["feat"]}.\n', 10
    )
    shas["other"] = r.commit("Tidy *up* the README", 11)
    r.git("tag", "-a", "v1.1", "-m", "release 1.1", day=11)
    shas["after"] = r.commit("feat: after the release", 12)
    return r, {k: v[:7] for k, v in shas.items()}


def test_grouped_markdown_between_two_tags(repo: tuple[Repo, dict[str, str]]) -> None:
    r, sha = repo
    result = notes("--repo", r.path, "--from", "v1.0", "--to", "v1.1")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "# v1.1 — release notes\n"
        "\n"
        "v1.0 → v1.1 · 2026-01-05 to 2026-01-11\n"
        "\n"
        "5 commits by 2 authors: 1 breaking change, 1 feature, 1 revert, "
        "1 documentation change, 1 other change · 1 merge commit left out\n"
        "\n"
        "## Breaking changes\n"
        "\n"
        f"- **cart:** totals are integers — amounts are in cents (fix, {sha['breaking']})\n"
        "\n"
        "## Features\n"
        "\n"
        f"- **api:** add pagination (#12) ({sha['feat']})\n"
        "\n"
        "## Reverts\n"
        "\n"
        f"- feat(api): add pagination (reverts {sha['feat']}, {sha['revert']})\n"
        "\n"
        "## Documentation\n"
        "\n"
        f"- explain retries ({sha['docs']})\n"
        "\n"
        "## Other\n"
        "\n"
        f"- Tidy \\*up\\* the README ({sha['other']})\n"
    )
    assert not result.stderr


def test_merges_on_request_and_head_by_default(repo: tuple[Repo, dict[str, str]]) -> None:
    r, sha = repo
    result = notes("--repo", r.path, "--from", "v1.1", "--include-merges")
    assert result.exit_code == 0, result.output
    assert f"## Features\n\n- after the release ({sha['after']})\n" in result.stdout
    assert "1 commit by 1 author: 1 feature\n" in result.stdout
    merged = notes("--repo", r.path, "--from", "v1.0", "--to", "v1.1", "--include-merges")
    assert f"- Merge branch 'topic' (merge, {sha['merge']})\n" in merged.stdout


def test_from_the_root(repo: tuple[Repo, dict[str, str]]) -> None:
    r, sha = repo
    result = notes("--repo", r.path, "--to", "v1.0")
    assert result.exit_code == 0, result.output
    assert "the first commit → v1.0 · 2026-01-05 to 2026-01-05\n" in result.stdout
    assert f"## Chores\n\n- initial commit ({sha['init']})\n" in result.stdout


def test_json(repo: tuple[Repo, dict[str, str]], tmp_path: Path) -> None:
    r, sha = repo
    result = notes("--repo", r.path, "--from", "v1.0", "--to", "v1.1", "-f", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["from"] == "v1.0" and data["to"] == "v1.1" and data["commits"] == 5
    assert data["counts"] == {"breaking": 1, "feat": 1, "revert": 1, "docs": 1, "other": 1}
    assert data["merges_skipped"] == 1 and data["authors"] == 2
    assert data["since"] == "2026-01-05T10:00:00+00:00"
    assert data["until"] == "2026-01-11T10:00:00+00:00"
    breaking = data["sections"][0]["changes"][0]
    assert breaking["sha"].startswith(sha["breaking"]) and breaking["author"] == "Bo Diaz"
    assert breaking["breaking_notes"] == ["amounts are in cents"]
    assert breaking["type"] == "fix" and breaking["scope"] == "cart"
    revert = data["sections"][2]["changes"][0]
    assert revert["reverts"].startswith(sha["feat"])
    assert data["diagnostics"] == [] and data["delivered"] == []
    out = tmp_path / "notes.json"
    written = notes("--repo", r.path, "--from", "v1.0", "--to", "v1.1", "-f", "json", "-o", out)
    assert written.exit_code == 0, written.output
    assert json.loads(out.read_text()) == data
    assert not written.stdout and "wrote" in written.stderr


def test_output_file(repo: tuple[Repo, dict[str, str]], tmp_path: Path) -> None:
    r, _ = repo
    out = tmp_path / "NOTES.md"
    result = notes("--repo", r.path, "--from", "v1.0", "--to", "v1.1", "--output", out)
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("# v1.1 — release notes\n")
    assert not result.stdout
    folder = notes("--repo", r.path, "--from", "v1.0", "--output", tmp_path)
    assert folder.exit_code == 1 and "E701" in folder.stderr


@pytest.mark.parametrize("option", ["--from", "--to"])
def test_unknown_tag_is_e478_with_the_tags(repo: tuple[Repo, dict[str, str]], option: str) -> None:
    r, _ = repo
    result = notes("--repo", r.path, option, "v1.2")
    assert result.exit_code == 1
    assert "error E478" in result.stderr and "v1.2" in result.stderr
    assert "v1.1" in result.stderr and "v1.0" in result.stderr  # the hint names the tags
    assert not result.stdout
    assert "Traceback" not in result.output


def test_a_ref_spelled_like_an_option_is_unknown(repo: tuple[Repo, dict[str, str]]) -> None:
    r, _ = repo
    result = notes("--repo", r.path, "--to=--output=/tmp/x")
    assert result.exit_code == 1 and "E478" in result.stderr


def test_not_a_repository_is_e477(tmp_path: Path) -> None:
    result = notes("--repo", tmp_path, "--to", "v1")
    assert result.exit_code == 1 and "error E477" in result.stderr
    missing = notes("--repo", tmp_path / "nowhere")
    assert missing.exit_code == 1 and "error E477" in missing.stderr


def test_from_not_an_ancestor_warns(repo: tuple[Repo, dict[str, str]]) -> None:
    r, _ = repo
    result = notes("--repo", r.path, "--from", "v1.1", "--to", "v1.0")
    assert result.exit_code == 0, result.output
    assert "warning W474" in result.stderr
    assert "0 commits\n\nNo changes in this range.\n" in result.stdout


PLAN = """\
program:
  name: Shop
  start: 2026-01-05
  status_date: 2026-01-12
tasks:
  - id: api
    title: Orders API
    tasks:
      - {id: pagination, title: Pagination, estimate: 2d, actual_start: 2026-01-05,
         actual_finish: 2026-01-06}
      - {id: filters, title: Filters, estimate: 2d, depends: [pagination]}
  - {id: cents, title: Integer *amounts*, estimate: 1d, actual_start: 2026-01-06,
     actual_finish: 2026-01-07}
  - {id: later, title: Later work, estimate: 1d, actual_start: 2026-01-07,
     actual_finish: 2026-01-08}
  - {id: launch, title: Launch, milestone: true, depends: [cents]}
releases:
  - {id: r11, title: Shop 1.1, includes: [api, cents, launch]}
  - {id: r12, title: Shop 1.2, includes: [later]}
"""


def test_release_delivered_work(repo: tuple[Repo, dict[str, str]], tmp_path: Path) -> None:
    r, _ = repo
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    result = notes(plan, "--release", "r11", "--repo", r.path, "--from", "v1.0", "--to", "v1.1")
    assert result.exit_code == 0, result.output
    page = result.stdout
    assert page.startswith("# Shop 1.1 — release notes\n")
    assert " · 1 merge commit left out · 3 tasks delivered\n" in page
    assert page.endswith(
        "## Delivered work\n"
        "\n"
        "- Pagination (pagination, finished 2026-01-06)\n"
        "- Integer \\*amounts\\* (cents, finished 2026-01-07)\n"
        "- Launch (launch, finished 2026-01-07)\n"
    )
    data = json.loads(
        notes(plan, "-r", "r11", "--repo", r.path, "--from", "v1.0", "-f", "json").stdout
    )
    assert [t["id"] for t in data["delivered"]] == ["pagination", "cents", "launch"]


def test_release_with_the_example_program(
    repo: tuple[Repo, dict[str, str]], tmp_path: Path
) -> None:
    """The example's plan says nothing is done yet (its progress is in status files for the
    store): no delivered work, and the release's title heads the notes."""
    r, _ = repo
    plan = tmp_path / "plan"
    shutil.copytree(ROOT / "examples" / "platform-migration", plan)
    result = notes(plan, "-r", "rel-stateless", "--repo", r.path, "--from", "v1.0", "--to", "v1.1")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Customer-facing storefront on Kubernetes — release notes\n")
    assert "## Delivered work" not in result.stdout


def test_release_mistakes(repo: tuple[Repo, dict[str, str]], tmp_path: Path) -> None:
    r, _ = repo
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    unknown = notes(plan, "--release", "r9", "--repo", r.path)
    assert unknown.exit_code == 1 and "error E479" in unknown.stderr
    assert "r11, r12" in unknown.stderr and not unknown.stdout
    no_plan = notes("--release", "r11", "--repo", r.path)
    assert no_plan.exit_code == 2 and "--release needs PLAN" in no_plan.output
    no_release = notes(plan, "--repo", r.path)
    assert no_release.exit_code == 2 and "--release" in no_release.output


def test_registered_under_ontrack_release(repo: tuple[Repo, dict[str, str]]) -> None:
    r, _ = repo
    result = runner.invoke(ontrack, ["release", "notes", "--repo", str(r.path), "--to", "v1.0"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# v1.0 — release notes\n")
    helped = runner.invoke(ontrack, ["release", "notes", "--help"])
    assert helped.exit_code == 0 and "Example: ontrack release notes" in helped.stdout


def test_smoke_on_this_repository() -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    count = subprocess.run(
        ["git", "-C", str(ROOT), "rev-list", "--count", "HEAD~5..HEAD"],
        capture_output=True,
        check=False,
    )
    if count.returncode != 0:
        pytest.skip("a shallow or short history")
    result = notes("--repo", ROOT, "--from", "HEAD~5", "-f", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["commits"] + data["merges_skipped"] == int(count.stdout)
    text = notes("--repo", ROOT, "--from", "HEAD~5")
    assert text.exit_code == 0 and text.stdout.startswith("# HEAD — release notes\n")
