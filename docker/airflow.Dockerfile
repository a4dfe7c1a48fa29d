# The Airflow image used by docker-compose.yml: official Airflow 3.3.2 plus the
# councilbench package and its pinned dependencies. Build context: the repository root.
FROM apache/airflow:3.3.2-python3.11

# Headless Chromium and poppler-utils (pdftoppm), so the reports DAG makes the PDFs
# here too, as outside Docker (without Chromium the reports are HTML only); the
# Liberation fonts are metric-compatible with Arial, which the reports' CSS names.
USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium poppler-utils fonts-liberation \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
ENV COUNCILBENCH_CHROMIUM=/usr/bin/chromium

# The official image keeps its Python packages in a virtualenv owned by the `airflow`
# user (/home/airflow/.local): pip must run as that user, never as root.
USER airflow
WORKDIR /opt/airflow

# Mount points for the compose file's named volumes. A new named volume copies the
# ownership and mode of the folder it is mounted on, so creating them here (owner
# airflow, group 0, group-writable) lets any AIRFLOW_UID, always run with GID 0, write
# to them. airflow-plugins stays empty on purpose: see AIRFLOW__CORE__PLUGINS_FOLDER.
RUN mkdir -p state logs airflow-plugins && chmod 775 state logs airflow-plugins

# README.md is copied because pyproject.toml names it as the package's readme.
COPY --chown=airflow:0 pyproject.toml requirements.lock README.md ./
COPY --chown=airflow:0 plugins/ plugins/

# Editable on purpose: the package resolves to /opt/airflow/plugins, which compose
# bind-mounts from the checkout (code edits need no rebuild), and councilbench finds
# dags/, dbt_project/ and expectations/ next to it. requirements.lock is a constraints
# file (the versions tested outside Docker); naming apache-airflow==$AIRFLOW_VERSION
# (set by the base image) keeps pip from ever changing the image's own Airflow.
RUN pip install --no-cache-dir -c requirements.lock "apache-airflow==${AIRFLOW_VERSION}" -e .
