"""Stand-in for the MinIO server: ``minio server DIR [--address [HOST]:PORT]``.

The S3 API is moto's server mode (path-style buckets, as MinIO serves them without
MINIO_DOMAIN). moto keeps objects in memory; this process mirrors them into DIR about
once a second and at shutdown (SIGTERM or SIGINT), and loads them back at start, so a
volume on DIR keeps the objects across restarts. Each bucket is DIR/<bucket>/ with
``index.json`` (key -> file, ETag and the headers the object was stored with) and the
objects' bytes under ``objects/``.

Differences from MinIO, said plainly: any credentials are accepted (no users, no
policies: ``mc admin`` in the mc stand-in only answers), presigned POST policies and
signatures are not checked, and an object written less than a second before a
``kill -9`` may be lost.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from moto.server import ThreadedMotoServer

MIRROR_EVERY_S = 1.0
INDEX = "index.json"
HEADERS = ("ContentType", "CacheControl", "ContentDisposition", "ContentEncoding")


def s3_client(port: int) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name=os.environ.get("MINIO_REGION", "us-east-1"),
        aws_access_key_id=os.environ.get("MINIO_ROOT_USER", "minioadmin"),
        aws_secret_access_key=os.environ.get("MINIO_ROOT_PASSWORD", "minioadmin"),
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


def write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)


class Mirror:
    """Keeps DIR in step with the buckets moto holds."""

    def __init__(self, client: Any, root: Path) -> None:
        self.client = client
        self.root = root
        self.indexes: dict[str, dict[str, dict[str, Any]]] = {}

    def restore(self) -> int:
        """Load every mirrored bucket and object into moto; the number of objects."""
        count = 0
        for folder in sorted(p for p in self.root.iterdir() if (p / INDEX).is_file()):
            index: dict[str, dict[str, Any]] = json.loads((folder / INDEX).read_text())
            self.client.create_bucket(Bucket=folder.name)
            for key, entry in index.items():
                body = (folder / "objects" / entry["file"]).read_bytes()
                headers = {name: entry[name] for name in HEADERS if entry.get(name)}
                stored = self.client.put_object(
                    Bucket=folder.name,
                    Key=key,
                    Body=body,
                    Metadata=entry.get("Metadata", {}),
                    **headers,
                )
                entry["ETag"] = stored["ETag"]
                count += 1
            self.indexes[folder.name] = index
        return count

    def sync(self) -> None:
        buckets = {bucket["Name"] for bucket in self.client.list_buckets()["Buckets"]}
        for name in buckets:
            self._sync_bucket(name)
        for name in set(self.indexes) - buckets:
            self._drop_bucket(name)

    def _listing(self, bucket: str) -> dict[str, str]:
        listing: dict[str, str] = {}
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for page in pages:
            for item in page.get("Contents", []):
                listing[item["Key"]] = item["ETag"]
        return listing

    def _sync_bucket(self, bucket: str) -> None:
        folder = self.root / bucket
        objects = folder / "objects"
        objects.mkdir(parents=True, exist_ok=True)
        index = self.indexes.setdefault(bucket, {})
        listing = self._listing(bucket)
        changed = not (folder / INDEX).exists()
        for key, etag in listing.items():
            if index.get(key, {}).get("ETag") == etag:
                continue
            response = self.client.get_object(Bucket=bucket, Key=key)
            file = hashlib.sha256(key.encode()).hexdigest()
            write_atomically(objects / file, response["Body"].read())
            entry = {name: response[name] for name in HEADERS if response.get(name)}
            index[key] = {**entry, "file": file, "ETag": etag, "Metadata": response["Metadata"]}
            changed = True
        for key in set(index) - set(listing):
            (objects / index.pop(key)["file"]).unlink(missing_ok=True)
            changed = True
        if changed:
            write_atomically(folder / INDEX, json.dumps(index, indent=1).encode())

    def _drop_bucket(self, bucket: str) -> None:
        folder = self.root / bucket
        for file in (folder / "objects").glob("*"):
            file.unlink()
        (folder / INDEX).unlink(missing_ok=True)
        self.indexes.pop(bucket)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="minio", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    server = commands.add_parser("server", help="serve the S3 API")
    server.add_argument("dir", type=Path)
    server.add_argument("--address", default=":9000", help="[HOST]:PORT (default :9000)")
    server.add_argument("--console-address", default="", help="ignored: no console")
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    host, _, port = args.address.rpartition(":")
    os.environ.setdefault("S3_IGNORE_SUBDOMAIN_BUCKETNAME", "true")  # path-style only
    args.dir.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = ThreadedMotoServer(ip_address=host or "0.0.0.0", port=int(port), verbose=False)  # noqa: S104
    server.start()
    mirror = Mirror(s3_client(int(port)), args.dir)
    print(
        f"S3 API (moto stand-in for MinIO) on {args.address}; {mirror.restore()} objects loaded",
        flush=True,
    )

    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    while not stopping.wait(MIRROR_EVERY_S):
        try:
            mirror.sync()
        except Exception as exc:  # keep serving; the next round tries again
            print(f"mirroring into {args.dir} failed: {exc!r}", file=sys.stderr, flush=True)
    started = time.monotonic()
    mirror.sync()
    server.stop()
    print(f"stopped; objects mirrored in {time.monotonic() - started:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
