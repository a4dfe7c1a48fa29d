"""councilbench: the library the Airflow DAGs call.

Kept import-light on purpose: DAG files import from here at parse time, so nothing
heavy (pandas, Great Expectations, dbt) may be imported at package top level.
"""

__version__ = "0.1.0"
