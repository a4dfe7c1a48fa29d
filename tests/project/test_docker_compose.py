"""docker-compose.yml and the Airflow image, checked as files.

No Docker engine runs in CI, so these tests read the compose file (YAML anchors and
merges resolved by the loader) and the Dockerfile it builds, and check the structure
that would otherwise only fail at `docker compose up`. A Compose implementation (the
docker client's compose plugin, else Debian's docker-compose, which .ci/run installs)
validates the file with `config`, which needs no engine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
COMPOSE = yaml.safe_load(COMPOSE_FILE.read_text())
SERVICES = COMPOSE["services"]

AIRFLOW_COMMANDS = {  # Airflow 3 component -> the `airflow` sub-command that runs it
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
}
LONG_RUNNING = ["postgres", "mailpit", *AIRFLOW_COMMANDS, "explorer"]
AIRFLOW_SERVICES = ["airflow-init", *AIRFLOW_COMMANDS]
INTERPOLATION = re.compile(r"\$\{[^}]*\}")
ANALYST_LOGIN_SCRIPT = REPO / "docker" / "postgres-init" / "02-analyst-login.sh"


def with_defaults(text: str) -> str:
    """The value compose gives when no variable is set: each ${VAR:-default} as its default."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", text)


def as_list(command) -> list[str]:
    return command.split() if isinstance(command, str) else list(command)


def container_targets(service: dict) -> dict[str, str]:
    """Container path -> host path (or named volume) of a service's short-syntax mounts."""
    return {v.split(":")[1]: v.split(":")[0] for v in service.get("volumes", [])}


def published_ports(service: dict) -> set[str]:
    """Container ports a service publishes: "127.0.0.1:5433:5432" -> "5432"."""
    return {str(p).rsplit(":", 1)[-1] for p in service.get("ports", [])}


def test_required_services_and_no_version_key():
    assert "version" not in COMPOSE  # obsolete in the Compose spec
    assert set(LONG_RUNNING + AIRFLOW_SERVICES) <= set(SERVICES)
    assert SERVICES["postgres"]["image"].startswith("postgres:16")
    assert SERVICES["mailpit"]["image"].startswith("axllent/mailpit")


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_long_running_services_have_a_healthcheck(name):
    test = SERVICES[name]["healthcheck"]["test"]
    assert test[0] in {"CMD", "CMD-SHELL"} and len(test) > 1 and all(test[1:])


