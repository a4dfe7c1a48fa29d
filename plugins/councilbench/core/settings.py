"""The one settings module: every COUNCILBENCH_* environment variable is read here, and
where things live (the project folders and the one ignored state folder).

Each setting is declared once in SETTINGS with its default and meaning (the README's
table of environment variables is checked against it); `get` is the only reader, and
the typed functions below are what the rest of the code calls. Values are read when
asked for, not at import, so a test or a command can change them at run time.

Every generated file (landing copies, Airflow home, GX results, reports, embedded
Postgres data) goes under the state folder, never into the tracked tree.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

#: Role names are cluster-wide in Postgres, so they carry the project's name to avoid
#: clashing with other databases on a shared server.
LOADER_ROLE = "councilbench_loader"
TRANSFORMER_ROLE = "councilbench_transformer"
ANALYST_ROLE = "councilbench_analyst"
ROLES = {"loader": LOADER_ROLE, "transformer": TRANSFORMER_ROLE, "analyst": ANALYST_ROLE}

#: The councils' pay data access (issue 16): a group role for every council, and one role
#: per registry council (COUNCIL_ROLE_PREFIX + lower-case GSS code), all NOLOGIN, created
#: by `db up`. A council's role (or any login made a member of it) reads its own pay posts
#: in the `pay` schema through row-level security, and the marts; nothing else.
COUNCIL_GROUP_ROLE = "councilbench_council"
COUNCIL_ROLE_PREFIX = "councilbench_council_"


def council_role(council_code: str) -> str:
    """The role of one council: councilbench_council_e08000027 for Dudley."""
    return COUNCIL_ROLE_PREFIX + council_code.lower()


#: Schema -> the role that owns (writes) it. Seeds land in `reference`, which the
#: analyst cannot read because it holds the councils' data contacts.
SCHEMA_OWNERS = {
    "raw": "loader",
    "ops": "loader",
    "reference": "transformer",
    "staging": "transformer",
    "intermediate": "transformer",
    "marts": "transformer",
    # each council's own pay posts, under row-level security (read by the council roles only)
    "pay": "transformer",
}

DEFAULT_DATABASE = "councilbench"


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    meaning: str


SETTINGS = {
    s.name: s
    for s in (
        Setting("COUNCILBENCH_HOME", None, "the folder holding dags/, dbt_project/ and expectations/"),
        Setting("COUNCILBENCH_STATE_DIR", None, "where everything generated goes (default <COUNCILBENCH_HOME>/.state)"),
        Setting("COUNCILBENCH_AIRFLOW_DATABASE", None, "Airflow's metadata database (default <warehouse>_airflow)"),
        Setting("COUNCILBENCH_AIRFLOW_EXECUTOR", "local", "the executor of `councilbench airflow`: local or celery"),
        Setting("COUNCILBENCH_CELERY_BROKER_URL", "redis://127.0.0.1:6379/0", "the Celery broker"),
        Setting("COUNCILBENCH_CELERY_CONCURRENCY", "4", "task slots per Celery worker"),
        Setting("COUNCILBENCH_WORKER_NAME", None, "a Celery worker's name, before the host name on its tasks"),
        Setting(
            "COUNCILBENCH_RETURNS_BASE_URL", "http://127.0.0.1:8765/returns", "{returns_base_url} in return sources"
        ),
        Setting("COUNCILBENCH_SPEND_BASE_URL", "http://127.0.0.1:8765/spend", "{spend_base_url} in spend sources"),
        Setting("COUNCILBENCH_PAY_BASE_URL", "http://127.0.0.1:8765/pay", "{pay_base_url} in pay sources"),
        Setting("COUNCILBENCH_SPEND_SAVINGS_LOW", "0.03", "the low end of a collaboration opportunity's savings"),
        Setting("COUNCILBENCH_SPEND_SAVINGS_HIGH", "0.08", "the high end (a share of the combined spend)"),
        Setting("COUNCILBENCH_MIN_GROUP_SIZE", "4", "the fewest councils a comparison group ranks (mart_benchmark)"),
        Setting("COUNCILBENCH_PAY_MIN_COUNCILS", "5", "the fewest councils a published pay statistic comes from"),
        Setting("COUNCILBENCH_PAY_MIN_INCUMBENTS", "5", "the fewest incumbents a published pay statistic comes from"),
        Setting(
            "COUNCILBENCH_PAY_MAX_COUNCIL_SHARE",
            "0.25",
            "the largest share of a statistic's incumbents one council holds",
        ),
        Setting("COUNCILBENCH_PAY_LOGIN_PASSWORD", None, "the password `councilbench pay-login` sets (else it asks)"),
        Setting("COUNCILBENCH_RETURNS_DUE_DAY", "15", "the day of the following month a return is due"),
        Setting("COUNCILBENCH_RETURNS_DUE_TIME", "06:00", "the time (UTC) on the due day"),
        Setting("COUNCILBENCH_REMINDER_DAYS_BEFORE", "5", "how many days before the due date reminders go"),
        Setting("COUNCILBENCH_NOMIS_BASE_URL", "https://www.nomisweb.co.uk", "the NOMIS API"),
        Setting("COUNCILBENCH_DEFRA_WASTE_URL", None, "the DEFRA waste statistics file (default: GOV.UK's)"),
        Setting(
            "COUNCILBENCH_ONS_PRODUCTIVITY_LAD_URL", None, "ONS subregional productivity by district (default: ONS's)"
        ),
        Setting(
            "COUNCILBENCH_ONS_PRODUCTIVITY_ITL_URL", None, "ONS subregional productivity by ITL region (default: ONS's)"
        ),
        Setting("COUNCILBENCH_IOD_LAD_URL", None, "Indices of Deprivation 2025 File 10, districts (default: GOV.UK's)"),
        Setting(
            "COUNCILBENCH_IOD_UTLA_URL", None, "Indices of Deprivation 2025 File 11, upper tier (default: GOV.UK's)"
        ),
        Setting("COUNCILBENCH_ONS_LAND_AREA_URL", None, "ONS Standard Area Measurements zip (default: a best guess)"),
        Setting(
            "COUNCILBENCH_GPG_URL",
            "https://gender-pay-gap.service.gov.uk/viewing/download-data/{year}",
            "GOV.UK's gender pay gap download of a reporting year ({year}: its first year)",
        ),
        Setting("COUNCILBENCH_SMTP_HOST", None, "the SMTP server (default 127.0.0.1; when set the demo sends there)"),
        Setting("COUNCILBENCH_SMTP_PORT", "8025", "its port"),
        Setting(
            "COUNCILBENCH_MAIL_FROM", "councilbench@westmidlands-benchmarking.example", "the sender of every email"
        ),
        Setting("COUNCILBENCH_OPS_EMAIL", "data-platform@westmidlands-benchmarking.example", "the platform team"),
        Setting("COUNCILBENCH_RETRY_DELAY_SECONDS", "120", "the first retry delay of every DAG task"),
        Setting(
            "COUNCILBENCH_EXPLORER_URL",
            "http://127.0.0.1:8501",
            "the explorer's address as councils reach it (the emails link to its Check a file page)",
        ),
        Setting("COUNCILBENCH_CHROMIUM", None, "the browser that prints the PDFs (default: found on PATH)"),
        Setting("COUNCILBENCH_DEMO_MONTH", None, "the month the demo and bench run (default: the latest due)"),
        Setting("COUNCILBENCH_DEMO_HISTORY_MONTHS", "12", "the months of history the demo loads"),
        Setting("COUNCILBENCH_DEBUG", None, "any value: the command line prints full tracebacks"),
        Setting(
            "COUNCILBENCH_BENCH_TEMPLATE", None, "the test suite's: a database the bench's scratch warehouses copy"
        ),
    )
}


def get(name: str, default: str | None = None, *, env: Mapping[str, str] | None = None) -> str | None:
    """The value of a COUNCILBENCH_* variable (empty counts as unset), else `default`,
    else its declared default. The one place the environment is read for settings;
    `env`: read an environment being prepared for a child process instead of this one's."""
    value = (os.environ if env is None else env).get(name)
    if value:
        return value
    if default is not None:
        return default
    declared = SETTINGS.get(name)
    return declared.default if declared else None


