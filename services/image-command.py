#!/opt/venv/bin/python
"""The command of every service image (services/Dockerfile installs it as
``concierge-service``): runs ``concierge.<CONCIERGE_SERVICE>`` as ``python -m`` would,
in the same process (so it gets the container's signals), listening on every interface
unless <SERVICE>_HOST says otherwise (the services' own default is 127.0.0.1).
"""

from __future__ import annotations

import os
import runpy

service = os.environ["CONCIERGE_SERVICE"]
os.environ.setdefault(f"{service.upper()}_HOST", "0.0.0.0")  # noqa: S104 (inside a container)
runpy.run_module(f"concierge.{service}", run_name="__main__", alter_sys=True)