@pytest.mark.parametrize("name", list(AIRFLOW_COMMANDS))
def test_airflow_services_wait_for_postgres_and_init(name):
    depends = SERVICES[name]["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["airflow-init"]["condition"] == "service_completed_successfully"


def test_init_migrates_then_bootstraps_the_warehouse_once_postgres_is_healthy():
    init = SERVICES["airflow-init"]
    script = " ".join(as_list(init["command"]))
    assert script.index("airflow db migrate") < script.index("councilbench db up")
    assert "healthcheck" not in init and init.get("restart") == "no"  # one-shot
    assert init["depends_on"]["postgres"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", list(AIRFLOW_COMMANDS))
def test_airflow_commands_are_airflow_3_components(name):
    assert as_list(SERVICES[name]["command"])[0] == AIRFLOW_COMMANDS[name]


def test_no_airflow_2_leftovers():
    text = COMPOSE_FILE.read_text()
    assert "webserver" not in text
    assert "users create" not in text  # Airflow 3 uses an auth manager, not FAB users


def test_health_endpoints_are_airflow_3_ones():
    api = " ".join(SERVICES["airflow-apiserver"]["healthcheck"]["test"])
    assert "localhost:8080/api/v2/monitor/health" in api
    scheduler = " ".join(SERVICES["airflow-scheduler"]["healthcheck"]["test"])
    assert "localhost:8974/health" in scheduler
    assert SERVICES["airflow-scheduler"]["environment"]["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "True"
    for name, job in [("airflow-dag-processor", "DagProcessorJob"), ("airflow-triggerer", "TriggererJob")]:
        assert f"airflow jobs check --job-type {job}" in " ".join(SERVICES[name]["healthcheck"]["test"])


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_project_folders_are_mounted_where_councilbench_looks(name):
    service = SERVICES[name]
    home = service["environment"]["COUNCILBENCH_HOME"]
    targets = container_targets(service)
    for folder in ["dags", "plugins", "dbt_project", "expectations"]:
        assert targets[f"{home}/{folder}"] == f"./{folder}"
    assert service["environment"]["AIRFLOW__CORE__DAGS_FOLDER"] == f"{home}/dags"
    state = service["environment"]["COUNCILBENCH_STATE_DIR"]
    assert targets[state] in COMPOSE["volumes"]  # a named volume, not the checkout


def test_every_mounted_host_path_exists_and_named_volumes_are_declared():
    for name, service in SERVICES.items():
        for source in container_targets(service).values():
            if source.startswith((".", "/")):
                assert (COMPOSE_FILE.parent / source).resolve().exists(), f"{name}: {source}"
            else:
                assert source in COMPOSE["volumes"], f"{name}: undeclared volume {source}"


def test_warehouse_database_is_created_by_the_postgres_init_script():
    init_dir = container_targets(SERVICES["postgres"])["/docker-entrypoint-initdb.d"]
    sql = " ".join(p.read_text() for p in (REPO / init_dir).glob("*.sql"))
    env = SERVICES["airflow-scheduler"]["environment"]
    database = urlsplit(env["WAREHOUSE_URL"]).path.lstrip("/")
    assert urlsplit(env["AIRFLOW_CONN_WAREHOUSE"]).path.lstrip("/") == database
    assert re.search(rf"CREATE DATABASE {database}\b", sql)
    assert SERVICES["postgres"]["environment"]["POSTGRES_DB"] == "airflow"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith("@postgres:5432/airflow")


def test_ui_ports_are_published():
    assert "8025" in published_ports(SERVICES["mailpit"])
    assert "8080" in published_ports(SERVICES["airflow-apiserver"])


def test_every_published_port_listens_on_this_machine_only():
    published = {name: [str(p) for p in service.get("ports", [])] for name, service in SERVICES.items()}
    assert {name for name, ports in published.items() if ports} == {
        "postgres",
        "mailpit",
        "airflow-apiserver",
        "flower",
        "explorer",
    }
    for name, ports in published.items():
        for port in ports:
            assert port.startswith("127.0.0.1:"), f"{name}: {port} is open to the network"


def test_images_are_pinned_to_a_release():
    for name, service in SERVICES.items():
        image = service.get("image", "")
        if not image or image == COMPOSE["x-airflow-common"]["image"]:  # built here
            continue
        assert ":" in image and not image.endswith(":latest"), f"{name}: {image}"
    assert re.fullmatch(r"axllent/mailpit:v\d+\.\d+\.\d+", SERVICES["mailpit"]["image"])


def test_dockerignore_keeps_generated_files_out_of_the_build_context():
    """The build context is the repository root: without these the virtualenv, .state/
    and egg-info (about 1 GB) would be sent to the engine on every build."""
    patterns = {
        ln.strip().rstrip("/")
        for ln in (REPO / ".dockerignore").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    }
    assert {".venv", ".state", "**/*.egg-info", ".git", ".env"} <= patterns
    # ... while everything the Dockerfile copies stays in it.
    build = COMPOSE["x-airflow-common"]["build"]
    dockerfile = (COMPOSE_FILE.parent / build["context"] / build["dockerfile"]).read_text()
    copied = {
        a.rstrip("/")
        for ln in dockerfile.splitlines()
        if ln.startswith("COPY")
        for a in ln.split()[1:-1]
        if not a.startswith("--")
    }
    assert copied == {"pyproject.toml", "requirements.lock", "README.md", "plugins"}
    assert not copied & patterns


def test_image_has_chromium_and_poppler_for_the_pdfs():
    build = COMPOSE["x-airflow-common"]["build"]
    text = (COMPOSE_FILE.parent / build["context"] / build["dockerfile"]).read_text()
    install = " ".join(re.findall(r"apt-get install[^&]*", text.replace("\\\n", " ")))
    for package in ("chromium", "poppler-utils", "fonts-liberation"):
        assert re.search(rf"(?<![\w-]){package}(?![\w-])", install), package
    # Installed as root, and pip still runs as airflow afterwards.
    lines = [ln.strip() for ln in text.splitlines()]
    assert (
        lines.index("USER root")
        < next(i for i, ln in enumerate(lines) if "apt-get install" in ln)
        < lines.index("USER airflow")
        < next(i for i, ln in enumerate(lines) if ln.startswith("RUN pip install"))
    )


def test_demo_runs_its_own_airflow_and_sends_through_mailpit():
    demo = SERVICES["demo"]
    assert demo["profiles"] == ["demo"] and demo["restart"] == "no"
    assert "councilbench demo" in " ".join(as_list(demo["command"]))
    env = demo["environment"]
    # Its own Airflow (a second scheduler on the services' metadata database is refused):
    # nothing of theirs that airflow_environ would keep over its own.
    assert not {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CORE__EXECUTION_API_SERVER_URL"} & set(env)
    assert env["WAREHOUSE_URL"] == COMPOSE["x-airflow-common"]["environment"]["WAREHOUSE_URL"]
    # Its email goes to Mailpit's SMTP port, like the services'.
    assert (env["COUNCILBENCH_SMTP_HOST"], env["COUNCILBENCH_SMTP_PORT"]) == ("mailpit", "1025")
    assert "1025" in {str(p) for p in SERVICES["mailpit"]["expose"]}
    assert demo["depends_on"]["mailpit"]["condition"] == "service_healthy"
    assert demo["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    for name in AIRFLOW_SERVICES:
        service_env = SERVICES[name]["environment"]
        assert (service_env["COUNCILBENCH_SMTP_HOST"], service_env["COUNCILBENCH_SMTP_PORT"]) == ("mailpit", "1025")


def test_the_demo_sends_through_the_named_server_and_starts_no_catcher(monkeypatch, tmp_path):
    """What the demo does with compose's COUNCILBENCH_SMTP_HOST/PORT, against a real SMTP
    server standing in for Mailpit: mail goes there, no catcher of the demo's own starts.
    Without the setting the demo starts its own catcher, as `make demo` does."""
    import json
    import smtplib
    from email.message import EmailMessage

    from councilbench.dev.mailcatcher import (
        CatcherHandle,
        relay_or_catcher,
        start_catcher,
    )
    from councilbench.orchestration.airflow_env import smtp_connection

    with start_catcher(tmp_path / "mailpit") as mailpit:
        monkeypatch.setenv("COUNCILBENCH_SMTP_HOST", mailpit.host)
        monkeypatch.setenv("COUNCILBENCH_SMTP_PORT", str(mailpit.port))
        with relay_or_catcher(tmp_path / "demo-mail") as mail:
            connection = json.loads(smtp_connection(mail.host, mail.port))  # the demo's smtp_default
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = "a@example.org", "b@example.org", "through Mailpit"
            with smtplib.SMTP(connection["host"], connection["port"]) as smtp:
                smtp.send_message(message)
        assert not isinstance(mail, CatcherHandle)
        assert [m["Subject"] for m in mailpit.messages] == ["through Mailpit"]
    assert not (tmp_path / "demo-mail").exists()

    monkeypatch.delenv("COUNCILBENCH_SMTP_HOST")
    with relay_or_catcher(tmp_path / "demo-mail") as mail:
        assert isinstance(mail, CatcherHandle) and mail.folder == tmp_path / "demo-mail"


def test_common_airflow_environment():
    env = COMPOSE["x-airflow-common"]["environment"]
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW_EXECUTOR:-LocalExecutor}"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"]
    assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith(".SimpleAuthManager")
    assert urlsplit(env["AIRFLOW_CONN_WAREHOUSE"]).scheme == "postgres"
    smtp = urlsplit(env["AIRFLOW_CONN_SMTP_DEFAULT"])
    assert (smtp.hostname, smtp.port) == ("mailpit", 1025)
    assert "disable_tls=true" in smtp.query and "disable_ssl=true" in smtp.query
    for name in AIRFLOW_SERVICES:  # the anchor really reaches every Airflow service
        assert SERVICES[name]["environment"]["AIRFLOW_CONN_WAREHOUSE"] == env["AIRFLOW_CONN_WAREHOUSE"]
        assert SERVICES[name]["user"] == "${AIRFLOW_UID:-50000}:0"


def test_no_plain_text_secrets():
    """Secrets are `${VAR:-dev default}` only, so a .env file can override every one."""
    for name, service in SERVICES.items():
        for key, value in (service.get("environment") or {}).items():
            value = "" if value is None else str(value)
            if re.search(r"(PASSWORD|SECRET|SECRET_KEY|FERNET_KEY)$", key):
                assert re.fullmatch(r"\$\{\w+(:?-[^}]*)?\}", value), f"{name}.{key}"
            # Credentials in a URL: with the interpolations removed, no password remains.
            literal = INTERPOLATION.sub("", value)
            assert not re.search(r"://[^/@\s]*:[^/@\s]+@", literal), f"{name}.{key}"


def test_dockerfile_extends_airflow_3_and_installs_the_project_with_the_lock():
    build = COMPOSE["x-airflow-common"]["build"]
    context = (COMPOSE_FILE.parent / build["context"]).resolve()
    dockerfile = context / build["dockerfile"]
    lines = [ln.strip() for ln in dockerfile.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert re.fullmatch(r"FROM apache/airflow:3\.\d+\.\d+(-python3\.\d+)?", lines[0])
    assert "USER airflow" in lines  # the image's virtualenv belongs to airflow
    install = next(ln for ln in lines if ln.startswith("RUN pip install"))
    assert "-c requirements.lock" in install and "-e ." in install
    for line in lines:  # everything copied into the image exists in the build context
        if line.startswith("COPY"):
            sources = [a for a in line.split()[1:-1] if not a.startswith("--")]
            for source in sources:
                assert (context / source).exists(), source


# --- the celery profile ----------------------------------------------------------------------


def test_celery_profile_adds_redis_and_workers_that_scale():
    for name in ("redis", "airflow-worker"):
        assert SERVICES[name]["profiles"] == ["celery"]
    assert SERVICES["flower"]["profiles"] == ["flower"]
    worker = SERVICES["airflow-worker"]
    assert as_list(worker["command"]) == ["celery", "worker"]
    # `--scale airflow-worker=N` needs no fixed name and no published port.
    assert "container_name" not in worker and "ports" not in worker
    assert worker["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert worker["depends_on"]["redis"]["condition"] == "service_healthy"
    assert worker["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    assert "inspect ping" in " ".join(worker["healthcheck"]["test"])
    assert SERVICES["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert as_list(SERVICES["flower"]["command"]) == ["celery", "flower"]
    assert "5555" in published_ports(SERVICES["flower"])


def test_celery_broker_is_the_redis_service_and_results_go_to_the_metadata_database():
    env = COMPOSE["x-airflow-common"]["environment"]
    broker = urlsplit(env["AIRFLOW__CELERY__BROKER_URL"])
    assert (broker.scheme, broker.hostname, broker.port) == ("redis", "redis", 6379)
    backend = env["AIRFLOW__CELERY__RESULT_BACKEND"]
    assert backend.startswith("db+postgresql")
    metadata = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert backend.removeprefix("db+").split("@")[-1] == metadata.split("@")[-1] == "postgres:5432/airflow"
    # Every Airflow service (workers included) shares the secrets that sign task tokens.
    for name in (*AIRFLOW_SERVICES, "airflow-worker", "flower"):
        assert SERVICES[name]["environment"]["AIRFLOW__API_AUTH__JWT_SECRET"] == env["AIRFLOW__API_AUTH__JWT_SECRET"]
        assert SERVICES[name]["environment"]["AIRFLOW__CELERY__BROKER_URL"] == env["AIRFLOW__CELERY__BROKER_URL"]


# --- the explorer --------------------------------------------------------------------------------


def test_explorer_is_the_app_on_port_8501_of_this_machine_once_the_warehouse_is_up():
    explorer, common = SERVICES["explorer"], COMPOSE["x-airflow-common"]
    assert (explorer["image"], explorer["build"]) == (common["image"], common["build"])  # the same image
    command = as_list(explorer["command"])
    # The image's entrypoint runs a bash command as it is; anything else would be `airflow ...`.
    assert command[:2] == ["bash", "-c"] and "councilbench explorer --host 0.0.0.0 --port 8501" in command[2]
    assert [with_defaults(str(p)) for p in explorer["ports"]] == ["127.0.0.1:8501:8501"]
    assert "localhost:8501/_stcore/health" in " ".join(explorer["healthcheck"]["test"])
    assert explorer["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert explorer["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"  # db up's grants
    home = explorer["environment"]["COUNCILBENCH_HOME"]
    for folder in ("plugins", "dbt_project", "expectations"):  # the code, the dbt docs, the checks
        assert f"./{folder}:{home}/{folder}:ro" in explorer["volumes"]
    # The state the reports DAG writes, read-only: the Region page offers its annual reports.
    state = explorer["environment"]["COUNCILBENCH_STATE_DIR"]
    assert f"councilbench-state:{state}:ro" in explorer["volumes"]
    assert state == COMPOSE["x-airflow-common"]["environment"]["COUNCILBENCH_STATE_DIR"]
    # The emails' link to the Check a file page is the address the explorer is published on.
    port = with_defaults(explorer["ports"][0]).split(":")[1]
    for env in (explorer["environment"], common["environment"]):
        assert with_defaults(env["COUNCILBENCH_EXPLORER_URL"]) == f"http://127.0.0.1:{port}"


def test_explorer_logs_in_as_its_own_analyst_login_and_has_no_admin_url():
    from councilbench.core import settings

    env = SERVICES["explorer"]["environment"]
    assert not {"WAREHOUSE_URL", "AIRFLOW_CONN_WAREHOUSE", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"} & set(env)
    login = urlsplit(with_defaults(env["WAREHOUSE_ANALYST_URL"]))
    warehouse = urlsplit(COMPOSE["x-airflow-common"]["environment"]["WAREHOUSE_URL"])
    assert (login.hostname, login.port, login.path) == (warehouse.hostname, warehouse.port, warehouse.path)
    # The login postgres creates on first start (its init script, from the same variables).
    postgres = SERVICES["postgres"]["environment"]
    assert env["WAREHOUSE_ANALYST_URL"].startswith(
        f"postgresql://{postgres['ANALYST_DB_USER']}:{postgres['ANALYST_DB_PASSWORD']}@"
    )
    script = ANALYST_LOGIN_SCRIPT.read_text()
    assert f"ANALYST_DB_USER:-{login.username}}}" in script and f"ANALYST_DB_PASSWORD:-{login.password}}}" in script
    assert login.username != urlsplit(with_defaults(warehouse.geturl())).username  # not the admin
    # ... a member of the role `councilbench db up` grants the marts to, and nothing more.
    assert f"GRANT {settings.ROLES['analyst']} TO %I" in script
    assert "NOSUPERUSER NOCREATEDB NOCREATEROLE" in script
    mounted = container_targets(SERVICES["postgres"])["/docker-entrypoint-initdb.d"]
    assert (REPO / mounted / ANALYST_LOGIN_SCRIPT.name).resolve() == ANALYST_LOGIN_SCRIPT
    assert sorted(p.name for p in ANALYST_LOGIN_SCRIPT.parent.iterdir())[-1] == ANALYST_LOGIN_SCRIPT.name  # runs last


# --- the Airflow release ------------------------------------------------------------------------


def test_the_image_is_the_airflow_release_and_python_the_project_pins():
    """The image's Airflow is the one pyproject.toml pins (and requirements.lock locks):
    pip is told to keep the image's own Airflow, so a FROM left behind on a version bump
    would ship the old Airflow under the new pins."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    [pin] = [d.split("==", 1)[1] for d in project["dependencies"] if re.fullmatch(r"apache-airflow==\S+", d)]
    assert f"apache-airflow=={pin}" in (REPO / "requirements.lock").read_text().splitlines()
    build = COMPOSE["x-airflow-common"]["build"]
    dockerfile = (COMPOSE_FILE.parent / build["context"] / build["dockerfile"]).read_text()
    [base] = [ln.split()[1] for ln in dockerfile.splitlines() if ln.startswith("FROM ")]
    image = re.fullmatch(r"apache/airflow:(?P<airflow>[\d.]+)-python(?P<python>3\.\d+)", base)
    assert image, f"FROM {base}: name the Airflow release and its Python, apache/airflow:<version>-python3.<minor>"
    assert image["airflow"] == pin, f"the image is Airflow {image['airflow']}, pyproject.toml pins {pin}"
    from packaging.specifiers import SpecifierSet

    assert SpecifierSet(project["requires-python"]).contains(f"{image['python']}.0"), (
        f"the image's Python {image['python']} is outside requires-python {project['requires-python']}"
    )


# --- a Compose implementation's own reading -------------------------------------------------------

PROFILES = ["--profile", "celery", "--profile", "flower", "--profile", "demo"]


def compose_command() -> list[str]:
    """The docker client's compose plugin, else the standalone docker-compose."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    assert standalone, (
        "no Compose implementation to check docker-compose.yml with: install the docker "
        "client's compose plugin or Debian's docker-compose (.ci/run installs it)"
    )
    return [standalone]


def compose(*args: str, file: Path = COMPOSE_FILE) -> subprocess.CompletedProcess:
    # Debian's docker-compose runs on the system Python: none of this virtualenv's settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "COMPOSE_"))}
    return subprocess.run(
        [*compose_command(), "--project-directory", str(REPO), "-f", str(file), *PROFILES, *args],
        capture_output=True,
        text=True,
        env=env,
    )


def test_compose_config_accepts_the_file_with_every_profile():
    result = compose("config", "-q")
    assert result.returncode == 0, result.stderr
    services = compose("config", "--services")
    assert services.returncode == 0, services.stderr
    # Its reading of anchors and merges gives the services these tests read.
    assert set(services.stdout.split()) == set(SERVICES)


BREAKAGES = {  # what a mistaken edit of the file looks like -> the word the refusal names
    "a dependency condition compose does not know": (
        "condition: service_completed_successfully",
        "condition: service_done",
        "service_done",
    ),
    "a link to a service that does not exist": (
        "\n  demo:\n",
        "\n  demo:\n    links: [no-such-service]\n",
        "no-such-service",
    ),
    "a misspelt service key": ("\n  demo:\n", "\n  demo:\n    depends_on_typo: [postgres]\n", "depends_on_typo"),
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_compose_config_refuses_a_broken_file(breakage, tmp_path):
    """`config` really validates: the file with one mistake is refused, naming it."""
    old, new, named = BREAKAGES[breakage]
    text = COMPOSE_FILE.read_text()
    assert old in text
    (tmp_path / "docker-compose.yml").write_text(text.replace(old, new, 1))
    result = compose("config", "-q", file=tmp_path / "docker-compose.yml")
    assert result.returncode != 0 and named in result.stderr, result.stderr
