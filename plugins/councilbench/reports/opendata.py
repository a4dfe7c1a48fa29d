"""The open data release: every mart the analyst role may read, as one CSV each, and a
Frictionless data package (datapackage.json) that describes them, validated with the
`frictionless` library before it is published.

`councilbench export --out DIR` writes it for publishing with the annual report; the
explorer's Open data page offers the same CSVs and the same release as a zip, made by the
same functions (mart_csv, write_release), so what people download is what is published.

Where the words come from: each resource's and field's description is the dbt docs'
text as dbt wrote it into PostgreSQL (persist_docs: COMMENT ON the table and its
columns), read with obj_description / col_description. The comments are the docs of the
very tables being exported, read in the same snapshot as their rows, with the analyst's
connection alone; manifest.json is whatever the last `dbt docs generate` on this machine
wrote (another database, an older build, or no file at all where the explorer runs), and
the model ymls are not in the explorer's image. Types are the columns' PostgreSQL types
(what dbt's catalog reports), mapped to Table Schema types. tests/reports/test_opendata.py
checks both against the marts' ymls and catalog.json. Primary keys are the `unique` data
tests of those ymls where the dbt project is at hand (frictionless then checks them);
without it the release simply declares none.

CSVs come straight out of PostgreSQL (COPY ... TO STDOUT WITH CSV HEADER: no row passes
through Python), UTF-8, numbers as PostgreSQL writes them (no thousands separators),
NULL as an empty cell, booleans as true/false, timestamps in ISO 8601 (UTC).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from councilbench.core import calendar, settings
from councilbench.reports.data import latest_return_month, open_marts
from councilbench.warehouse.build import MARTS
from councilbench.warehouse.connection import Warehouse

SCHEMA = "marts"
DESCRIPTOR = "datapackage.json"
NAME = "councilbench-west-midlands-benchmarking"
TITLE = "West Midlands councils: performance benchmarking open data"
LICENCE = {
    "name": "OGL-UK-3.0",
    "title": "Open Government Licence v3.0",
    "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
}
#: Plain-English titles of the marts (a mart not listed is titled with its name).
TITLES = {
    "dim_council": "Councils",
    "dim_metric": "Measures (the metric catalogue)",
    "dim_period": "Reporting periods",
    "fct_metric_value": "Every council's figures",
    "mart_benchmark": "How each council compares, by comparison group",
    "mart_comparison_groups": "Comparison groups and their members",
    "mart_council_neighbours": "Nearest neighbours and why",
    "mart_neighbour_model_features": "The nearest-neighbour model's features and weights",
    "mart_region_performance": "The region's year, by measure",
    "mart_region_problems": "Region-wide problems",
    "mart_best_practice": "Councils to learn from",
    "mart_case_studies": "Good practice case studies, by measure",
    "mart_good_practice": "What to read and whom to ask where a council is in the bottom quartile or getting worse",
    "mart_submission_quality": "How each council's monthly return arrived",
}
SOURCES = [
    {"title": "Monthly returns of the 33 West Midlands councils"},
    {"title": "ONS mid-year population estimates and NOMIS claimant count", "path": "https://www.nomisweb.co.uk/"},
    {"title": "DEFRA local authority collected waste statistics", "path": "https://www.gov.uk/government/statistics"},
]

#: PostgreSQL type (format_type, without its modifiers) -> Table Schema field type. A type
#: not listed is published as a string: every value PostgreSQL writes is a valid string.
FIELD_TYPES = {
    "text": "string",
    "character varying": "string",
    "character": "string",
    "smallint": "integer",
    "integer": "integer",
    "bigint": "integer",
    "numeric": "number",
    "double precision": "number",
    "real": "number",
    "boolean": "boolean",
    "date": "date",
    "timestamp with time zone": "datetime",
    "timestamp without time zone": "datetime",
}


class ReleaseInvalid(ValueError):
    """The release does not pass frictionless validation; nothing was published."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__(f"the open data release is not valid ({len(errors)} errors): " + "; ".join(errors[:20]))


@dataclass(frozen=True)
class Column:
    name: str
    pg_type: str  # format_type(), e.g. 'numeric' or 'timestamp with time zone'
    description: str

    @property
    def type(self) -> str:
        return FIELD_TYPES.get(re.sub(r"\(.*\)", "", self.pg_type).strip(), "string")

    def select_sql(self) -> str:
        """How the column is written to CSV (see the module doc for the conventions)."""
        ident = _ident(self.name)
        if self.type == "boolean":
            return f"{ident}::text as {ident}"  # true / false, not t / f
        if self.type == "datetime":
            return f"to_json({ident}) #>> '{{}}' as {ident}"  # ISO 8601 with the 'T'
        return ident


@dataclass(frozen=True)
class Mart:
    name: str
    description: str
    columns: tuple[Column, ...]

    @property
    def title(self) -> str:
        return TITLES.get(self.name, self.name)

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    def copy_sql(self) -> str:
        columns = ", ".join(c.select_sql() for c in self.columns)
        return f"copy (select {columns} from {_ident(SCHEMA)}.{_ident(self.name)}) to stdout with (format csv, header)"