def _int(name: str) -> int:
    text = get(name)
    try:
        return int(text)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a whole number, got {text!r}") from None


def returns_due_day() -> int:
    return _int("COUNCILBENCH_RETURNS_DUE_DAY")


def min_group_size() -> int:
    """The fewest councils with a value a comparison group needs before mart_benchmark
    ranks it (dbt var min_group_size); below it rank and quartile are null, and the
    reports and the explorer say why with this number."""
    size = _int("COUNCILBENCH_MIN_GROUP_SIZE")
    if size < 1:
        raise ValueError(f"COUNCILBENCH_MIN_GROUP_SIZE must be at least 1, got {size}")
    return size


def returns_due_time() -> tuple[int, int]:
    """(hour, minute) UTC."""
    text = get("COUNCILBENCH_RETURNS_DUE_TIME")
    hour, _, minute = text.partition(":")
    try:
        return int(hour), int(minute or 0)
    except ValueError:
        raise ValueError(f"COUNCILBENCH_RETURNS_DUE_TIME must be HH:MM, got {text!r}") from None


def reminder_days_before() -> int:
    return _int("COUNCILBENCH_REMINDER_DAYS_BEFORE")


def returns_base_url() -> str:
    return get("COUNCILBENCH_RETURNS_BASE_URL")


