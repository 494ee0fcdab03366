"""The web app factory: ``create_app(settings)`` builds the same FastAPI application for tests
and for ``ontrack serve``. It holds one open store for its lifetime; every request reaches it
only through the application layer (``ontrack.app``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse

from ontrack.web.auth import ROUTE_NEEDS, ModeCache, identify, identify_with, needs
from ontrack.web.context import Settings, State, set_session_cookie

if TYPE_CHECKING:
    pass

__all__ = ["CSP", "Settings", "State", "create_app"]

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

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        single = shared.mode.single_user()
        actor = identify(request, accounts, single)
        fresh = None
        if actor.via == "none" and _wants_session(request):
            # Every browser gets a session before its first page is rendered, so the page's
            # forms carry a CSRF token (a login form too: no login CSRF).
            fresh, _ = accounts.create_session(None, ttl=dt.timedelta(hours=settings.session_hours))
            actor = identify_with(request, accounts, single, fresh)
        request.state.actor = actor
        request.state.single_user = single
        response = await call_next(request)
        if fresh is not None:
            set_session_cookie(request, response, fresh, settings)
        return _secure(request, response, settings)

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
    def favicon() -> Response:
        return _static("favicon.svg")

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        return _static(name)

    _check_routes(app)
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
    try:
        data = resources.files(package).joinpath(folder, name).read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        raise HTTPException(404, "no such file") from None
    return Response(
        data,
        media_type=_STATIC_TYPES[suffix],
        headers={"cache-control": "public, max-age=3600"},
    )


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _wants_session(request: Request) -> bool:
    return (
        request.method == "GET"
        and not _is_api(request)
        and not request.url.path.startswith("/static/")
    )


def _secure(request: Request, response: Response, settings: Settings) -> Response:
    headers = response.headers
    headers["content-security-policy"] = CSP
    headers["x-content-type-options"] = "nosniff"
    headers["x-frame-options"] = "DENY"
    headers["referrer-policy"] = "no-referrer"
    headers["cross-origin-opener-policy"] = "same-origin"
    headers["permissions-policy"] = "camera=(), microphone=(), geolocation=()"
    if request.url.scheme == "https":
        headers["strict-transport-security"] = "max-age=31536000"
    if not request.url.path.startswith("/static/"):
        headers.setdefault("cache-control", "no-store")
    return response


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
