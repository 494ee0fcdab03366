"""Opening the store: where it is, how it is connected, and bringing its schema up to date.

By default the store is a SQLite file in the plan's folder, ``.ontrack/ontrack.db``, opened with
write-ahead logging (readers never wait for a writer), foreign keys on, and a busy timeout so
two commands at once queue instead of failing. ``--db URL`` or ``ONTRACK_DB`` selects another
database, e.g. ``postgresql+psycopg://user@host/db``. Alembic migrates an older schema on first
use; a file that is not a SQLite database, or a database that holds something else, is refused
with a clear error.

Only a command that records (``create``) makes a store: a missing file, an empty file or an empty
database is "no store here" (E503) to every other command, and stays as it was. A path that is a
folder, a pipe or a device, and an in-memory database (which keeps nothing between commands), are
refused before anything is opened.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DataError,
    IntegrityError,
    OperationalError,
    SQLAlchemyError,
)

from ontrack.store import ENV, StoreError

CODES = ("E501", "E502", "E503", "E504")
DEFAULT_NAME = Path(".ontrack") / "ontrack.db"
BUSY_TIMEOUT_MS = 30_000
_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


@dataclass(frozen=True, slots=True)
class Location:
    url: str
    label: str  # what to tell the user (a path, or the URL without its password)


#: The execution option of a connection that only reads (see ``reader``).
READ_ONLY = "ontrack_read_only"


def reader(engine: Engine) -> Engine:
    """The engine for transactions that only read (on SQLite: no write lock taken)."""
    return engine.execution_options(**{READ_ONLY: True})


def locate(db: str | None, plan: Path | None) -> Location:
    """``--db``, else ``ONTRACK_DB``, else ``.ontrack/ontrack.db`` beside the plan."""
    url = db or os.environ.get(ENV)
    if url:
        if url.strip() == ":memory:":
            raise _in_memory(url)
        if "://" not in url:  # a plain path means a SQLite file
            path = Path(url).expanduser().resolve()
            return Location(f"sqlite+pysqlite:///{path}", str(path))
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise StoreError("E501", f"'{url}' is not a database URL: {exc}", _URL_HINT) from None
        return Location(url, parsed.render_as_string(hide_password=True))
    root = plan if plan is not None else Path.cwd()
    folder = root if root.is_dir() else root.parent
    path = (folder / DEFAULT_NAME).resolve()
    return Location(f"sqlite+pysqlite:///{path}", str(path))


_URL_HINT = "use a path, sqlite:///path.db, or postgresql+psycopg://user@host/database"
_NO_STORE_HINT = "record a revision first: ontrack apply PLAN"


def _in_memory(label: str) -> StoreError:
    return StoreError(
        "E501",
        f"'{label}' is an in-memory database: it would keep nothing between commands",
        "give a file instead, e.g. --db ontrack.db",
    )


def connect(location: Location, *, create: bool = True) -> Engine:
    """An engine on an up-to-date schema. ``create``: make the store (a missing SQLite file, or
    the tables of an empty database) if there is none; otherwise there must be one (E503)."""
    url = make_url(location.url)
    is_sqlite = url.get_backend_name() == "sqlite"
    if is_sqlite:
        memory = str(url.query.get("mode", "")) == "memory"
        if not url.database or url.database == ":memory:" or memory:
            raise _in_memory(location.label)
        _check_sqlite_file(Path(url.database), location, create=create)
    try:
        # A pool: the web app serves many requests from one store, and a new connection per
        # query (with its pragmas, or a PostgreSQL handshake) cost more than the query.
        engine = create_engine(url, future=True, pool_pre_ping=not is_sqlite)
    except (ArgumentError, ImportError, ValueError, TypeError) as exc:
        raise StoreError("E501", f"cannot use {location.label}: {exc}", _URL_HINT) from None
    if is_sqlite:
        _sqlite_pragmas(engine)
    try:
        _migrate(engine, location, create=create)
    except StoreError:
        engine.dispose()
        raise
    except SQLAlchemyError as exc:
        engine.dispose()
        raise database_error(location, exc, is_sqlite=is_sqlite) from None
    except (sqlite3.Error, ValueError, TypeError, KeyError, UnicodeError) as exc:
        # Raised as is from the connection's set-up (the pragmas) on a damaged file.
        engine.dispose()
        raise StoreError(
            "E502",
            f"{location.label} is damaged or not an ontrack store: {type(exc).__name__}: {exc}",
            "restore it from a backup, or move it away to start a new store",
        ) from None
    return engine


def database_error(location: Location, exc: SQLAlchemyError, *, is_sqlite: bool) -> StoreError:
    """The store error for a database's own error: the database cannot be reached or is busy
    (E504), it refused a value (E514), or what it holds is damaged or not ontrack's (E502)."""
    reason = _reason(exc)
    if isinstance(exc, DataError | IntegrityError):  # a value the checks before writing missed
        return StoreError(
            "E514",
            f"{location.label} refused a value: {reason}",
            "nothing was recorded; correct the value and run the command again",
        )
    if isinstance(exc, OperationalError) and not (is_sqlite and _damage(reason)):
        return StoreError(
            "E504",
            f"cannot open the store {location.label}: {reason}",
            "check the database is running and the URL, user and permissions are right",
        )
    return StoreError(
        "E502",
        f"{location.label} is damaged or not an ontrack store: {reason}",
        "restore it from a backup, or move it away to start a new store",
    )