def spend_base_url() -> str:
    return get("COUNCILBENCH_SPEND_BASE_URL")


def pay_base_url() -> str:
    return get("COUNCILBENCH_PAY_BASE_URL")


def gpg_url() -> str:
    """The gender pay gap download's address, {year} (and {end_year}) to fill."""
    return get("COUNCILBENCH_GPG_URL")


def spend_savings_rates() -> tuple[float, float]:
    """(low, high): the savings range a collaboration opportunity shows, as shares of the
    combined spend of the councils buying the category."""
    rates = []
    for name in ("COUNCILBENCH_SPEND_SAVINGS_LOW", "COUNCILBENCH_SPEND_SAVINGS_HIGH"):
        text = get(name)
        try:
            rates.append(float(text))
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a share such as 0.05, got {text!r}") from None
    low, high = rates
    if not 0 <= low <= high < 1:
        raise ValueError(f"spend savings rates must satisfy 0 <= low <= high < 1, got {low} and {high}")
    return low, high


@dataclass(frozen=True)
class PayThresholds:
    """When a pay statistic may be published: at least min_councils councils and
    min_incumbents incumbents contribute, and no council holds more than
    max_council_share of the incumbents (a smaller comparison group is refused)."""

    min_councils: int
    min_incumbents: int
    max_council_share: float


def pay_thresholds() -> PayThresholds:
    thresholds = PayThresholds(
        _int("COUNCILBENCH_PAY_MIN_COUNCILS"), _int("COUNCILBENCH_PAY_MIN_INCUMBENTS"), _share_of_pay()
    )
    if thresholds.min_councils < 1 or thresholds.min_incumbents < 1:
        raise ValueError(f"COUNCILBENCH_PAY_MIN_COUNCILS and _MIN_INCUMBENTS must be at least 1, got {thresholds}")
    return thresholds


def _share_of_pay() -> float:
    text = get("COUNCILBENCH_PAY_MAX_COUNCIL_SHARE")
    try:
        share = float(text)
    except (TypeError, ValueError):
        share = -1.0
    if not 0 < share <= 1:
        raise ValueError(f"COUNCILBENCH_PAY_MAX_COUNCIL_SHARE must be a share such as 0.25, got {text!r}")
    return share


def pay_login_password() -> str | None:
    """The password `councilbench pay-login` gives a council's role (None: it asks)."""
    return get("COUNCILBENCH_PAY_LOGIN_PASSWORD")


def mail_from() -> str:
    """The sender of every email."""
    return get("COUNCILBENCH_MAIL_FROM")


def ops_email() -> str:
    """The platform team: task failures, the month's summary, the address councils write to."""
    return get("COUNCILBENCH_OPS_EMAIL")


def smtp_host() -> str | None:
    """The SMTP server named in the environment (None: the local default, 127.0.0.1)."""
    return get("COUNCILBENCH_SMTP_HOST")


def smtp_port() -> int:
    return _int("COUNCILBENCH_SMTP_PORT")


def retry_delay_seconds() -> int:
    return _int("COUNCILBENCH_RETRY_DELAY_SECONDS")


def explorer_url() -> str:
    """The explorer's address as councils reach it, without a trailing slash."""
    return get("COUNCILBENCH_EXPLORER_URL").rstrip("/")


def debug() -> bool:
    return bool(get("COUNCILBENCH_DEBUG"))


def project_root() -> Path:
    """The folder holding dags/, dbt_project/ and expectations/.

    COUNCILBENCH_HOME wins (containers mount the folders elsewhere); otherwise the
    source checkout this package was installed from (plugins/councilbench/..).
    """
    env = get("COUNCILBENCH_HOME")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[3]


def state_dir() -> Path:
    path = Path(get("COUNCILBENCH_STATE_DIR") or project_root() / ".state")
    path = path.resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def state_path(*parts: str) -> Path:
    """A folder under the state folder, created on first use."""
    path = state_dir().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def dags_dir() -> Path:
    return project_root() / "dags"


def dbt_project_dir() -> Path:
    return project_root() / "dbt_project"


def expectations_dir() -> Path:
    return project_root() / "expectations"


def seeds_dir() -> Path:
    return dbt_project_dir() / "seeds"


@contextlib.contextmanager
def environ(values: dict[str, str], *, unset: tuple[str, ...] = ()) -> Iterator[None]:
    """os.environ with `values` set and `unset` removed, as it was again afterwards."""
    previous = {key: os.environ.get(key) for key in (*values, *unset)}
    for key in unset:
        os.environ.pop(key, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def templates_dir() -> Path:
    """The package's templates (emails, reports, the return template)."""
    return Path(__file__).resolve().parents[1] / "templates"
