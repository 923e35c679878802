"""The browser chat page: served, and bot text can never become markup."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

from concierge.sandbox.telegram.chatpage import PAGE_PATH

FAKE_DOM = r"""
class El { constructor(tag) { this.tag = tag; this.children = []; this.attrs = {}; }
  appendChild(child) { this.children.push(child); return child; }
  setAttribute(name, value) { this.attrs[name] = String(value); } }
class Txt { constructor(text) { this.text = text; } }
const doc = {
  createDocumentFragment: () => new El(null),
  createElement: (tag) => new El(tag),
  createTextNode: (text) => new Txt(String(text)),
};
const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
  .replace(/"/g, "&quot;");
function html(node) {
  if (node instanceof Txt) return esc(node.text);
  const inner = node.children.map(html).join("");
  if (!node.tag) return inner;
  const attrs = Object.keys(node.attrs).sort()
    .map((name) => ` ${name}="${esc(node.attrs[name])}"`).join("");
  return `<${node.tag}${attrs}>${inner}</${node.tag}>`;
}
let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const cases = JSON.parse(input);
  process.stdout.write(JSON.stringify(cases.map(([text, entities]) =>
    html(renderRichText(doc, text, entities)))));
});
"""


def page_source() -> str:
    return PAGE_PATH.read_text(encoding="utf-8")


def render(cases: list[tuple[str, list[dict]]]) -> list[str]:
    """Run the page's own renderer under Node with a minimal DOM."""
    node = shutil.which("node")
    assert node is not None, "Node.js is needed (make test builds the Mini App with it too)"
    match = re.search(r"// BEGIN RENDERER\n(.*?)// END RENDERER", page_source(), re.S)
    assert match, "the renderer is marked in the page"
    result = subprocess.run(
        [node, "-e", match.group(1) + FAKE_DOM],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(result.stdout)


class TestServed:
    async def test_page_at_root_and_sandbox_chat(self, sandbox):
        for path in ("/", "/sandbox/chat"):
            response = await sandbox.http.get(path)
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/html")
            assert (
                "script-src 'self' 'unsafe-inline'" in response.headers["content-security-policy"]
            )
            assert "renderRichText" in response.text

    def test_no_html_sinks_anywhere_in_the_page(self):
        source = page_source()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in source


class TestRenderer:
    def test_bot_text_stays_text(self):
        (rendered,) = render([("<b>x</b> <img src=x onerror=alert(1)>", [])])
        assert rendered == "&lt;b&gt;x&lt;/b&gt; &lt;img src=x onerror=alert(1)&gt;"

    def test_entities_become_only_known_elements(self):
        cases = [
            ("Hello Ann", [{"type": "bold", "offset": 6, "length": 3}]),
            (
                "abcd",
                [
                    {"type": "bold", "offset": 0, "length": 3},
                    {"type": "italic", "offset": 2, "length": 2},
                ],
            ),
            ("😀 hi", [{"type": "underline", "offset": 3, "length": 2}]),
            ("x", [{"type": "unknown_future_type", "offset": 0, "length": 1}]),
            ("/start now", [{"type": "bot_command", "offset": 0, "length": 6}]),
            ("code", [{"type": "pre", "offset": 0, "length": 4, "language": "py"}]),
        ]
        assert render(cases) == [
            "Hello <b>Ann</b>",
            "<b>ab<i>c</i></b><i>d</i>",
            "😀 <u>hi</u>",
            "<span>x</span>",
            '<span class="command" data-command="/start">/start</span> now',
            '<pre data-language="py">code</pre>',
        ]

    def test_links_are_checked(self):
        cases = [
            ("go", [{"type": "text_link", "offset": 0, "length": 2, "url": "javascript:alert(1)"}]),
            (
                "go",
                [
                    {
                        "type": "text_link",
                        "offset": 0,
                        "length": 2,
                        "url": 'https://x.org/?a=1&b="2"',
                    }
                ],
            ),
            ("x.org", [{"type": "url", "offset": 0, "length": 5}]),
        ]
        assert render(cases) == [
            "<a>go</a>",
            '<a href="https://x.org/?a=1&amp;b=&quot;2&quot;" rel="noopener noreferrer" '
            'target="_blank">go</a>',
            '<a href="http://x.org" rel="noopener noreferrer" target="_blank">x.org</a>',
        ]

    def test_malformed_entities_are_ignored(self):
        cases = [("abc", [{"type": "bold", "offset": 5, "length": 2}, {"type": "bold"}, None])]
        assert render(cases) == ["abc"]
