"""The one HTTP client every tracker adapter uses (httpx underneath).

- Retries what is worth retrying: timeouts, dropped connections and 5xx answers, with exponential
  backoff (0.5 s, 1 s, 2 s, … at most ``max_retries`` times).
- Honours rate limits: 429 and GitHub's 403 "secondary rate limit" wait for ``Retry-After`` or
  the reset time in ``X-RateLimit-Reset`` / ``RateLimit-Reset``, when that wait is no longer than
  ``max_wait`` (else E609, so a sync never hangs for an hour unannounced).
- Conditional requests: ``get(..., etag=...)`` sends ``If-None-Match`` and a 304 comes back as
  ``not_modified`` with no body.
- Keeps secrets out of messages: every text that reaches an error has the token removed.
- Counts requests, so benchmarks and tests can check that an incremental sync touched only
  what changed.
"""

from __future__ import annotations

import email.utils
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from ontrack.trackers.base import TrackerError

RETRY_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    data: Any  # parsed JSON; None for 304 and empty bodies
    headers: Mapping[str, str] = field(default_factory=dict)
    url: str = ""

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")


class Http:
    """A JSON client for one tracker, with the retries and limits above."""

    def __init__(
        self,
        base_url: str,
        *,
        what: str,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        secrets: tuple[str, ...] = (),
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        max_retries: int = 5,
        max_wait: float = 120.0,
        timeout: float = 30.0,
    ) -> None:
        self.what = what  # "Redmine at https://…", for messages
        self._secrets = tuple(s for s in secrets if s)
        self._sleep = sleep
        self._clock = clock
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.requests = 0
        self._count = threading.Lock()  # adapters may send a page's detail reads in parallel
        self.waited = 0.0
        self._client = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            headers={"Accept": "application/json", "User-Agent": "ontrack-sync", **(headers or {})},
            auth=auth,
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    def close(self) -> None:
        self._client.close()

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def get(
        self, path: str, params: Mapping[str, Any] | None = None, *, etag: str | None = None
    ) -> Response:
        headers = {"If-None-Match": etag} if etag else {}
        return self.request("GET", path, params=params, headers=headers)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        expect_json: bool = True,
    ) -> Response:
        """Send one request (retrying as above) and parse its JSON. Errors raise TrackerError."""
        attempt = 0
        while True:
            attempt += 1
            with self._count:
                self.requests += 1
            try:
                reply = self._client.request(
                    method,
                    path.lstrip("/") if not path.startswith("http") else path,
                    params=params,
                    json=body,
                    headers=headers,
                )
            except (httpx.TimeoutException, httpx.TransportError) as error:
                if attempt > self.max_retries:
                    raise TrackerError(
                        "E608",
                        self.redact(
                            f"{self.what} could not be reached after {attempt} tries: "
                            f"{type(error).__name__}: {error}"
                        ),
                        "check the URL and that the tracker is up, then sync again: an "
                        "interrupted sync resumes where it stopped",
                    ) from None
                self._backoff(attempt)
                continue
            wait = self._rate_limited(reply)
            if wait is not None:
                if wait > self.max_wait:
                    raise TrackerError(
                        "E609",
                        f"{self.what} asks to wait {wait:.0f} s for its rate limit "
                        f"(at most {self.max_wait:.0f} s are allowed)",
                        "sync again after the limit resets; what was read so far is kept",
                    )
                if attempt > self.max_retries:
                    raise TrackerError(
                        "E609",
                        f"{self.what} still rate-limits after {attempt} tries",
                        "sync again later; what was read so far is kept",
                    )
                self.waited += wait
                self._sleep(wait)
                continue
            if reply.status_code in RETRY_STATUSES:
                if attempt > self.max_retries:
                    raise TrackerError(
                        "E608",
                        f"{self.what} kept failing: HTTP {reply.status_code} on "
                        f"{self.redact(method)} {self.redact(_path(reply))} after {attempt} tries",
                        "the tracker is having trouble; sync again later (what was read is kept)",
                    )
                self._backoff(attempt)
                continue
            return self._parse(reply, expect_json)

    def _backoff(self, attempt: int) -> None:
        delay = min(0.5 * 2 ** (attempt - 1), 30.0)
        self.waited += delay
        self._sleep(delay)

    def _rate_limited(self, reply: httpx.Response) -> float | None:
        """Seconds to wait when the answer is a rate limit; None when it is not one."""
        status = reply.status_code
        headers = reply.headers
        remaining = headers.get("x-ratelimit-remaining", headers.get("ratelimit-remaining"))
        secondary = status == 403 and (
            remaining == "0" or "rate limit" in reply.text[:2000].lower()
        )
        if status != 429 and not secondary:
            return None
        after = headers.get("retry-after")
        if after:
            try:
                return max(0.0, float(after))
            except ValueError:
                parsed = email.utils.parsedate_to_datetime(after)
                return max(0.0, parsed.timestamp() - self._clock())
        reset = headers.get("x-ratelimit-reset", headers.get("ratelimit-reset"))
        if reset and reset.isdigit():
            value = float(reset)
            # GitHub sends an epoch time; GitLab's RateLimit-Reset is an epoch too, some send
            # seconds from now: a small number is a delay.
            return max(0.0, value - self._clock()) if value > 1e9 else value
        return 60.0  # a secondary limit with no hint: GitHub documents waiting at least a minute

    def _parse(self, reply: httpx.Response, expect_json: bool) -> Response:
        status = reply.status_code
        headers = {k.lower(): v for k, v in reply.headers.items()}
        if status == 304:
            return Response(304, None, headers, str(reply.url))
        if status in (401, 403):
            raise TrackerError(
                "E602",
                f"{self.what} refused the credentials (HTTP {status})",
                "check the token in the environment variable the source names, and that its "
                "account may read the project",
            )
        if status == 404:
            raise TrackerError(
                "E604",
                f"{self.what} has no {self.redact(_path(reply))} (HTTP 404)",
                "check the source's project (or repository, or query) and the URL",
            )
        if status >= 400:
            raise TrackerError(
                "E607" if status < 500 else "E608",
                self.redact(
                    f"{self.what} answered HTTP {status} to {_path(reply)}: "
                    f"{_snippet(reply.text)}"
                ),
                "check the source's settings in the plan",
            )
        if not expect_json or not reply.content:
            return Response(status, None, headers, str(reply.url))
        kind = headers.get("content-type", "")
        try:
            data = json.loads(reply.content)
        except (ValueError, UnicodeDecodeError):
            code = "E603" if "html" in kind or reply.text.lstrip()[:1] == "<" else "E607"
            raise TrackerError(
                code,
                self.redact(
                    f"{self.what} did not answer with JSON at {_path(reply)}: "
                    f"{_snippet(reply.text)}"
                ),
                "check that the source's url is the tracker's base URL (not a web page in front "
                "of it) and that its kind is right",
            ) from None
        return Response(status, data, headers, str(reply.url))


def _path(reply: httpx.Response) -> str:
    return reply.url.path or "/"


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text[:120] + ("…" if len(text) > 120 else "")


def link_next(headers: Mapping[str, str]) -> str | None:
    """The ``rel="next"`` URL of an RFC 8288 Link header (GitHub, GitLab pagination)."""
    value = headers.get("link")
    if not value:
        return None
    for part in value.split(","):
        pieces = part.split(";")
        target = pieces[0].strip()
        if target.startswith("<") and target.endswith(">") and any(
            p.strip().replace(" ", "") in ('rel="next"', "rel=next") for p in pieces[1:]
        ):
            return target[1:-1]
    return None


def expect(data: Any, kind: type, what: str, where: str) -> Any:
    """``data`` when it is of ``kind``; else the tracker answered garbage (E607)."""
    if not isinstance(data, kind):
        raise TrackerError(
            "E607",
            f"{where} answered {what} that is not a JSON {kind.__name__}",
            "check the source's url and kind",
        )
    return data
