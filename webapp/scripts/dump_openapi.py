"""Write the api's OpenAPI document to webapp/openapi.json, the Mini App's contract.

    .venv/bin/python webapp/scripts/dump_openapi.py           # writes webapp/openapi.json
    .venv/bin/python webapp/scripts/dump_openapi.py -         # prints it instead

`make webapp-schema` runs this, then openapi-typescript over the file. The application
is built, never started (no database, Redis or server), from the settings' defaults
alone: no environment variable or .env file changes the document.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from concierge.api.main import create_app
from concierge.api.settings import ApiSettings

OPENAPI_JSON = Path(__file__).resolve().parents[1] / "openapi.json"


def render() -> str:
    """The document as committed: two-space JSON, UTF-8 as is, a final newline."""
    app = create_app(ApiSettings.model_construct())
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if argv[1:] == ["-"]:
        sys.stdout.write(text)
        return 0
    target = Path(argv[1]) if len(argv) > 1 else OPENAPI_JSON
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
