"""What every councilbench DAG shares: owner, retries and who hears about failures.

The DAG integrity test checks each DAG against this policy, so a new DAG that forgets
its retries or its failure notifier fails the suite rather than a night's run.
"""

from __future__ import annotations

from datetime import timedelta

from councilbench.core import settings

OWNER = "councilbench-data-engineering"
TAG = "councilbench"


def failure_notifier():
    """An SMTP notifier for task failures (task-level: it also works under `dags test`)."""
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    return SmtpNotifier(
        to=settings.ops_email(),
        smtp_conn_id="smtp_default",
        subject="[councilbench] {{ ti.dag_id }}.{{ ti.task_id }} failed (try {{ ti.try_number }})",
        html_content=(
            "<p>Task <b>{{ ti.dag_id }}.{{ ti.task_id }}</b> failed"
            "{% if ti.map_index is not none and ti.map_index >= 0 %} (map index {{ ti.map_index }}){% endif %}"
            " in run {{ run_id }}.</p><p>Log: {{ ti.log_url }}</p>"
        ),
    )


def retry_delay() -> timedelta:
    """The first retry's wait (doubling after each try, up to 20 minutes): two minutes, or
    COUNCILBENCH_RETRY_DELAY_SECONDS (a local Airflow under test retries in seconds)."""
    return timedelta(seconds=settings.retry_delay_seconds())


def default_args(**overrides) -> dict:
    args = {
        "owner": OWNER,
        "retries": 2,
        "retry_delay": retry_delay(),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=20),
        "on_failure_callback": [failure_notifier()],
    }
    args.update(overrides)
    return args