@dataclass(frozen=True)
class CsvWritten:
    rows: int
    bytes: int
    sha256: str


def _ident(name: str) -> str:
    """A quoted identifier (names come from the catalogue, never from a user)."""
    return '"' + name.replace('"', '""') + '"'


@contextmanager
def snapshot(warehouse: Warehouse) -> Iterator:
    """A read-only connection as the analyst role, in one REPEATABLE READ transaction (every
    CSV and the descriptor see the same build even if dbt commits meanwhile), with the
    output conventions of the CSVs fixed whatever the server's defaults."""
    from psycopg import IsolationLevel

    conn = open_marts(warehouse)
    try:
        for setting in (
            "datestyle = 'ISO, YMD'",
            "timezone = 'UTC'",
            "extra_float_digits = 1",
            "client_encoding = 'UTF8'",
        ):
            conn.execute(f"set {setting}")
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        with conn.transaction():
            yield conn
    finally:
        conn.close()


def readable_marts(conn) -> list[Mart]:
    """Every table and view of the marts schema the analyst role may SELECT, with its
    columns and their descriptions, in the order a reader meets them (build.MARTS first)."""
    # Only what the analyst role can read is released: confidential marts (the pay marts of
    # issue 18, say) are granted to other roles and so never enter the open release. The
    # role is named, not taken from the session, so an admin connection could not widen it.
    rows = conn.execute(
        """
        select c.relname, coalesce(obj_description(c.oid, 'pg_class'), ''),
               a.attname, format_type(a.atttypid, a.atttypmod), coalesce(col_description(c.oid, a.attnum), '')
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where n.nspname = %(schema)s and c.relkind in ('r', 'p', 'v', 'm', 'f')
          and has_schema_privilege(%(role)s, n.oid, 'USAGE')
          and has_table_privilege(%(role)s, c.oid, 'SELECT')
        order by c.relname, a.attnum
        """,
        {"schema": SCHEMA, "role": settings.ROLES["analyst"]},
    ).fetchall()
    marts: dict[str, tuple[str, list[Column]]] = {}
    for name, description, column, pg_type, column_description in rows:
        marts.setdefault(name, (description.strip(), []))[1].append(Column(column, pg_type, column_description.strip()))
    order = {name: i for i, name in enumerate(MARTS)}
    return [
        Mart(name, description, tuple(columns))
        for name, (description, columns) in sorted(marts.items(), key=lambda m: (order.get(m[0], len(order)), m[0]))
    ]


def find_mart(conn, name: str) -> Mart:
    for mart in readable_marts(conn):
        if mart.name == name:
            return mart
    raise LookupError(f"{name!r} is not a mart analysts may read")


@dataclass(frozen=True)
class Listing:
    """What the release holds, without writing it: the explorer's Open data page."""

    as_at: str | None  # the newest month with an accepted return
    marts: tuple[Mart, ...]
    rows: dict[str, int]


def listing(warehouse: Warehouse) -> Listing:
    with snapshot(warehouse) as conn:
        marts = readable_marts(conn)
        return Listing(latest_return_month(conn), tuple(marts), row_counts(conn, marts))


def row_counts(conn, marts: list[Mart]) -> dict[str, int]:
    """Rows in each mart, in one query."""
    if not marts:
        return {}
    counts = ", ".join(f"(select count(*) from {_ident(SCHEMA)}.{_ident(m.name)})" for m in marts)
    return dict(zip([m.name for m in marts], conn.execute(f"select {counts}").fetchone(), strict=True))


def write_csv(conn, mart: Mart, out: BinaryIO) -> CsvWritten:
    """The mart as CSV, streamed from PostgreSQL's COPY into `out`. The one way a mart
    becomes a file: the export, the release zip and the explorer's downloads call it."""
    digest, size = hashlib.sha256(), 0
    with conn.cursor() as cur:
        with cur.copy(mart.copy_sql()) as copy:
            for block in copy:
                out.write(block)
                digest.update(block)
                size += len(block)
        rows = cur.rowcount
    return CsvWritten(rows, size, digest.hexdigest())


def mart_csv(warehouse: Warehouse, name: str) -> bytes:
    """One mart's CSV, exactly as the release writes it (the explorer's download)."""
    with snapshot(warehouse) as conn:
        buffer = io.BytesIO()
        write_csv(conn, find_mart(conn, name), buffer)
        return buffer.getvalue()


def declared_keys(project_dir: Path | None = None) -> dict[str, list[str]]:
    """Each mart's primary key as its dbt yml declares it: a `unique` data test on a
    combination ("(a || '|' || b)") or on one column. Empty without the dbt project."""
    import yaml

    folder = (project_dir or settings.dbt_project_dir()) / "models" / SCHEMA
    keys: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models") or []:
            for test in model.get("data_tests") or []:
                if isinstance(test, dict) and "unique" in test:
                    args = test["unique"].get("arguments", test["unique"])
                    # without string literals, casts and function names:
                    # "(a::text || '/' || coalesce(b, '-'))" -> a, b
                    without_literals = re.sub(r"'[^']*'|::\w+", "", str(args.get("column_name", "")))
                    keys[model["name"]] = re.findall(r"\b[A-Za-z_]\w*\b(?!\s*\()", without_literals)
            for column in model.get("columns") or []:
                if model["name"] not in keys and "unique" in (column.get("data_tests") or []):
                    keys[model["name"]] = [column["name"]]
    return keys


