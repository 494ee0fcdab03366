"""A small client for setting a test Redmine up through its REST API (and, for thousands of
issues, through ``rails runner``). Test-side only: the adapter under test never uses it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import httpx

APP = Path("/usr/share/redmine")


class RedmineApiError(Exception):
    pass


class RedmineApi:
    """Admin access to one Redmine (``url``, ``key``); ``db`` is its SQLite file for bulk work."""

    def __init__(self, url: str, key: str, *, db: Path | None = None) -> None:
        self.url = url.rstrip("/")
        self.key = key
        self.db = db
        self._client = httpx.Client(
            base_url=self.url,
            headers={"X-Redmine-API-Key": key, "Accept": "application/json"},
            timeout=60.0,
        )
        self._statuses: dict[str, int] | None = None

    def close(self) -> None:
        self._client.close()

    # -- plumbing ---------------------------------------------------------------------------

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        reply = self._client.request(method, path, json=body, params=params or None)
        if reply.status_code >= 400:
            raise RedmineApiError(f"{method} {path}: HTTP {reply.status_code}: {reply.text[:500]}")
        return reply.json() if reply.content.strip() else None

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, **params)

    # -- reference data ---------------------------------------------------------------------

    def status_ids(self) -> dict[str, int]:
        """Issue status ids by name (New, In Progress, Resolved, Feedback, Closed, Rejected)."""
        if self._statuses is None:
            data = self.get("/issue_statuses.json")
            self._statuses = {s["name"]: int(s["id"]) for s in data["issue_statuses"]}
        return self._statuses

    def tracker_ids(self) -> dict[str, int]:
        return {t["name"]: int(t["id"]) for t in self.get("/trackers.json")["trackers"]}

    def role_ids(self) -> dict[str, int]:
        return {r["name"]: int(r["id"]) for r in self.get("/roles.json")["roles"]}

    # -- setup --------------------------------------------------------------------------------

    def create_project(self, identifier: str, name: str | None = None, **extra: Any) -> int:
        project = {
            "name": name or identifier,
            "identifier": identifier,
            "enabled_module_names": ["issue_tracking", "time_tracking"],
            "tracker_ids": sorted(self.tracker_ids().values()),
            **extra,
        }
        return int(self.call("POST", "/projects.json", {"project": project})["project"]["id"])

    def create_version(self, project: str | int, name: str, **extra: Any) -> int:
        body = {"version": {"name": name, **extra}}
        return int(self.call("POST", f"/projects/{project}/versions.json", body)["version"]["id"])

    def create_user(self, login: str, *, firstname: str = "Test", lastname: str = "") -> int:
        user = {
            "login": login,
            "firstname": firstname,
            "lastname": lastname or login.capitalize(),
            "mail": f"{login}@example.org",
            "password": "secret-password-1",
        }
        return int(self.call("POST", "/users.json", {"user": user})["user"]["id"])

    def add_member(self, project: str | int, user_id: int, role: str = "Developer") -> int:
        body = {"membership": {"user_id": user_id, "role_ids": [self.role_ids()[role]]}}
        reply = self.call("POST", f"/projects/{project}/memberships.json", body)
        return int(reply["membership"]["id"])

    def create_issue(self, project: str | int, subject: str, **fields: Any) -> int:
        """``fields``: tracker (a name) or tracker_id, status (a name) or status_id,
        estimated_hours, start_date, due_date, assigned_to_id, fixed_version_id,
        parent_issue_id, done_ratio, custom_fields, ..."""
        issue = {"project_id": project, "subject": subject, **self._named(fields)}
        return int(self.call("POST", "/issues.json", {"issue": issue})["issue"]["id"])

    def update_issue(self, issue_id: int, *, notes: str | None = None, **fields: Any) -> None:
        issue = self._named(fields)
        if notes is not None:
            issue["notes"] = notes
        self.call("PUT", f"/issues/{issue_id}.json", {"issue": issue})

    def set_status(self, issue_id: int, status: str, notes: str | None = None) -> None:
        self.update_issue(issue_id, status=status, notes=notes)

    def issue(self, issue_id: int, include: str = "journals,relations") -> dict[str, Any]:
        data: dict[str, Any] = self.get(f"/issues/{issue_id}.json", include=include)["issue"]
        return data

    def relate(self, issue_id: int, issue_to_id: int, relation_type: str = "blocks") -> int:
        """``issue_id`` blocks (or precedes) ``issue_to_id``."""
        body = {"relation": {"issue_to_id": issue_to_id, "relation_type": relation_type}}
        reply = self.call("POST", f"/issues/{issue_id}/relations.json", body)
        return int(reply["relation"]["id"])

    def log_time(self, issue_id: int, hours: float, spent_on: str | None = None) -> int:
        # Debian's default data marks no activity as the default one, so name one.
        activities = self.get("/enumerations/time_entry_activities.json")["time_entry_activities"]
        entry: dict[str, Any] = {
            "issue_id": issue_id,
            "hours": hours,
            "activity_id": activities[0]["id"],
        }
        if spent_on:
            entry["spent_on"] = spent_on
        reply = self.call("POST", "/time_entries.json", {"time_entry": entry})
        return int(reply["time_entry"]["id"])

    def create_custom_field_db(self, name: str, field_format: str = "float") -> int:
        """An issue custom field for all projects and trackers. The REST API cannot create custom
        fields, so this goes through ``rails runner``."""
        script = (
            "cf = IssueCustomField.create!(name: ARGV[0], field_format: ARGV[1], "
            "is_for_all: true, visible: true, tracker_ids: Tracker.pluck(:id)); puts cf.id"
        )
        return int(self._runner(script, name, field_format).strip().splitlines()[-1])

    def bulk_issues(self, project: str, n: int, *, prefix: str = "Bulk issue") -> list[int]:
        """``n`` issues in ``project`` at once: one ``rails runner`` and one transaction (the REST
        API needs about one request per issue). Needs ``db`` (the server's SQLite file)."""
        script = """
project = Project.find(ARGV[0])
n, prefix = ARGV[1].to_i, ARGV[2]
User.current = User.find_by_login("admin")
tracker = project.trackers.first
ids = []
Issue.transaction do
  n.times do |i|
    issue = Issue.new(project: project, tracker: tracker, author: User.current,
                      subject: "#{prefix} #{i + 1}", estimated_hours: 1 + i % 8)
    issue.save!(validate: false)
    ids << issue.id
  end
end
puts ids.to_json
"""
        return [int(i) for i in json.loads(self._runner(script, project, str(n), prefix))]

    def _runner(self, script: str, *args: str) -> str:
        if self.db is None:
            raise RedmineApiError("rails runner needs the server's database file")
        env = {
            **os.environ,
            "RAILS_ENV": "production",
            "DATABASE_URL": f"sqlite3:{self.db}",
            "RAILS_LOG_TO_STDOUT": "",
        }
        done = subprocess.run(
            ["ruby", "bin/rails", "runner", script, *args],
            cwd=APP,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if done.returncode != 0:
            raise RedmineApiError(f"rails runner failed: {done.stderr[-2000:]}")
        return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""

    def _named(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Turn ``tracker="Bug"`` and ``status="Closed"`` into ids."""
        out = dict(fields)
        if "tracker" in out:
            out["tracker_id"] = self.tracker_ids()[out.pop("tracker")]
        if "status" in out:
            out["status_id"] = self.status_ids()[out.pop("status")]
        return out
