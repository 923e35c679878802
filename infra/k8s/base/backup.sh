#!/bin/sh
# Postgres backup: pg_dump (custom format) uploaded to S3, and files older than the
# retention deleted. Run by the CronJob `backup` (backup.yaml); the restore drill
# (tests/infra/test_backup_restore.py) runs its `dump` step against the test database.
#
#   backup.sh dump FILE     pg_dump of DATABASE_URL into FILE
#   backup.sh upload FILE   FILE to s3://BACKUP_S3_BUCKET/BACKUP_S3_PREFIX/, then delete
#                           what is older than BACKUP_RETENTION_DAYS there (MinIO's mc,
#                           any S3: credentials in BACKUP_S3_ACCESS_KEY/_SECRET_KEY,
#                           endpoint in BACKUP_S3_ENDPOINT_URL, by default the media
#                           storage's STORAGE_S3_ENDPOINT_URL)
#
# Restore: infra/k8s/README.md "Backups and restoring".
set -eu

dump() {
  local url
  url=${DATABASE_URL:?DATABASE_URL is not set}
  # The services' SQLAlchemy URL, for libpq.
  url=$(printf '%s' "$url" | sed 's/^postgresql+asyncpg:/postgresql:/')
  # Custom format: compressed, and pg_restore can restore one table out of it.
  pg_dump --format=custom --compress=6 --no-owner --no-privileges --dbname="$url" --file="$1"
  [ -s "$1" ] || { echo "pg_dump wrote nothing to $1" >&2; exit 1; }
}

upload() {
  local endpoint scheme host target
  endpoint=${BACKUP_S3_ENDPOINT_URL:-${STORAGE_S3_ENDPOINT_URL:?no BACKUP_S3_ENDPOINT_URL}}
  scheme=${endpoint%%://*}
  host=${endpoint#*://}
  export MC_HOST_backup="$scheme://${BACKUP_S3_ACCESS_KEY:?}:${BACKUP_S3_SECRET_KEY:?}@$host"
  target="backup/${BACKUP_S3_BUCKET:?}/${BACKUP_S3_PREFIX:-postgres}"
  mc cp --quiet "$1" "$target/$(basename "$1")"
  mc rm --recursive --force --older-than "${BACKUP_RETENTION_DAYS:-14}d" "$target/"
  echo "backup $(basename "$1") uploaded to $target, kept ${BACKUP_RETENTION_DAYS:-14} days"
}

case ${1:-} in
  dump) dump "${2:?backup.sh dump FILE}" ;;
  upload) upload "${2:?backup.sh upload FILE}" ;;
  *) echo "usage: backup.sh dump|upload FILE" >&2; exit 2 ;;
esac
