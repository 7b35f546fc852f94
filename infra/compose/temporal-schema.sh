#!/bin/sh
# Creates or upgrades Temporal's schema in PostgreSQL (the job the deprecated auto-setup image did).
# Safe to run on every `docker compose up`: setup-schema only writes the version table when it is
# missing, and update-schema applies only the versions a database does not have yet. Any error
# stops the stack: the temporal service waits for this one to succeed.
set -eu
: "${POSTGRES_SEEDS:?POSTGRES_SEEDS is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${SQL_PASSWORD:?SQL_PASSWORD is required}"
schema=/etc/temporal/schema/postgresql/v12
for db in temporal temporal_visibility; do
  dir=temporal
  [ "$db" = temporal_visibility ] && dir=visibility
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" -u "$POSTGRES_USER" --db "$db" setup-schema -v 0.0
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" -u "$POSTGRES_USER" --db "$db" update-schema -d "$schema/$dir/versioned"
done
echo "Temporal schema is up to date"
