"""The warehouse: connecting to PostgreSQL (resolved: WAREHOUSE_URL, local, embedded), creating
its schemas and roles, running dbt, building the marts and the reference data."""
