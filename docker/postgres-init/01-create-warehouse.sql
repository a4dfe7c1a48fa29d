-- Runs once, when the postgres container initialises an empty data volume, as
-- POSTGRES_USER in the POSTGRES_DB database (airflow: Airflow's metadata).
-- The warehouse gets its own database on the same server. Its schemas and roles are
-- created by `councilbench db up` (the airflow-init service), which is idempotent and
-- also creates this database if it is missing, e.g. on a volume made before this file.
CREATE DATABASE councilbench;
