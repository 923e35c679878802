"""Where the Redis 7 server for the queue tests is (6.2 comes embedded)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess


def redis7_binary() -> str | None:
    for candidate in (os.environ.get("REDIS7_SERVER"), shutil.which("redis-server")):
        if not candidate:
            continue
        version = subprocess.run([candidate, "--version"], capture_output=True, text=True)
        match = re.search(r"v=(\d+)\.", version.stdout)
        if match and int(match[1]) >= 7:
            return candidate
    return None


REDIS7_BINARY = redis7_binary()
