"""Tracker adapters: Redmine, GitHub, GitLab and Jira, read into ``TrackerItem`` records.

One HTTP client (``http``: retries, rate limits, conditional requests, secrets kept out of every
message) and one thin adapter per tracker (``redmine``, ``github``, ``gitlab``, ``jira``) that knows
that tracker's endpoints, pagination and history. ``adapter_for`` picks the adapter of a source.
"""

from __future__ import annotations

from ontrack.trackers.base import Adapter, Page, TrackerError, adapter_for

__all__ = ["Adapter", "Page", "TrackerError", "adapter_for"]