# SQLite's own words for a file whose content is broken (rather than one it cannot reach).
_DAMAGE = ("malformed", "not a database", "decode", "no such table", "no such column", "corrupt")


def _damage(reason: str) -> bool:
    lowered = reason.lower()
    return any(word in lowered for word in _DAMAGE)


def _reason(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig) if orig is not None else str(exc)


def _check_sqlite_file(path: Path, location: Location, *, create: bool) -> None:
    """Refuse what cannot be a store before SQLite opens it (a folder, a pipe that would block,
    a file of something else), and make the folder of a new one."""
    try:
        info = path.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise _unreachable(location, exc) from None
    if info is None:
        if not create:
            raise StoreError("E503", f"no store at {location.label}", _NO_STORE_HINT)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _unreachable(location, exc) from None
        return
    if stat.S_ISDIR(info.st_mode):
        raise StoreError(
            "E502",
            f"{location.label} is a folder, not an ontrack store",
            f"point --db at a file, e.g. {path / 'ontrack.db'}",
        )
    if not stat.S_ISREG(info.st_mode):
        raise StoreError(
            "E502",
            f"{location.label} is not a regular file (a pipe, socket or device)",
            "point --db at a SQLite file",
        )
    if info.st_size == 0:
        if not create:  # an empty file is no store yet; reading it must not make one
            raise StoreError(
                "E503", f"no store at {location.label} (the file is empty)", _NO_STORE_HINT
            )
        return
    try:
        with path.open("rb") as f:
            head = f.read(16)
    except OSError as exc:
        raise _unreachable(location, exc) from None
    if head != b"SQLite format 3\x00":
        raise StoreError(
            "E502",
            f"{location.label} is not an ontrack store (not a SQLite database)",
            "move the file away, or point --db at the right database",
        )


def _unreachable(location: Location, exc: OSError) -> StoreError:
    return StoreError(
        "E504",
        f"cannot open the store {location.label}: {exc.strerror or exc}",
        "check the path and its permissions",
    )


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi: sqlite3.Connection, _record: Any) -> None:
        # We issue BEGIN ourselves (below): pysqlite's implicit transactions would start
        # writes as deferred and fail with "database is locked" instead of waiting.
        dbapi.isolation_level = None
        cursor = dbapi.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")  # durable enough with WAL, much faster
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A writer takes the write lock up front: two writers queue on the busy timeout rather
        # than one failing halfway when both try to upgrade a read lock. A reader (which never
        # writes) takes none, so page views neither queue behind each other nor behind a write.
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def _migrate(engine: Engine, location: Location, *, create: bool) -> None:
    config = _alembic_config(engine)
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        tables = set(inspect(connection).get_table_names())
    if current == head:
        return
    known = {s.revision for s in ScriptDirectory.from_config(config).walk_revisions()}
    if current is None and not tables - {"alembic_version"} and not create:
        raise StoreError("E503", f"no store in {location.label} (it is empty)", _NO_STORE_HINT)
    if current is None and tables - {"alembic_version"}:
        raise StoreError(
            "E502",
            f"{location.label} holds other tables ({', '.join(sorted(tables)[:5])}) and is not "
            "an ontrack store",
            "point --db at an empty database or an ontrack store",
        )
    if current is not None and current not in known:
        raise StoreError(
            "E502",
            f"{location.label} was written by a newer ontrack (schema {current})",
            "upgrade ontrack to use this store",
        )
    command.upgrade(config, "head")
