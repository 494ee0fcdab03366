"""The web app factory: ``create_app(settings)`` builds the same FastAPI application for tests
and for ``ontrack serve``. It holds one open store for its lifetime; every request reaches it
only through the application layer (``ontrack.app``)."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ontrack.web.auth import ROUTE_NEEDS, ModeCache, identify, identify_with, needs
from ontrack.web.context import Settings, State, set_session_cookie

if TYPE_CHECKING:
    pass

__all__ = ["CSP", "SERVE_ENV", "Settings", "State", "create_app", "from_environment"]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application. Opens the store now (raising StoreError when it cannot), so a bad
    ``--db`` fails before the server listens."""
    from ontrack.app.programs import Programs  # noqa: PLC0415
    from ontrack.app.workspace import Workspace  # noqa: PLC0415

    settings = settings or Settings()
    workspace = Workspace.open(settings.db, settings.plan, create=True)
    accounts = workspace.accounts()
    shared = State(
        settings,
        workspace,
        Programs(workspace, settings.options, workers=settings.workers, today=settings.today),
        accounts,
        ModeCache(accounts, settings.loopback),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        shared.programs.close()
        workspace.close()

    app = FastAPI(
        title="ontrack",
        summary="The program assessment, its plan revisions, baselines and progress.",
        version="1",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # Swagger UI loads scripts from elsewhere: not under our CSP
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.ontrack = shared

    from ontrack.web import api, pages  # noqa: PLC0415

    app.include_router(api.router)
    app.include_router(pages.router)

    app.add_middleware(_Guard, shared=shared)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        if exc.status_code == 401:
            # Back to the page after login; a change (POST) cannot be replayed: the portfolio.
            back = request.url.path if request.method == "GET" else "/"
            return RedirectResponse(f"/login?next={quote(back)}", status_code=303)
        from ontrack.web.render import page  # noqa: PLC0415

        return HTMLResponse(
            page("error.html.j2", request=request, status=exc.status_code, detail=exc.detail),
            status_code=exc.status_code,
        )

    from ontrack.app.workspace import RevisionUnreadable, StoreError  # noqa: PLC0415

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> Response:
        # Unknown program, revision or baseline: not found; a name in use: conflict; a value
        # the store cannot hold: unprocessable; the database itself: unavailable.
        status = _STORE_STATUS.get(exc.code, 503)
        detail = {"code": exc.code, "message": str(exc), "hint": exc.hint}
        return await http_error(request, HTTPException(status, detail))

    @app.exception_handler(RevisionUnreadable)
    async def unreadable(request: Request, exc: RevisionUnreadable) -> Response:
        detail = {"message": str(exc), "diagnostics": [d.to_json() for d in exc.diagnostics]}
        return await http_error(request, HTTPException(422, detail))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in exc.errors()
        ]
        if _is_api(request):
            return JSONResponse({"detail": errors}, status_code=422)
        return PlainTextResponse(
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors),
            status_code=422,
        )

    # Assets are public: declared so, like every route.
    needs("GET", "/favicon.ico", "public")
    needs("GET", "/static/{name}", "public")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return _static("favicon.svg")

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str) -> Response:
        return _static(name)

    _check_routes(app)
    return app


#: How ``ontrack serve --workers N`` hands its settings to each worker process (JSON).
SERVE_ENV = "ONTRACK_SERVE_SETTINGS"


def serve_settings_json(settings: Settings) -> str:
    """The settings a worker process rebuilds with :func:`from_environment`."""
    options = settings.options
    return json.dumps(
        {
            "db": settings.db,
            "plan": None if settings.plan is None else str(settings.plan),
            "host": settings.host,
            "workers": settings.workers,
            "iterations": None if options is None else options.iterations,
            "seed": None if options is None else options.seed,
            "time_limit": None if options is None else options.time_limit,
        }
    )


