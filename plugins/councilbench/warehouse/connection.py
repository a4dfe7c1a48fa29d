"""Finding the warehouse and connecting to it as one of the project's roles.

Resolution order (the first that applies wins):
1. ``WAREHOUSE_URL`` when set;
2. a PostgreSQL server answering on 127.0.0.1:5432 (user ``postgres``);
3. an embedded PostgreSQL (the ``pgserver`` wheel) that the project starts itself with
   its data under the state folder.

The resolved URL is the *admin* URL (it may create the database and roles). Work is
done as a project role: ``connect(role="loader")`` sets that role on the session, so
Postgres itself enforces what each step may touch. A deployment whose roles log in
separately sets ``WAREHOUSE_LOADER_URL`` (etc.) and that URL is used as it is.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit, urlunsplit

from councilbench.core import settings

log = logging.getLogger(__name__)

LOCAL_HOST, LOCAL_PORT = "127.0.0.1", 5432


@dataclass(frozen=True)
class Warehouse:
    """A resolved warehouse: the admin URL and how it was found."""

    url: str
    origin: str  # "WAREHOUSE_URL", "local server" or "embedded"

    @property
    def parts(self) -> UrlParts:
        return UrlParts.parse(self.url)

    @property
    def database(self) -> str:
        return self.parts.database

    def with_database(self, database: str) -> Warehouse:
        return Warehouse(self.parts.replace(database=database).url, self.origin)


@dataclass(frozen=True)
class UrlParts:
    """The pieces of a postgresql:// URL, including a Unix-socket host (?host=/dir)."""

    user: str
    password: str
    host: str
    port: int
    database: str

    @classmethod
    def parse(cls, url: str) -> UrlParts:
        split = urlsplit(url)
        if split.scheme not in ("postgresql", "postgres"):
            raise ValueError(f"Warehouse URL must start with postgresql:// (got {split.scheme!r})")
        query = parse_qs(split.query)
        host = query.get("host", [split.hostname or LOCAL_HOST])[0]
        return cls(
            user=unquote(split.username or "postgres"),
            password=unquote(split.password or ""),
            host=host,
            port=int(query.get("port", [split.port or LOCAL_PORT])[0]),
            database=unquote(split.path.lstrip("/")) or settings.DEFAULT_DATABASE,
        )

    @property
    def is_socket(self) -> bool:
        return self.host.startswith("/")

    @property
    def url(self) -> str:
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        if self.is_socket:
            query = urlencode({"host": self.host, "port": self.port})
            return urlunsplit(("postgresql", f"{auth}@", "/" + quote(self.database), query, ""))
        return urlunsplit(("postgresql", f"{auth}@{self.host}:{self.port}", "/" + quote(self.database), "", ""))

    def replace(self, **changes) -> UrlParts:
        return UrlParts(**{**self.__dict__, **changes})


def _port_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def embedded_data_dir():
    return settings.state_dir() / "pgdata"


def start_embedded() -> str:
    """Start (or reuse) the embedded server; return its admin URL for our database.

    The server keeps running after this process exits (cleanup_mode=None) so later
    commands, Airflow tasks and the tests reuse it; ``councilbench db stop`` stops it.
    As root, pgserver runs Postgres as a system user ``pgserver`` it creates.
    """
    import pgserver  # only needed on machines without a server

    # pgserver logs each handle at INFO, also from an atexit hook after logging closed.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    server = pgserver.get_server(embedded_data_dir(), cleanup_mode=None)
    parts = UrlParts.parse(server.get_uri())  # socket dir chosen by pgserver
    log.info("embedded PostgreSQL running with data in %s", embedded_data_dir())
    return parts.replace(database=settings.DEFAULT_DATABASE).url


def stop_embedded() -> bool:
    """Stop the embedded server if it runs; True when there was one to stop."""
    data = embedded_data_dir()
    if not (data / "postmaster.pid").exists():
        return False
    import getpass

    from pgserver._commands import pg_ctl

    # pgserver runs the server as its own system user when we are root.
    user = "pgserver" if getpass.getuser() == "root" else None
    pg_ctl(["-w", "stop"], pgdata=data, user=user)
    return True


def resolve() -> Warehouse:
    """Find the warehouse as described in the module docstring."""
    url = os.environ.get("WAREHOUSE_URL")
    if url:
        UrlParts.parse(url)  # fail early, with a clear message, on a malformed URL
        return Warehouse(url, "WAREHOUSE_URL")
    if _port_answers(LOCAL_HOST, LOCAL_PORT):
        return Warehouse(
            UrlParts("postgres", "", LOCAL_HOST, LOCAL_PORT, settings.DEFAULT_DATABASE).url,
            "local server",
        )
    return Warehouse(start_embedded(), "embedded")


def role_url(warehouse: Warehouse | None, role: str) -> str | None:
    """A login URL configured for this role, if the deployment gives one."""
    return os.environ.get(f"WAREHOUSE_{role.upper()}_URL")


def resolve_as(role: str) -> Warehouse:
    """The warehouse of a process that only ever acts as ``role`` (the explorer, as the
    analyst): the role's own login when the deployment gives one, so that process needs
    no admin URL (and never starts an embedded server); else resolve()."""
    login = role_url(None, role)
    if not login:
        return resolve()
    UrlParts.parse(login)  # fail early, with a clear message, on a malformed URL
    return Warehouse(login, f"WAREHOUSE_{role.upper()}_URL")


def connect(warehouse: Warehouse | str, role: str | None = None, **kwargs):
    """A psycopg 3 connection, acting as ``role`` (loader, transformer, analyst).

    With no role, the admin connection (used only for bootstrapping).
    """
    import psycopg

    if isinstance(warehouse, str):
        warehouse = Warehouse(warehouse, "given")
    if role and role_url(warehouse, role):
        return psycopg.connect(role_url(warehouse, role), **kwargs)
    conn = psycopg.connect(warehouse.url, **kwargs)
    if role:
        conn.execute(f'SET ROLE "{settings.ROLES[role]}"')
        if not conn.autocommit:
            conn.commit()  # keep the role for the session, not just this transaction
    return conn