def field(column: Column) -> dict:
    out = {"name": column.name, "type": column.type}
    if column.description:  # an undocumented column gets no description rather than ""
        out["description"] = column.description
    return out


def resource(mart: Mart, written: CsvWritten, key: list[str] | None) -> dict:
    schema: dict = {
        "fields": [field(c) for c in mart.columns],
        "missingValues": [""],
    }
    if key and set(key) <= {c.name for c in mart.columns}:
        schema["primaryKey"] = key
    return {
        "name": mart.name,
        "path": mart.file_name,
        "profile": "tabular-data-resource",
        "title": mart.title,
        "description": mart.description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": written.bytes,
        "hash": f"sha256:{written.sha256}",
        "dialect": {"delimiter": ",", "quoteChar": '"', "header": True},
        "schema": schema,
    }


def package(resources: list[dict], as_at: str | None, created: datetime) -> dict:
    when = f"as at the councils' returns for {calendar.month_label(as_at)}" if as_at else "with no accepted return yet"
    return {
        "profile": "tabular-data-package",
        "name": NAME,
        "title": TITLE,
        "description": (
            "How the 33 West Midlands councils compare, month by month: every table of the "
            f"benchmarking warehouse that analysts may read (the marts), {when}. One CSV per table "
            "(UTF-8, a header row, empty cells for no value); each field is described below."
        ),
        "licenses": [LICENCE],
        "sources": SOURCES,
        "created": created.isoformat(timespec="seconds"),
        "dataAsAt": as_at,
        "resources": resources,
    }


@dataclass
class Release:
    """What export() wrote, for the command line and the benchmark."""

    folder: Path
    as_at: str | None
    created: str
    resources: list[dict]  # name, path, rows, bytes
    seconds: float


def write_release(conn, folder: Path, *, keys: dict[str, list[str]] | None = None) -> tuple[dict, list[dict]]:
    """The CSVs and datapackage.json into `folder`, from one snapshot connection."""
    keys = declared_keys() if keys is None else keys
    resources, written_files = [], []
    for mart in readable_marts(conn):
        with open(folder / mart.file_name, "wb") as out:
            written = write_csv(conn, mart, out)
        resources.append(resource(mart, written, keys.get(mart.name)))
        written_files.append({"name": mart.name, "path": mart.file_name, "rows": written.rows, "bytes": written.bytes})
    descriptor = package(resources, latest_return_month(conn), datetime.now(UTC))
    (folder / DESCRIPTOR).write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return descriptor, written_files


def validate(descriptor_path: Path) -> None:
    """Frictionless validation of the whole package: the descriptor, and every CSV's
    header, types, primary keys, size and hash. Raises ReleaseInvalid with its errors."""
    import frictionless

    report = frictionless.validate(str(descriptor_path))
    if not report.valid:
        errors = [f"{task.name}: {e.message}" for task in report.tasks for e in task.errors]
        raise ReleaseInvalid([e.message for e in report.errors] + errors)


def export(warehouse: Warehouse, out_dir: Path | str, *, check: bool = True) -> Release:
    """The release into out_dir: written to a folder beside it, validated, then moved in,
    so out_dir never holds a release that failed validation. CSVs an earlier release
    listed and this one does not (a mart gone, or no longer readable) are removed."""
    started = time.monotonic()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".release-", dir=out))
    try:
        with snapshot(warehouse) as conn:
            descriptor, written = write_release(conn, staging)
        if check:
            validate(staging / DESCRIPTOR)
        _replace(out, staging, {r["path"] for r in descriptor["resources"]})
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Release(out, descriptor["dataAsAt"], descriptor["created"], written, round(time.monotonic() - started, 2))


def _replace(out: Path, staging: Path, paths: set[str]) -> None:
    previous = out / DESCRIPTOR
    if previous.exists():
        old = {r.get("path") for r in json.loads(previous.read_text()).get("resources", [])}
        for stale in old - paths:
            if isinstance(stale, str) and "/" not in stale:
                (out / stale).unlink(missing_ok=True)
    for path in sorted(paths):
        (staging / path).replace(out / path)
    (staging / DESCRIPTOR).replace(previous)  # last: the descriptor names files already in place


def release_zip(warehouse: Warehouse) -> bytes:
    """The whole release as one zip (datapackage.json and the CSVs), for a download."""
    with tempfile.TemporaryDirectory(prefix="councilbench-release-") as folder:
        with snapshot(warehouse) as conn:
            descriptor, _ = write_release(conn, Path(folder))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            zf.write(Path(folder) / DESCRIPTOR, DESCRIPTOR)
            for r in descriptor["resources"]:
                zf.write(Path(folder) / r["path"], r["path"])
        return buffer.getvalue()
