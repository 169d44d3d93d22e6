#!/bin/sh
# Run once by the postgres image on a new data volume (docker-entrypoint-initdb.d): the
# application's own login, which owns nothing. Migrations (the `migrate` service, as the owner
# POSTGRES_USER) grant it only what it needs: it can never update, delete or truncate the record.
set -eu
psql -v ON_ERROR_STOP=1 -v password="$LSCP_APP_PASSWORD" --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE lscp_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
SQL
