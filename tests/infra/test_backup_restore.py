"""The restore drill: the backup CronJob's own dump step (infra/k8s/base/backup.sh, with
pgserver's pg_dump) dumps a migrated database full of rows; pg_restore puts it into a
fresh database; every table's row count, a checksum of the key tables' rows, the
indexes and the sequences must match."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from concierge.embedded import EmbeddedPostgres
from tests.support.infra import migrated_database

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).resolve().parents[2] / "infra" / "k8s" / "base" / "backup.sh"
KEY_TABLES = ("users", "sources", "documents", "listings", "alembic_version")

FILL = """
INSERT INTO users (telegram_id, username, first_name, language_code, role, status)
SELECT 9000000 + n, 'user' || n, 'Имя ' || n, 'ru',
       CASE WHEN n % 50 = 0 THEN 'admin' ELSE 'user' END, 'active'
FROM generate_series(1, 400) AS n;
INSERT INTO sources (kind, url, title, poll_interval_s)
SELECT 'rss', 'https://feeds.example.org/' || n, 'Feed ' || n, 900 FROM generate_series(1, 20) AS n;
INSERT INTO documents (source_id, kind, external_id, url, title, text, language, published_at,
                       content_hash, simhash, band0, band1, band2, band3, attributes)
SELECT s.id, 'article', 'ext-' || n, 'https://example.org/a/' || n, 'Title ' || n,
       'Текст статьи номер ' || n || E' with a tab\\t, quotes '' " and a backslash \\\\',
       'ru', now() - n * interval '1 minute', md5(n::text), n * 7919, n % 65536, n % 977,
       n % 31, n % 7, jsonb_build_object('n', n, 'tags', jsonb_build_array('a', n))
FROM generate_series(1, 1500) AS n
JOIN sources s ON s.id = (SELECT min(id) FROM sources) + n % 20;
INSERT INTO listings (owner_id, title, description, category, price, currency, city, status,
                      document_id)
SELECT u.id, 'Listing ' || n, 'Описание ' || n, 'electronics', n * 10.5, 'RUB', 'Москва',
       'approved', d.id
FROM generate_series(1, 300) AS n
JOIN users u ON u.telegram_id = 9000000 + n
JOIN documents d ON d.external_id = 'ext-' || n;
"""


def query(postgres: EmbeddedPostgres, database: str, sql: str) -> str:
    done = subprocess.run(
        [str(postgres.bin / "psql"), "-X", "-At", "-v", "ON_ERROR_STOP=1",
         "-h", str(postgres.data_dir), "-U", "postgres", "-d", database, "-c", sql],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def fingerprint(postgres: EmbeddedPostgres, database: str) -> dict[str, str]:
    """Row counts of every table, checksums of the key tables' rows, indexes, sequences."""
    tables = query(
        postgres, database,
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    ).split()  # fmt: skip
    # Table names from pg_tables and KEY_TABLES, not from outside.
    figures = {
        f"count {t}": query(postgres, database, f"SELECT count(*) FROM {t}")  # noqa: S608
        for t in tables
    }
    for table in KEY_TABLES:
        rows = "string_agg(t::text, E'\\n' ORDER BY t::text)"
        figures[f"md5 {table}"] = query(
            postgres,
            database,
            f"SELECT md5(coalesce({rows}, '')) FROM {table} t",  # noqa: S608
        )
    # Each index by name, table and method (HNSW, GIN, btree). Not pg_indexes' text: a
    # restore deparses a partial index's predicate differently, meaning the same.
    figures["indexes"] = query(
        postgres, database,
        "SELECT string_agg(i.relname || ' on ' || t.relname || ' using ' || am.amname"
        " || CASE WHEN x.indisunique THEN ' unique' ELSE '' END, E'\\n' ORDER BY i.relname)"
        " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        " JOIN pg_class t ON t.oid = x.indrelid JOIN pg_am am ON am.oid = i.relam"
        " JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = 'public'",
    )  # fmt: skip
    figures["sequences"] = query(
        postgres, database,
        "SELECT string_agg(sequencename || '=' || coalesce(last_value, 0), ','"
        " ORDER BY sequencename)"
        " FROM pg_sequences WHERE schemaname = 'public'",
    )  # fmt: skip
    figures["extensions"] = query(
        postgres, database, "SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension"
    )
    return figures


def backup(
    postgres: EmbeddedPostgres, env: dict[str, str], target: Path
) -> subprocess.CompletedProcess[str]:
    path = f"{postgres.bin}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["sh", str(SCRIPT), "dump", str(target)],
        env={"PATH": path, **env}, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_a_backup_restores_into_a_fresh_database(
    postgres: EmbeddedPostgres, tmp_path: Path
) -> None:
    source_url = migrated_database(postgres, "drill_source")
    query(postgres, "drill_source", FILL)
    dump = tmp_path / "concierge.dump"

    done = backup(postgres, {"DATABASE_URL": source_url}, dump)
    assert done.returncode == 0, done.stderr
    assert dump.stat().st_size > 10_000

    postgres.create_database("drill_restored", recreate=True)
    restored = subprocess.run(
        [str(postgres.bin / "pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
         "-h", str(postgres.data_dir), "-U", "postgres", "-d", "drill_restored", str(dump)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert restored.returncode == 0, restored.stderr

    before, after = fingerprint(postgres, "drill_source"), fingerprint(postgres, "drill_restored")
    assert before["count documents"] == "1500"
    assert before["count listings"] == "300"
    assert "vector" in before["extensions"]
    assert "using gin" in before["indexes"]
    assert after == before

    # The comparison sees one changed row: a restore that lost data would not pass.
    query(
        postgres,
        "drill_restored",
        "UPDATE documents SET text = text || '.' WHERE external_id = 'ext-7'",
    )
    changed = fingerprint(postgres, "drill_restored")
    assert {key for key in before if changed[key] != before[key]} == {"md5 documents"}


def test_a_backup_of_a_missing_database_fails_loudly(
    postgres: EmbeddedPostgres, tmp_path: Path
) -> None:
    dump = tmp_path / "none.dump"
    done = backup(postgres, {"DATABASE_URL": postgres.url("no_such_database")}, dump)
    assert done.returncode != 0
    assert "no_such_database" in done.stderr


def test_a_backup_without_a_database_url_says_so(
    postgres: EmbeddedPostgres, tmp_path: Path
) -> None:
    done = backup(postgres, {}, tmp_path / "x.dump")
    assert done.returncode != 0
    assert "DATABASE_URL is not set" in done.stderr
    done = backup(postgres, {"DATABASE_URL": "x"}, tmp_path / "x.dump")
    assert done.returncode != 0
