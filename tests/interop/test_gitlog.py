"""A real git repository built here, with known commit, merge and tag times: what each deployment
shipped, and the lead times end to end through ``ontrack dora --format json``."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ontrack.cli.main import app
from ontrack.interop.deploylog import read_deployments
from ontrack.interop.gitlog import Repository, parse_log, read_repository, shipped_commits

H = 3600.0
ROOT = Path(__file__).resolve().parents[2]


def git(repo: Path, when: str, *args: str) -> str:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="Ada",
        GIT_AUTHOR_EMAIL="ada@example.com",
        GIT_COMMITTER_NAME="Ada",
        GIT_COMMITTER_EMAIL="ada@example.com",
        GIT_AUTHOR_DATE=when,
        GIT_COMMITTER_DATE=when,
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
    )
    done = subprocess.run(
        ["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def commit(repo: Path, when: str, name: str, subject: str) -> str:
    (repo / name).write_text(subject + "\n", encoding="utf-8")
    git(repo, when, "add", name)
    git(repo, when, "commit", "-q", "-m", subject)
    return git(repo, when, "rev-parse", "HEAD")


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A (init) - B [v1] - D - M [v2, annotated] - R (revert of D); C on a branch merged by M."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "2026-03-02T09:00:00Z", "init", "-q", "-b", "main")
    shas = {"A": commit(repo, "2026-03-02T09:00:00Z", "a.txt", "init")}
    shas["B"] = commit(repo, "2026-03-02T10:00:00Z", "b.txt", "feat: b")
    git(repo, "2026-03-02T10:00:00Z", "tag", "v1")
    git(repo, "2026-03-02T10:00:00Z", "checkout", "-q", "-b", "feature")
    shas["C"] = commit(repo, "2026-03-02T11:00:00Z", "c.txt", "feat: c")
    git(repo, "2026-03-02T11:00:00Z", "checkout", "-q", "main")
    shas["D"] = commit(repo, "2026-03-02T12:00:00Z", "d.txt", "feat: d")
    git(repo, "2026-03-02T13:00:00Z", "merge", "-q", "--no-ff", "-m", "merge feature", "feature")
    shas["M"] = git(repo, "2026-03-02T13:00:00Z", "rev-parse", "HEAD")
    git(repo, "2026-03-02T13:30:00Z", "tag", "-a", "v2", "-m", "release 2")
    git(repo, "2026-03-03T09:00:00Z", "revert", "--no-edit", shas["D"])
    shas["R"] = git(repo, "2026-03-03T09:00:00Z", "rev-parse", "HEAD")
    return repo, shas


def write_logs(tmp_path: Path, shas: dict[str, str]) -> tuple[Path, Path]:
    deploys = tmp_path / "deploys.csv"
    deploys.write_text(
        "id,service,version,environment,time,result\n"
        "d1,api,v1,production,2026-03-02T10:30:00Z,success\n"
        "d2,api,v2,production,2026-03-02T14:00:00Z,success\n"
        "d3,api,v2,production,2026-03-03T08:00:00Z,success\n"
        f"d4,api,{shas['R'][:10]},production,2026-03-03T10:00:00Z,success\n"
        "d5,api,deadbeef,production,2026-03-03T11:00:00Z,success\n",
        encoding="utf-8",
    )
    incidents = tmp_path / "incidents.csv"
    incidents.write_text(
        "id,service,started,resolved,caused_by\ni1,api,2026-03-02T15:00:00Z,2026-03-03T10:30:00Z,d2\n",
        encoding="utf-8",
    )
    return deploys, incidents


def test_commits_tags_and_what_each_deployment_shipped(
    history: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    repo_path, shas = history
    repo, problems = read_repository(repo_path)
    assert repo is not None and problems == []
    assert set(repo.commits) == set(shas.values())
    assert repo.commits[shas["M"]].parents == (shas["D"], shas["C"])
    assert repo.commits[shas["R"]].subject.startswith('Revert "feat: d"')
    assert repo.commits[shas["C"]].time.isoformat() == "2026-03-02T11:00:00+00:00"
    assert repo.tags == {"v1": shas["B"], "v2": shas["M"]}  # the annotated tag peeled
    deploys, _ = write_logs(tmp_path, shas)
    deployments, problems = read_deployments(deploys)
    assert problems == []
    shipped, problems = shipped_commits(repo, deployments)
    assert {k: {c.sha for c in v} for k, v in shipped.items()} == {
        "d1": set(),  # the first deployment is the starting point
        "d2": {shas["C"], shas["D"], shas["M"]},
        "d3": set(),  # v2 again: nothing new
        "d4": {shas["R"]},
        "d5": set(),
    }
    assert [(d.code, d.loc.line) for d in problems] == [("W471", 6)]


def test_dora_end_to_end_json(history: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    repo_path, shas = history
    deploys, incidents = write_logs(tmp_path, shas)
    args = ["dora", "--repo", str(repo_path), "--deployments", str(deploys)]
    result = CliRunner().invoke(app, [*args, "--incidents", str(incidents), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    total = data["overall"]["total"]
    # leads: C 3 h, D 2 h, M 1 h (shipped by d2), R 1 h (d4)
    assert total["lead_time_commits"] == 4
    assert (total["lead_time_median_s"], total["lead_time_p90_s"]) == (1.5 * H, 3 * H)
    assert (total["deployments"], total["failed_deployments"], total["change_fail_rate"]) == (
        5,
        1,
        0.2,
    )
    assert total["recovery_time_median_s"] == 19.5 * H
    assert (total["rework_deployments"], total["rework_rate"]) == (2, 0.4)  # d3, d4
    assert [d["code"] for d in data["diagnostics"]] == ["W471"]
    table = CliRunner().invoke(app, args)
    assert table.exit_code == 0 and "all services" in table.stdout


def test_not_a_repository_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    deploys = tmp_path / "deploys.csv"
    deploys.write_text("service,version,environment,time\napi,abc1,production,2026-03-02\n")
    result = CliRunner().invoke(
        app, ["dora", "--repo", str(tmp_path / "nowhere"), "--deployments", str(deploys)]
    )
    assert result.exit_code == 1
    assert "E475" in result.output


def test_parse_log_keeps_odd_subjects() -> None:
    raw = (
        b"abc\x1f\x1f1772442000\x1fsubject with\x1f unit sep\x00\ndef\x1fabc\x1f1772445600\x1fx\x00"
    )
    commits = parse_log(raw)
    assert commits["abc"].subject == "subject with\x1f unit sep"
    assert commits["def"].parents == ("abc",)


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="not a git checkout")
def test_smoke_on_the_projects_own_repository(tmp_path: Path) -> None:
    log = subprocess.run(
        ["git", "-C", str(ROOT), "log", "--first-parent", "-n", "60", "--format=%H %cI"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    picked = [line.split() for line in log if line][::10][::-1]
    rows = [f"ontrack,{sha},production,{when},success" for sha, when in picked]
    deploys = tmp_path / "deploys.csv"
    deploys.write_text("service,version,environment,time,result\n" + "\n".join(rows) + "\n")
    result = CliRunner().invoke(
        app, ["dora", "--repo", str(ROOT), "--deployments", str(deploys), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    total = json.loads(result.stdout)["overall"]["total"]
    assert total["deployments"] == len(picked)
    assert total["lead_time_commits"] >= len(picked) - 1
    assert total["lead_time_median_s"] is not None and total["lead_time_median_s"] >= 0


def test_since_and_until_are_days_both_included(
    history: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    repo_path, shas = history
    deploys, incidents = write_logs(tmp_path, shas)
    args = ["dora", "--repo", str(repo_path), "--deployments", str(deploys), "-f", "json"]
    window = ["--since", "2026-03-03", "--until", "2026-03-03", "--period", "month"]
    result = CliRunner().invoke(app, [*args, "--incidents", str(incidents), *window])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    total = data["overall"]["total"]
    assert (total["days"], total["deployments"], total["lead_time_commits"]) == (1.0, 3, 1)
    assert total["incidents"] == 0  # i1 started on the 2nd
    assert [p["start"] for p in data["overall"]["periods"]] == ["2026-03-01"]
    bad = CliRunner().invoke(app, [*args, "--until", "9999-12-31"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_versions_resolve_by_tag_full_sha_or_unique_prefix() -> None:
    commits = parse_log(
        b"abcd1111\x1f\x1f1772442000\x1fone\x00"
        b"abcd2222\x1fabcd1111\x1f1772445600\x1ftwo\x00"
        b"ef012345\x1fabcd2222\x1f1772449200\x1fthree\x00"
    )
    repo = Repository(commits, {"v1": "abcd1111", "ef01": "abcd2222"})
    assert repo.resolve("v1") == "abcd1111"
    assert repo.resolve("ef01") == "abcd2222"  # a tag wins over a sha prefix
    assert repo.resolve("EF0123") == "ef012345"
    assert repo.resolve(" abcd2 ") == "abcd2222"
    assert repo.resolve("abcd") is None  # two commits start so
    assert repo.resolve("abc") is None  # too short to be taken as a prefix
    assert repo.resolve("main") is None
