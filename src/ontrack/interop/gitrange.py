"""The commits between two refs of a git repository (``git log FROM..TO``), read with the git
CLI, for the release notes.

Each ref is first resolved to its commit (``git rev-parse --verify``), so an unknown tag is an
E478 that names the closest and the newest tags rather than git's own message, and only full
shas ever reach ``git log`` (a ref spelled like an option cannot become one). One ``git log``
pass then gives every commit reachable from TO and not from FROM with its parents, author,
times and whole message (fields split by 0x1F, records by NUL, so no message can break the
parse).
"""

from __future__ import annotations

import datetime as dt
import difflib
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ontrack.diagnostics import Diagnostic, SourceLoc, error, warning
from ontrack.engines.releasenotes import ChangeCommit
from ontrack.interop.gitlog import _git

_LOG_FORMAT = "%H%x1f%P%x1f%an%x1f%ae%x1f%at%x1f%ct%x1f%B"
_FIELDS = 7
_HINT_TAGS = 5


@dataclass(frozen=True, slots=True)
class CommitRange:
    """The commits reachable from ``to_ref`` and not from ``from_ref``, newest first (git's
    order), with the two ends' commits and committer times."""

    from_ref: str | None
    to_ref: str
    from_sha: str | None
    to_sha: str
    from_time: dt.datetime | None
    to_time: dt.datetime
    commits: tuple[ChangeCommit, ...]


class _Unreadable(Exception):
    """The repository cannot be read (the message says why)."""


def read_range(
    path: Path, to_ref: str = "HEAD", from_ref: str | None = None
) -> tuple[CommitRange | None, list[Diagnostic]]:
    """The commits of ``from_ref..to_ref`` at ``path`` (all of ``to_ref``'s history when
    ``from_ref`` is None), or None and why: E477 when the repository cannot be read, E478 for a
    ref it does not have. W474 when FROM is not an ancestor of TO (the range is still
    ``git log FROM..TO``: what TO has that FROM lacks)."""
    where = SourceLoc(str(path))
    try:
        if not path.is_dir():
            raise _Unreadable("not a folder")
        _git_or_unreadable(path, "rev-parse", "--git-dir")
        wanted = [("--to", to_ref)] + ([("--from", from_ref)] if from_ref is not None else [])
        shas: dict[str, str] = {}
        problems: list[Diagnostic] = []
        for option, ref in wanted:
            sha = _resolve(path, ref)
            if sha is None:
                problems.append(_unknown_ref(path, where, option, ref))
            else:
                shas[option] = sha
        if problems:
            return None, problems
        to_sha, from_sha = shas["--to"], shas.get("--from")
        args = ["log", "-z", "--no-show-signature", "--encoding=UTF-8", f"--format={_LOG_FORMAT}"]
        raw = _git_or_unreadable(path, *args, to_sha, *([f"^{from_sha}"] if from_sha else []))
        commits = parse_range_log(raw)
        to_time = _commit_time(path, to_sha)
        from_time = _commit_time(path, from_sha) if from_sha else None
        diagnostics: list[Diagnostic] = []
        if from_sha is not None and from_sha != to_sha and not _is_ancestor(path, from_sha, to_sha):
            diagnostics.append(
                warning(
                    "W474",
                    where,
                    f"--from '{from_ref}' is not an ancestor of --to '{to_ref}': the notes list "
                    f"what '{to_ref}' has that '{from_ref}' lacks",
                    "check the order of --from and --to",
                )
            )
    except FileNotFoundError:
        return None, [error("E477", where, "git is not installed", "install git")]
    except (_Unreadable, OSError, subprocess.SubprocessError) as exc:
        return None, [
            error(
                "E477",
                where,
                f"cannot read the git repository: {exc}",
                "give --repo the folder of a git repository (a clone with its history and tags)",
            )
        ]
    return CommitRange(
        from_ref, to_ref, from_sha, to_sha, from_time, to_time, tuple(commits)
    ), diagnostics


def _git_or_unreadable(path: Path, *args: str) -> bytes:
    try:
        return _git(path, *args)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise _Unreadable(str(exc)) from None


def _resolve(path: Path, ref: str) -> str | None:
    """The commit ``ref`` names (a tag, a branch, a sha, ``HEAD~3``), or None."""
    if not ref.strip() or ref.startswith("-") or "\0" in ref:
        return None
    try:
        out = _git(path, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except FileNotFoundError:
        raise
    except OSError:
        return None
    sha = out.decode("ascii", "replace").strip()
    return sha or None


def _commit_time(path: Path, sha: str) -> dt.datetime:
    raw = _git_or_unreadable(path, "log", "-1", "--no-show-signature", "--format=%ct", sha)
    try:
        return dt.datetime.fromtimestamp(int(raw.strip()), dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise _Unreadable(f"commit {sha[:12]} has a time git cannot have: {raw!r}") from None


def _is_ancestor(path: Path, ancestor: str, descendant: str) -> bool:
    try:
        _git(path, "merge-base", "--is-ancestor", ancestor, descendant)
    except FileNotFoundError:
        raise
    except OSError:
        return False
    return True


def tags(path: Path) -> list[str]:
    """The repository's tags, newest first (by the tag's or its commit's date)."""
    raw = _git_or_unreadable(
        path, "for-each-ref", "--sort=-creatordate", "--format=%(refname:short)", "refs/tags"
    )
    return [line for line in raw.decode("utf-8", "replace").splitlines() if line]


def _unknown_ref(path: Path, where: SourceLoc, option: str, ref: str) -> Diagnostic:
    try:
        known = tags(path)
    except (_Unreadable, OSError, subprocess.SubprocessError):
        known = []
    close = difflib.get_close_matches(ref, known, n=3, cutoff=0.6)
    shown = [*close, *(t for t in known if t not in close)][:_HINT_TAGS]
    if shown:
        more = f" (of {len(known)})" if len(known) > len(shown) else ""
        hint = f"tags{more}: {', '.join(shown)}"
        if close:
            hint = f"did you mean '{close[0]}'? " + hint
    else:
        hint = "the repository has no tags: give a branch, a sha or HEAD~N"
    return error(
        "E478",
        where,
        f"{option} '{ref}': the repository has no such tag, branch or commit",
        hint,
        subjects=(ref,),
    )


def parse_range_log(raw: bytes) -> list[ChangeCommit]:
    """Commits from ``git log -z --format=%H%x1f%P%x1f%an%x1f%ae%x1f%at%x1f%ct%x1f%B`` output
    (``OSError`` when it is not that)."""
    commits: list[ChangeCommit] = []
    for chunk in raw.split(b"\0"):
        record = chunk.lstrip(b"\n")
        if not record.strip():
            continue
        fields = record.decode("utf-8", "replace").split("\x1f", _FIELDS - 1)
        if len(fields) != _FIELDS:
            raise OSError(f"unexpected git log output: {fields[0][:60]!r}")
        sha, parents, author, email, authored, committed, message = fields
        try:
            author_time = dt.datetime.fromtimestamp(int(authored), dt.UTC)
            commit_time = dt.datetime.fromtimestamp(int(committed), dt.UTC)
        except (ValueError, OverflowError, OSError):
            raise OSError(f"commit {sha[:12]} has a time git cannot have") from None
        commits.append(
            ChangeCommit(
                sha, tuple(parents.split()), author, email, author_time, commit_time, message
            )
        )
    return commits
