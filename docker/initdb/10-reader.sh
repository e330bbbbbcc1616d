#!/bin/sh
# Runs once, when the PostgreSQL container starts on an empty volume: a role that can only read
# the tables POSTGRES_USER creates in `public` (the demo, loaded next by the `seed` service).
# The API runs the model's SQL as this role (README: SQL safety).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v reader="${READER_ROLE:-txt2sql_reader}" -v password="$POSTGRES_PASSWORD" <<'SQL'
CREATE ROLE :"reader" LOGIN PASSWORD :'password';
GRANT USAGE ON SCHEMA public TO :"reader";
GRANT SELECT ON ALL TABLES IN SCHEMA public TO :"reader";
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO :"reader";
SQL
