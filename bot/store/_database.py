"""The database: one engine, schema kept by alembic, one session per unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session, create_engine

__all__ = ["Database", "DatabaseUnavailable", "SchemaOutdated", "SchemaState"]

_MIGRATION_LOCK = 0x6261636B6F666669  # "backoffi": the advisory lock every schema upgrade takes first


class DatabaseUnavailable(Exception):
    """The database cannot be reached or refuses work; the caller says so politely and retries later."""


@dataclass(frozen=True)
class SchemaState:
    """The schema revision a database holds (None: no schema at all) and the newest this code ships."""

    current: str | None
    newest: str
    known: bool  # False: a revision this code does not ship (a newer version upgraded the database)

    @property
    def is_newest(self) -> bool:
        return self.current == self.newest


class SchemaOutdated(Exception):
    """The database's schema is not the one this code expects; only an explicit upgrade changes it."""

    def __init__(self, state: SchemaState, url: str) -> None:
        super().__init__(f"the database at {url} holds schema revision {state.current or 'none'}")
        self.state, self.url = state, url


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # WAL lets the digest read while the bot writes; the busy timeout absorbs short write contention.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(url, connect_args={"check_same_thread": False})
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})

    def migrate(self) -> str | None:
        """Bring the schema to the newest revision (a no-op when it is already there); returns the revision
        it held before (None: no schema)."""
        cfg = _alembic_config()
        try:
            with self.engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    # Upgrades started together (one per pod, say) take turns; the later ones find it done.
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
                before = MigrationContext.configure(connection).get_current_revision()
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, "head")
                return before
        except (OperationalError, DBAPIError) as exc:
            raise DatabaseUnavailable(f"cannot prepare the database at {self.safe_url}: {exc.orig}") from exc

    def schema_state(self) -> SchemaState:
        """Which revision the database holds, read without changing anything."""
        script = ScriptDirectory.from_config(_alembic_config())
        try:
            with self.engine.connect() as connection:
                current = MigrationContext.configure(connection).get_current_revision()
        except (OperationalError, DBAPIError) as exc:
            raise DatabaseUnavailable(f"cannot read the database at {self.safe_url}: {exc.orig}") from exc
        newest = script.get_current_head()
        assert newest is not None  # the package ships its migrations
        known = current is None or current in {s.revision for s in script.walk_revisions()}
        return SchemaState(current, newest, known)

    def prepare(self, migrate: bool) -> None:
        """The newest schema: brought there with `migrate`, else only checked (SchemaOutdated), since a
        shared database changes by `backoffice db upgrade` alone, never because a process started."""
        if migrate:
            self.migrate()
        else:
            self.require_newest_schema()

    def require_newest_schema(self) -> None:
        """Refuse to work on a schema that is missing, older or newer than this code's."""
        state = self.schema_state()
        if not state.is_newest:
            raise SchemaOutdated(state, self.safe_url)

    @property
    def safe_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back on error."""
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                yield session
                session.commit()
        except OperationalError as exc:
            raise DatabaseUnavailable(f"the database at {self.safe_url} is unavailable: {exc.orig}") from exc

    def dispose(self) -> None:
        self.engine.dispose()


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("bot").joinpath("migrations")))
    return cfg
