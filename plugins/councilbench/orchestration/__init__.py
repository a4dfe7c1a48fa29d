"""Airflow glue: assets, timetables, the DAG policy, the Airflow environment and services,
the REST API client. DAG files import from here and from the domain packages."""
