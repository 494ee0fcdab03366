"""A git repository's history for the DORA metrics, read with the git CLI (no library).

One ``git log --all`` pass gives every commit with its parents, committer time and subject
(fields split by 0x1F, records by NUL, so no subject can break the parse), and one
``git for-each-ref`` the tags (annotated ones peeled to their commit). The commits each
deployment shipped are then worked out in Python on the parsed graph, not with one git call per
deployment: per service and environment, in time order, a deployment ships the ancestors of its
version that no earlier successful deployment of that service to that environment had shipped.
The first deployment of each service to an environment is the starting point: what it put out
was deployed before the log begins, so it ships nothing that is measured.
"""

from __future__ import annotations

import bisect
import datetime as dt
import os
import subprocess
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ontrack.diagnostics import Diagnostic, SourceLoc, error, warning
from ontrack.model.dora import Commit, Deployment

GIT_TIMEOUT_S = 600
_LOG_FORMAT = "%H%x1f%P%x1f%ct%x1f%s"


@dataclass(frozen=True, slots=True)
class Repository:
    """Every commit reachable from a ref (by sha) and every tag (name -> commit sha)."""

    commits: Mapping[str, Commit]
    tags: Mapping[str, str]
    ordered: tuple[str, ...] = field(default=(), repr=False)  # the shas, sorted (prefixes)

    def __post_init__(self) -> None:
        if not self.ordered:
            object.__setattr__(self, "ordered", tuple(sorted(self.commits)))

    def resolve(self, version: str) -> str | None:
        """The commit ``version`` names: a tag, a full sha or a unique sha prefix (4+ hex)."""
        version = version.strip()
        if version in self.tags:
            return self.tags[version]
        lowered = version.lower()
        if lowered in self.commits:
            return lowered
        if len(lowered) >= 4 and all(c in "0123456789abcdef" for c in lowered):
            ordered = self.ordered
            at = bisect.bisect_left(ordered, lowered)
            found = [sha for sha in ordered[at : at + 2] if sha.startswith(lowered)]
            if len(found) == 1:  # two: the prefix is ambiguous
                return found[0]
        return None


def _git(path: Path, *args: str) -> bytes:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    done = subprocess.run(
        ["git", "-C", str(path), *args],
        capture_output=True,
        env=env,
        timeout=GIT_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OSError(message[-1] if message else f"git exited with {done.returncode}")
    return done.stdout


def read_repository(path: Path) -> tuple[Repository | None, list[Diagnostic]]:
    """The repository at ``path``, or ``None`` and an E475 error saying why it could not be read."""
    where = SourceLoc(str(path))
    try:
        if not path.is_dir():
            raise OSError("not a folder")
        raw = _git(path, "log", "--all", "-z", f"--format={_LOG_FORMAT}")
        refs = _git(
            path,
            "for-each-ref",
            "--format=%(refname:short)%1f%(objectname)%1f%(*objectname)",
            "refs/tags",
        )
        commits = parse_log(raw)
    except FileNotFoundError:
        return None, [error("E475", where, "git is not installed", "install git")]
    except (OSError, subprocess.SubprocessError) as exc:
        return None, [
            error(
                "E475",
                where,
                f"cannot read the git repository: {exc}",
                "give --repo the folder of a git repository (a clone with its history)",
            )
        ]
    return Repository(commits, _parse_tags(refs)), []


def parse_log(raw: bytes) -> dict[str, Commit]:
    """Commits from ``git log -z --format=%H%x1f%P%x1f%ct%x1f%s`` output (``OSError`` when it
    is not that)."""
    commits: dict[str, Commit] = {}
    for chunk in raw.split(b"\0"):
        record = chunk.strip(b"\n")
        if not record:
            continue
        fields = record.decode("utf-8", "replace").split("\x1f", 3)
        if len(fields) != 4:
            raise OSError(f"unexpected git log output: {fields[0][:60]!r}")
        sha, parents, stamp, subject = fields
        try:
            when = dt.datetime.fromtimestamp(int(stamp), dt.UTC)
        except (ValueError, OverflowError, OSError):
            raise OSError(f"commit {sha[:12]} has a time git cannot have: {stamp!r}") from None
        commits[sha] = Commit(sha, when, tuple(parents.split()), subject)
    return commits


def _parse_tags(raw: bytes) -> dict[str, str]:
    tags: dict[str, str] = {}
    for line in raw.decode("utf-8", "replace").splitlines():
        name, obj, peeled = [*line.split("\x1f"), "", ""][:3]
        if name:
            tags[name] = peeled or obj
    return tags


def shipped_commits(
    repo: Repository, deployments: Sequence[Deployment]
) -> tuple[dict[str, tuple[Commit, ...]], list[Diagnostic]]:
    """The new commits each deployment shipped (see the module's rule), newest first, and a
    W471 warning for each deployment whose version the repository does not have."""
    diagnostics: list[Diagnostic] = []
    lanes: dict[tuple[str, str], list[tuple[int, Deployment]]] = defaultdict(list)
    for index, d in enumerate(deployments):
        lanes[(d.service, d.environment)].append((index, d))
    commits = repo.commits
    shipped: dict[str, tuple[Commit, ...]] = {}
    for lane in lanes.values():
        lane.sort(key=lambda pair: (pair[1].time, pair[0]))
        seen: set[str] = set()
        started = False
        for _, d in lane:
            sha = repo.resolve(d.version)
            if sha is None:
                diagnostics.append(
                    warning(
                        "W471",
                        d.loc,
                        f"deployment '{d.id}' names version '{d.version}', which the "
                        "repository does not have (or a sha prefix of several commits)",
                        "fetch the repository's full history and tags, or fix the version; "
                        "the deployment ships no measured commits",
                        subjects=(d.id,),
                    )
                )
                shipped[d.id] = ()
                continue
            new = _ancestors_not_in(commits, sha, seen)
            if d.result == "success":
                seen.update(new)
            shipped[d.id] = tuple(commits[s] for s in new) if started else ()
            started = started or d.result == "success"
    return shipped, diagnostics


def _ancestors_not_in(commits: Mapping[str, Commit], head: str, seen: set[str]) -> list[str]:
    """``head`` and its ancestors, stopping at commits in ``seen`` (their ancestors are too)."""
    found: list[str] = []
    visited: set[str] = set()
    stack = [head]
    while stack:
        sha = stack.pop()
        if sha in seen or sha in visited:
            continue
        visited.add(sha)
        commit = commits.get(sha)
        if commit is None:  # a shallow clone's boundary
            continue
        found.append(sha)
        stack.extend(commit.parents)
    return found