def from_environment() -> FastAPI:
    """The app of one worker process of ``ontrack serve --workers N`` (uvicorn's factory):
    the settings ``serve`` put in ``$ONTRACK_SERVE_SETTINGS``, and every program's assessment
    started at once."""
    from ontrack.app.assessment import AssessOptions  # noqa: PLC0415

    given = json.loads(os.environ[SERVE_ENV])
    defaults = AssessOptions()
    options = AssessOptions(
        iterations=given.get("iterations") or defaults.iterations,
        seed=given.get("seed") or 0,
        time_limit=given.get("time_limit") or defaults.time_limit,
    )
    app = create_app(
        Settings(
            db=given.get("db"),
            plan=None if given.get("plan") is None else Path(given["plan"]),
            host=given.get("host", "127.0.0.1"),
            options=options,
            workers=given.get("workers", 2),
        )
    )
    for name in app.state.ontrack.programs.names():
        app.state.ontrack.programs.start(name)
    return app


_STORE_STATUS = {"E510": 404, "E512": 404, "E513": 404, "E514": 422, "E515": 404, "E516": 422}
_STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
_REPORT_FILES = {"report.css", "report.js"}


def _static(name: str) -> Response:
    """Vendored and own assets, and the report's stylesheet and script (one copy of each)."""
    suffix = Path(name).suffix
    if suffix not in _STATIC_TYPES or "/" in name or name.startswith("."):
        raise HTTPException(404, "no such file")
    package = "ontrack.reports" if name in _REPORT_FILES else "ontrack.web"
    folder = "templates" if name in _REPORT_FILES else "static"
    data = _asset(package, folder, name)
    if data is None:
        raise HTTPException(404, "no such file")
    return Response(
        data,
        media_type=_STATIC_TYPES[suffix],
        headers={"cache-control": "public, max-age=3600"},
    )


@cache
def _asset(package: str, folder: str, name: str) -> bytes | None:
    """A packaged asset's bytes, read once (they change only with ontrack itself)."""
    try:
        return resources.files(package).joinpath(folder, name).read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _wants_session(request: Request) -> bool:
    return (
        request.method == "GET"
        and not _is_api(request)
        and not request.url.path.startswith("/static/")
    )


class _Guard:
    """Who is asking (set on the request's state for the routes), a session for every new
    browser before its first page is rendered (so its forms carry a CSRF token, a login form
    too), and the security headers on every answer. Plain ASGI: Starlette's
    ``BaseHTTPMiddleware`` costs a task and a queue per request."""

    def __init__(self, app: ASGIApp, shared: State) -> None:
        self.app = app
        self.shared = shared

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        shared = self.shared
        settings = shared.settings
        request = Request(scope)
        single = shared.mode.single_user()
        actor = identify(request, shared.accounts, single)
        cookie: list[tuple[bytes, bytes]] = []
        if actor.via == "none" and _wants_session(request):
            fresh, _ = shared.accounts.create_session(
                None, ttl=dt.timedelta(hours=settings.session_hours)
            )
            actor = identify_with(request, shared.accounts, single, fresh)
            holder = Response()
            set_session_cookie(request, holder, fresh, settings)
            cookie = [(k, v) for k, v in holder.raw_headers if k == b"set-cookie"]
        request.state.actor = actor
        request.state.single_user = single
        https = scope.get("scheme") == "https"
        asset = scope["path"].startswith("/static/")

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _HEADERS:
                    headers[name] = value
                if https:
                    headers["strict-transport-security"] = "max-age=31536000"
                if not asset:
                    headers.setdefault("cache-control", "no-store")
                for _, raw in cookie:
                    headers.append("set-cookie", raw.decode("latin-1"))
            await send(message)

        await self.app(scope, receive, secured)


_HEADERS = (
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=()"),
)


def _check_routes(app: FastAPI) -> None:
    """Every route says what it needs (``ontrack.web.auth.needs``): a route added without it
    would otherwise be open to anyone."""
    from fastapi import routing  # noqa: PLC0415

    # FastAPI 0.16x keeps an included router as one entry of app.routes: walk into it.
    walk = getattr(routing, "iter_route_contexts", None)
    routes = [c.original_route for c in walk(app.routes)] if walk else app.routes
    for route in routes:
        if isinstance(route, routing.APIRoute):
            for method in route.methods or ():
                if (method, route.path) not in ROUTE_NEEDS:
                    raise RuntimeError(f"route {method} {route.path} declares no need")
