"""Stand-in for MinIO's client, ``mc``: the commands docker-compose.yml uses.

Aliases come from MC_HOST_<alias>=http://ACCESS:SECRET@HOST:PORT, as with the real mc;
``local`` is the server in the same container (http://127.0.0.1:9000).

- ``mc ready ALIAS``: exit 0 once the S3 API answers;
- ``mc mb [--ignore-existing|-p] ALIAS/BUCKET``: make a bucket;
- ``mc admin policy create|attach``, ``mc admin user add|info``: checked for shape and
  answered, but the MinIO stand-in (moto) has no users or policies: any credentials
  work there. That is the stand-in's main difference from MinIO.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

LOCAL = "http://minioadmin:minioadmin@127.0.0.1:9000"


class UsageError(Exception):
    pass


def alias_client(alias: str) -> Any:
    url = os.environ.get(f"MC_HOST_{alias}") or (LOCAL if alias == "local" else None)
    if url is None:
        raise UsageError(f"unknown alias {alias!r}: set MC_HOST_{alias}")
    parts = urlsplit(url)
    return boto3.client(
        "s3",
        endpoint_url=f"{parts.scheme}://{parts.hostname}:{parts.port or 9000}",
        region_name="us-east-1",
        aws_access_key_id=parts.username or "minioadmin",
        aws_secret_access_key=parts.password or "minioadmin",
        config=Config(
            s3={"addressing_style": "path"},
            connect_timeout=3,
            read_timeout=10,
            retries={"max_attempts": 1},
        ),
    )


def ready(alias: str) -> int:
    try:
        alias_client(alias).list_buckets()
    except (BotoCoreError, ClientError) as exc:
        print(f"The cluster is not ready: {exc}", file=sys.stderr)
        return 1
    print(f"The cluster '{alias}' is ready")
    return 0


def make_bucket(args: list[str]) -> int:
    flags = {arg for arg in args if arg.startswith("-")}
    targets = [arg for arg in args if not arg.startswith("-")]
    if len(targets) != 1 or "/" not in targets[0] or flags - {"--ignore-existing", "-p"}:
        raise UsageError("mc mb [--ignore-existing] ALIAS/BUCKET")
    alias, bucket = targets[0].split("/", 1)
    client = alias_client(alias)
    try:
        client.create_bucket(Bucket=bucket)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists") and flags:
            print(f"Bucket `{targets[0]}` already exists.")
            return 0
        print(f"mc: cannot make bucket `{targets[0]}`: {code}", file=sys.stderr)
        return 1
    print(f"Bucket created successfully `{targets[0]}`.")
    return 0


def admin(args: list[str]) -> int:
    match args:
        case ["policy", "create", alias, name, file]:
            alias_client(alias)
            json.loads(Path(file).read_text())  # a policy must at least be JSON
            print(f"Created policy `{name}` successfully.")
        case ["user", "add", alias, access_key, _secret]:
            alias_client(alias)
            print(f"Added user `{access_key}` successfully.")
        case ["user", "info", alias, access_key]:
            alias_client(alias)
            print(f"AccessKey: {access_key}\nStatus: enabled\nPolicyName: \nMemberOf: []")
        case ["policy", "attach", alias, name, "--user", user]:
            alias_client(alias)
            print(f"Attached Policies: [{name}]\nTo User: {user}")
        case _:
            raise UsageError(f"mc admin {' '.join(args)}: not supported by the stand-in")
    return 0


def main(argv: list[str]) -> int:
    try:
        match argv:
            case ["ready", alias]:
                return ready(alias)
            case ["mb", *rest]:
                return make_bucket(rest)
            case ["admin", *rest]:
                return admin(rest)
            case _:
                raise UsageError(f"mc {' '.join(argv)}: not supported by the stand-in")
    except UsageError as exc:
        print(f"mc: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
