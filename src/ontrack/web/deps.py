"""The check every route runs first: the caller may use this route on this program, and a
change made from a browser carries the session's CSRF token."""

from __future__ import annotations

from fastapi import HTTPException, Request

from ontrack.web.auth import (
    CSRF_FIELD,
    CSRF_HEADER,
    ROUTE_NEEDS,
    SAFE_METHODS,
    Actor,
    csrf_ok,
)
from ontrack.web.context import actor_of


async def authorize(request: Request) -> Actor:
    """401 without a login, 404 for a program the caller has no role on (its name is not
    confirmed), 403 for a role too low or a change without the CSRF token."""
    actor = actor_of(request)
    route = request.scope.get("route")
    path = getattr(route, "path", "")
    need = ROUTE_NEEDS.get((request.method, path))
    if need is None and request.method == "HEAD":
        need = ROUTE_NEEDS.get(("GET", path))
    if need is None:
        raise HTTPException(404, "no such page")
    if need != "public" and not actor.authenticated:
        # Before the CSRF check: a client without a login (an API call with an expired token)
        # is told to log in, not to reload a page.
        raise HTTPException(401, "log in first", headers={"www-authenticate": "Bearer"})
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            value = (await request.form()).get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
        if not csrf_ok(actor, sent):
            raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
    if need == "public" or need == "login":  # noqa: PLR1714 - narrows the Literal for mypy
        return actor
    program = request.path_params.get("program")
    if program is None:
        return actor
    if actor.role(program) is None:
        raise HTTPException(404, "no such program")
    if not actor.can(program, need):
        raise HTTPException(403, f"this needs the {need} role on '{program}'")
    return actor
