"""A small client for Airflow 3's REST API (v2), as an engineer's script would use it:
health, unpausing, triggering a month, and reading runs and task instances.

    api = AirflowApi("http://127.0.0.1:8080", "admin", password)
    run = api.trigger_month("council_returns", "2026-10")
    api.wait_for_run("council_returns", run["dag_run_id"])

A month is triggered with the reporting month as its logical date and data interval,
exactly as the scheduler would create it, so the scheduler never runs the month a second
time when the DAG is unpaused (it skips an interval that already has a run). Reruns and
single-council runs have no logical date and name the month in their conf.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests

from councilbench.core import calendar

FINISHED = ("success", "failed")


class AirflowApiError(RuntimeError):
    """The API answered with an error, or a run did not finish as expected."""


def month_interval(month: str) -> tuple[str, str]:
    """The reporting month 'YYYY-MM' as an ISO data interval [start, end)."""
    return f"{month}-01T00:00:00Z", f"{calendar.add_months(month, 1)}-01T00:00:00Z"


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def run_seconds(run: dict) -> float | None:
    start, end = parse_time(run.get("start_date")), parse_time(run.get("end_date"))
    return round((end - start).total_seconds(), 1) if start and end else None


@dataclass
class AirflowApi:
    base_url: str
    user: str
    password: str
    timeout: float = 30.0
    _token: str | None = field(default=None, repr=False)

    # --- plumbing -------------------------------------------------------------------
    def _auth(self) -> dict[str, str]:
        if self._token is None:
            answer = requests.post(
                f"{self.base_url}/auth/token",
                json={"username": self.user, "password": self.password},
                timeout=self.timeout,
            )
            if answer.status_code not in (200, 201):
                raise AirflowApiError(f"login as {self.user} failed: HTTP {answer.status_code} {answer.text[:200]}")
            self._token = answer.json()["access_token"]
        return {"Authorization": f"Bearer {self._token}"}

    def request(self, method: str, path: str, **kwargs) -> dict:
        for attempt in (1, 2):
            answer = requests.request(
                method, f"{self.base_url}/api/v2{path}", headers=self._auth(), timeout=self.timeout, **kwargs
            )
            if answer.status_code == 401 and attempt == 1:
                self._token = None  # expired: log in again once
                continue
            break
        if answer.status_code >= 400:
            raise AirflowApiError(f"{method} {path}: HTTP {answer.status_code} {answer.text[:500]}")
        return answer.json() if answer.content else {}

    def _pages(self, path: str, key: str, params: dict | None = None, page: int = 100) -> list[dict]:
        items: list[dict] = []
        while True:
            answer = self.request("GET", path, params={**(params or {}), "limit": page, "offset": len(items)})
            items += answer[key]
            if len(items) >= answer.get("total_entries", 0) or not answer[key]:
                return items

    # --- reading --------------------------------------------------------------------
    def health(self) -> dict:
        """`/api/v2/monitor/health` (no login needed): each component's status."""
        answer = requests.get(f"{self.base_url}/api/v2/monitor/health", timeout=self.timeout)
        answer.raise_for_status()
        return answer.json()

    def unhealthy(self) -> list[str]:
        """The components the health endpoint does not call healthy (empty: all are)."""
        try:
            health = self.health()
        except requests.RequestException as exc:
            return [f"api-server ({type(exc).__name__})"]
        return sorted(name for name, part in health.items() if part.get("status") != "healthy")

    def dag_ids(self) -> list[str]:
        return [d["dag_id"] for d in self._pages("/dags", "dags")]

    def dag(self, dag_id: str) -> dict:
        return self.request("GET", f"/dags/{dag_id}")

    def import_errors(self) -> list[dict]:
        return self._pages("/importErrors", "import_errors")

    def runs(self, dag_id: str) -> list[dict]:
        """Every run of a DAG, oldest first."""
        return self._pages(f"/dags/{dag_id}/dagRuns", "dag_runs", {"order_by": "run_after"})

    def run(self, dag_id: str, run_id: str) -> dict:
        return self.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        return self._pages(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", "task_instances")

    def task_tries(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> list[dict]:
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/{map_index}/tries"
        return self.request("GET", path)["task_instances"]

    # --- acting ---------------------------------------------------------------------
    def set_paused(self, dag_id: str, paused: bool) -> dict:
        return self.request("PATCH", f"/dags/{dag_id}", json={"is_paused": paused})

    def trigger(
        self,
        dag_id: str,
        conf: dict | None = None,
        *,
        logical_date: str | None = None,
        data_interval: tuple[str, str] | None = None,
        note: str | None = None,
    ) -> dict:
        body: dict = {"logical_date": logical_date, "conf": conf or {}}
        if data_interval:
            body["data_interval_start"], body["data_interval_end"] = data_interval
        if note:
            body["note"] = note
        return self.request("POST", f"/dags/{dag_id}/dagRuns", json=body)

    def trigger_month(self, dag_id: str, month: str, conf: dict | None = None) -> dict:
        """The reporting month's own run (logical date = the month's start), as the
        scheduler would have made it; the conf names the month as well. When the month
        already has its run (an earlier trigger, or the scheduler's), a plain rerun."""
        start, end = month_interval(month)
        return self._trigger_keyed(dag_id, {"period": month, **(conf or {})}, start, (start, end))

    def trigger_due_run(self, dag_id: str, conf: dict | None = None) -> dict:
        """By hand, the run the scheduler would create now (the DAG's next logical date and
        data interval, as the dag-processor computed them), so unpausing the DAG does not
        start a second one. A plain manual run when nothing is due yet."""
        dag = self.dag(dag_id)
        logical, run_after = dag.get("next_dagrun_logical_date"), parse_time(dag.get("next_dagrun_run_after"))
        if not logical or run_after is None or run_after > utcnow():
            return self.trigger(dag_id, conf)
        interval = (dag["next_dagrun_data_interval_start"], dag["next_dagrun_data_interval_end"])
        return self._trigger_keyed(dag_id, conf, logical, interval)

    def _trigger_keyed(self, dag_id: str, conf: dict | None, logical_date: str, interval: tuple[str, str]) -> dict:
        try:
            return self.trigger(dag_id, conf, logical_date=logical_date, data_interval=interval)
        except AirflowApiError as exc:
            if "HTTP 409" not in str(exc):
                raise
            return self.trigger(dag_id, conf)  # that logical date has its run already

    def wait_for_run(self, dag_id: str, run_id: str, *, timeout: float = 600, poll: float = 2.0) -> dict:
        """Poll until the run finishes; its final state (raises on timeout, not on failure)."""
        deadline = time.monotonic() + timeout
        while True:
            run = self.run(dag_id, run_id)
            if run["state"] in FINISHED:
                return run
            if time.monotonic() > deadline:
                raise AirflowApiError(f"{dag_id} run {run_id} still {run['state']} after {timeout:.0f} s")
            time.sleep(poll)

    def wait_for_new_run(
        self, dag_id: str, after: datetime, *, run_type: str | None = None, timeout: float = 300, poll: float = 2.0
    ) -> dict:
        """The first run of `dag_id` queued after `after` (e.g. an asset-triggered one)."""
        deadline = time.monotonic() + timeout
        while True:
            for run in self.runs(dag_id):
                queued = parse_time(run.get("queued_at") or run.get("run_after"))
                if queued and queued > after and (run_type is None or run["run_type"] == run_type):
                    return run
            if time.monotonic() > deadline:
                raise AirflowApiError(
                    f"no {run_type or ''} run of {dag_id} after {after.isoformat()} within {timeout:.0f} s"
                )
            time.sleep(poll)

    def wait_until_idle(
        self, dag_ids: list[str], *, timeout: float = 600, poll: float = 2.0, settle: float = 6.0
    ) -> None:
        """Until no run of these DAGs is queued or running for `settle` seconds (asset
        events turn into runs one scheduler loop after the producer finishes)."""
        deadline, quiet_since = time.monotonic() + timeout, None
        while True:
            busy = [f"{d}:{r['dag_run_id']}" for d in dag_ids for r in self.runs(d) if r["state"] not in FINISHED]
            now = time.monotonic()
            if busy:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = now
            elif now - quiet_since >= settle:
                return
            if now > deadline:
                raise AirflowApiError(f"still running after {timeout:.0f} s: {', '.join(busy)}")
            time.sleep(poll)


def utcnow() -> datetime:
    return datetime.now(UTC)


def wait_until(predicate, *, timeout: float, poll: float = 1.0, what: str = "condition"):
    """Poll `predicate` until it returns something truthy (returned), or raise after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AirflowApiError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll)
