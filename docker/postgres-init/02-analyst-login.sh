#!/bin/sh
# Runs once, after 01-create-warehouse.sql, when the postgres container initialises an
# empty data volume: the explorer's own login (ANALYST_DB_USER, ANALYST_DB_PASSWORD from
# .env), a member of councilbench_analyst, so the explorer reads the marts and nothing
# else, never with the admin's password. `councilbench db up` (airflow-init) grants the
# analyst role its marts afterwards; the role is created here first if missing.
#
# Idempotent: on a volume made before this file, or after changing the password in .env,
# run it by hand: docker compose exec postgres sh /docker-entrypoint-initdb.d/02-analyst-login.sh
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v login="${ANALYST_DB_USER:-councilbench_explorer}" \
     -v password="${ANALYST_DB_PASSWORD:-councilbench-explorer}" <<'SQL'
SELECT 'CREATE ROLE councilbench_analyst NOLOGIN'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'councilbench_analyst') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'login')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'login') \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', :'login', :'password') \gexec
SELECT format('GRANT councilbench_analyst TO %I', :'login') \gexec
SQL
