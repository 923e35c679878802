"""The Mini App renders user data as text only, loads no inline script, pins its tools.

webapp/scripts/check-safety.mjs runs the same checks in ``npm run lint``; this copy keeps
them in the Python suite too, where a missing Node.js cannot skip them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"

# HTML sinks, code evaluation, and web storage (initData stays in memory).
FORBIDDEN = {
    "innerHTML": re.compile(r"\binnerHTML\b"),
    "outerHTML": re.compile(r"\bouterHTML\b"),
    "insertAdjacentHTML": re.compile(r"\binsertAdjacentHTML\b"),
    "document.write": re.compile(r"\bdocument\.write(ln)?\b"),
    "createContextualFragment": re.compile(r"\bcreateContextualFragment\b"),
    "eval": re.compile(r"(^|[^.\w])eval\s*\("),
    "new Function": re.compile(r"\bnew\s+Function\s*\("),
    "localStorage": re.compile(r"\blocalStorage\b"),
    "sessionStorage": re.compile(r"\bsessionStorage\b"),
}
INLINE_SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>(?P<body>[\s\S]*?)</script>", re.IGNORECASE)


def scripts() -> list[Path]:
    found = sorted((WEBAPP / "src").rglob("*.ts"))
    dist = WEBAPP / "dist" / "assets"
    if dist.is_dir():
        found += sorted(dist.glob("*.js"))
    return found


def pages() -> list[Path]:
    return [p for p in (WEBAPP / "index.html", WEBAPP / "dist" / "index.html") if p.is_file()]


def test_the_webapp_is_here() -> None:
    assert (WEBAPP / "src" / "main.ts").is_file()
    assert len(scripts()) >= 10


@pytest.mark.parametrize("path", scripts(), ids=lambda p: str(p.relative_to(WEBAPP)))
def test_no_html_sinks_eval_or_storage(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = [name for name, pattern in FORBIDDEN.items() if pattern.search(text)]
    assert found == [], f"{path.relative_to(WEBAPP)} uses {', '.join(found)}"


@pytest.mark.parametrize("path", pages(), ids=lambda p: str(p.relative_to(WEBAPP)))
def test_no_inline_script_or_style(path: Path) -> None:
    html = path.read_text(encoding="utf-8")
    for match in INLINE_SCRIPT.finditer(html):
        assert "src=" in match["attrs"], "a <script> without src"
        assert not match["body"].strip(), "a <script> with a body"
    assert "<style" not in html.lower()
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html, re.IGNORECASE), "an on* attribute"
    assert "telegram.org" not in html, "telegram-web-app.js is not loaded from Telegram"


def test_the_built_page_carries_a_strict_csp() -> None:
    built = WEBAPP / "dist" / "index.html"
    assert built.is_file(), "webapp/dist is not built: run `make webapp` (make test does)"
    html = built.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html
    assert "script-src &#39;self&#39;" in html or "script-src 'self'" in html
    assert "unsafe-inline" not in html
    assert 'src="/app/assets/' in html


def test_tools_are_pinned_exactly() -> None:
    package = json.loads((WEBAPP / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((WEBAPP / "package-lock.json").read_text(encoding="utf-8"))
    for group in ("dependencies", "devDependencies"):
        for name, version in package.get(group, {}).items():
            assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} {version} is not exact"
            assert lock["packages"][f"node_modules/{name}"]["version"] == version
