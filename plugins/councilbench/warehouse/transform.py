"""Running dbt in-process against the resolved warehouse, as the transformer role.

dbt reads its connection from COUNCILBENCH_DBT_* variables (see dbt_project/profiles.yml);
this module sets them from the warehouse so there is one source of connection truth.
Its target/ and logs/ go under the state folder, never into the tracked tree.
(Not named dbt_*.py: dbt imports every module with that prefix on sys.path.)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from councilbench.core import settings
from councilbench.warehouse.connection import UrlParts, Warehouse, role_url

log = logging.getLogger(__name__)


class DbtFailed(RuntimeError):
    """dbt ran and at least one node errored or failed a test."""


@dataclass
class DbtResult:
    command: list[str]
    success: bool
    nodes: list[dict] = field(default_factory=list)

    def failures(self) -> list[dict]:
        return [n for n in self.nodes if n["status"] not in ("success", "pass", "skipped", "no-op")]


def dbt_env(warehouse: Warehouse) -> dict[str, str]:
    """Environment for dbt: connection as the transformer, paths under the state folder."""
    login = role_url(warehouse, "transformer")
    parts = UrlParts.parse(login) if login else warehouse.parts
    return {
        "COUNCILBENCH_DBT_HOST": parts.host,
        "COUNCILBENCH_DBT_PORT": str(parts.port),
        "COUNCILBENCH_DBT_USER": parts.user,
        "COUNCILBENCH_DBT_PASSWORD": parts.password,
        "COUNCILBENCH_DBT_DBNAME": parts.database,
        # A role that logs in as itself needs no SET ROLE; the admin acts as transformer.
        "COUNCILBENCH_DBT_ROLE": parts.user if login else settings.TRANSFORMER_ROLE,
        "DBT_PROFILES_DIR": str(settings.dbt_project_dir()),
        "DBT_PROJECT_DIR": str(settings.dbt_project_dir()),
        "DBT_TARGET_PATH": str(settings.state_path("dbt", "target")),
        "DBT_LOG_PATH": str(settings.state_path("dbt", "logs")),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


#: dbt commands that read the project's vars.
_COMMANDS_WITH_VARS = {
    "build",
    "run",
    "test",
    "seed",
    "snapshot",
    "compile",
    "docs",
    "ls",
    "list",
    "show",
    "parse",
    "run-operation",
    "source",
}


def project_vars() -> dict:
    """The dbt vars that are settings (core.settings), so dbt follows the same setting as
    the timetable, the emails, the template, the reports and the explorer: the returns' due
    day; the smallest comparison group ranked; the savings range of the pooled spend marts;
    when a pay statistic may be published, and the councils' role names the pay schema's
    row-level security policy reads."""
    low, high = settings.spend_savings_rates()
    pay = settings.pay_thresholds()
    return {
        "returns_due_day": settings.returns_due_day(),
        "min_group_size": settings.min_group_size(),
        "spend_savings_rate_low": low,
        "spend_savings_rate_high": high,
        "pay_min_councils": pay.min_councils,
        "pay_min_incumbents": pay.min_incumbents,
        "pay_max_council_share": pay.max_council_share,
        "pay_council_group_role": settings.COUNCIL_GROUP_ROLE,
        "pay_council_role_prefix": settings.COUNCIL_ROLE_PREFIX,
    }


def settings_vars(args: list[str]) -> list[str]:
    """`--vars` for a dbt command that reads vars, unless the caller gave its own."""
    if not args or args[0] not in _COMMANDS_WITH_VARS or "--vars" in args:
        return []
    return ["--vars", json.dumps(project_vars())]


def _parsed_project(env: dict[str, str]) -> Path:
    """Where the project parsed for this connection is kept. dbt reparses the whole
    project (~3 s) when the connection differs from its last run's ("profile has
    changed"), so a machine that builds more than one database (the bench's scratch
    warehouses, the test suite's) keeps each one's parse and hands it back to dbt."""
    connection = "|".join(env[k] for k in ("COUNCILBENCH_DBT_HOST", "COUNCILBENCH_DBT_PORT", "COUNCILBENCH_DBT_DBNAME"))
    key = hashlib.sha256(f"{connection}|{env['COUNCILBENCH_DBT_USER']}".encode()).hexdigest()[:16]
    return settings.state_path("dbt", "parsed") / f"{key}.msgpack"


def _keep_parsed_project(env: dict[str, str], parsed: Path) -> None:
    """dbt writes its parse into the target folder; keep a copy for this connection
    (replaced atomically: another process may be reading it). dbt checks a parse it is
    handed against the project, the connection and the vars, and reparses when they differ."""
    written = Path(env["DBT_TARGET_PATH"]) / "partial_parse.msgpack"
    if not written.is_file():
        return
    partial = parsed.with_suffix(f".{os.getpid()}.tmp")
    shutil.copyfile(written, partial)
    os.replace(partial, parsed)


def run_dbt(warehouse: Warehouse, args: list[str], *, raise_on_failure: bool = True) -> DbtResult:
    """Invoke dbt (e.g. ["build", "--select", "marts"]) and summarise each node.

    dbtRunner is in-process: about 1 s warm instead of 4 s for a subprocess.
    """
    from dbt.cli.main import dbtRunner

    env = dbt_env(warehouse)
    parsed = _parsed_project(env)
    invoked = [
        *args,
        *settings_vars(args),
        "--project-dir",
        env["DBT_PROJECT_DIR"],
        "--profiles-dir",
        env["DBT_PROFILES_DIR"],
        *(["--partial-parse-file-path", str(parsed)] if parsed.is_file() else []),
    ]
    with settings.environ(env):
        res = dbtRunner().invoke(invoked)
    _keep_parsed_project(env, parsed)

    nodes = []
    results = getattr(res.result, "results", None) or []
    for r in results:
        nodes.append(
            {
                "node": r.node.unique_id,
                "status": str(r.status),
                "message": r.message,
                "failures": r.failures,
                "seconds": round(r.execution_time or 0.0, 3),
            }
        )
    result = DbtResult(command=args, success=bool(res.success), nodes=nodes)
    if raise_on_failure and not result.success:
        detail = "; ".join(f"{n['node']}: {n['status']} {n['message']}" for n in result.failures()) or str(
            res.exception
        )
        raise DbtFailed(f"dbt {' '.join(args)} failed: {detail}")
    return result
