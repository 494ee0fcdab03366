"""Software delivery records for the DORA metrics: commits, deployments and incidents.

Times are aware datetimes in UTC. A deployment names the commit (or tag) it put out; an incident
names, explicitly, the deployments that caused it, so a change failure is never guessed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from ontrack.diagnostics import UNKNOWN_LOC, SourceLoc

DeploymentResult = Literal["success", "failure"]


@dataclass(frozen=True, slots=True)
class Commit:
    """One commit of a repository: its committer time (when it entered the branch)."""

    sha: str
    time: dt.datetime
    parents: tuple[str, ...] = ()
    subject: str = ""


@dataclass(frozen=True, slots=True)
class Deployment:
    """One deployment of a service's ``version`` (a commit sha or a tag) to an environment."""

    id: str
    service: str
    version: str
    environment: str
    time: dt.datetime
    result: DeploymentResult = "success"
    loc: SourceLoc = UNKNOWN_LOC


@dataclass(frozen=True, slots=True)
class Incident:
    """A failure in production; ``caused_by`` names the deployments that caused it (ids)."""

    id: str
    service: str
    started: dt.datetime
    resolved: dt.datetime | None = None
    caused_by: tuple[str, ...] = ()
    loc: SourceLoc = UNKNOWN_LOC
