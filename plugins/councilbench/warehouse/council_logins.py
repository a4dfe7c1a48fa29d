"""Logins for the councils' pay roles (`councilbench pay-login`).

`db up` creates one NOLOGIN role per council (settings.council_role). A deployment lets a
council in by giving that role LOGIN and a password, or by making people's own logins
members of it; either way PostgreSQL's row-level security shows them that council's pay
posts alone (macros/plumbing/council_row_security.sql).

The password never reaches the server, a log or the screen: the statement carries its
SCRAM-SHA-256 verifier (RFC 5802 / 7677, as PostgreSQL stores it), computed here, so it
can be printed for a DBA to run, or run with the admin connection.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from psycopg import sql

from councilbench.core import settings
from councilbench.warehouse.connection import Warehouse, connect

#: PostgreSQL's own default for a new verifier.
SCRAM_ITERATIONS = 4096
MIN_PASSWORD_LENGTH = 12


def check_password(password: str) -> None:
    """Refuse a password too short, or one outside printable ASCII: PostgreSQL normalises
    other characters (SASLprep) before hashing, which this module does not repeat."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")
    if not all(" " <= ch <= "~" for ch in password):
        raise ValueError("the password must be printable ASCII (letters, digits, punctuation, spaces)")


def scram_sha256_verifier(password: str, *, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS) -> str:
    """SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>, base64, as pg_authid
    keeps it; PostgreSQL takes a password in this form as already hashed."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def login_statement(council_code: str, password: str) -> sql.Composed:
    """ALTER ROLE <council role> LOGIN PASSWORD '<verifier>'."""
    check_password(password)
    return sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(
        sql.Identifier(settings.council_role(council_code)), sql.Literal(scram_sha256_verifier(password))
    )


def member_statement(council_code: str, login: str) -> sql.Composed:
    """GRANT <council role> TO <a person's login>: they read that council's pay posts."""
    return sql.SQL("GRANT {} TO {}").format(sql.Identifier(settings.council_role(council_code)), sql.Identifier(login))


def disable_statement(council_code: str) -> sql.Composed:
    """ALTER ROLE <council role> NOLOGIN PASSWORD NULL: as `db up` created it."""
    return sql.SQL("ALTER ROLE {} NOLOGIN PASSWORD NULL").format(sql.Identifier(settings.council_role(council_code)))


def apply(warehouse: Warehouse, council_code: str, statement: sql.Composed) -> None:
    """Run one of the statements above with the admin connection, once the council's role
    exists (`councilbench db up` creates it)."""
    role = settings.council_role(council_code)
    with connect(warehouse, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
            raise LookupError(f"role {role} does not exist on this server: run `councilbench db up` first")
        conn.execute(statement)
