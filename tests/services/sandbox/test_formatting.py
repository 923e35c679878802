"""parse_mode parsing: what Telegram accepts, what it refuses, and the resulting entities."""

from __future__ import annotations

import pytest

from concierge.sandbox.telegram.errors import BotApiError
from concierge.sandbox.telegram.formatting import check_link, parse_text
from concierge.sandbox.telegram.text import detect_entities, strip_formatted, utf16_len


def entities(text: str, mode: str) -> list[tuple[str, int, int]]:
    parsed = parse_text(text, mode)
    return [(entity.type, entity.offset, entity.length) for entity in parsed.entities]


def refusal(text: str, mode: str) -> str:
    with pytest.raises(BotApiError) as caught:
        parse_text(text, mode)
    assert caught.value.error_code == 400
    return caught.value.description


class TestHtml:
    def test_tags_become_entities_and_text_loses_markup(self):
        parsed = parse_text("<b>bold</b> <i>it</i> <a href='https://x.org/a'>link</a>", "HTML")
        assert parsed.text == "bold it link"
        assert entities("<b>bold</b> <i>it</i> <a href='https://x.org/a'>link</a>", "HTML") == [
            ("bold", 0, 4),
            ("italic", 5, 2),
            ("text_link", 8, 4),
        ]
        assert parsed.entities[2].url == "https://x.org/a"

    def test_every_telegram_tag_is_accepted(self):
        source = (
            "<b>a</b><strong>b</strong><i>c</i><em>d</em><u>e</u><ins>f</ins><s>g</s>"
            '<strike>h</strike><del>i</del><span class="tg-spoiler">j</span>'
            "<tg-spoiler>k</tg-spoiler><code>l</code><pre>m</pre><blockquote>n</blockquote>"
            '<tg-emoji emoji-id="5368324170671202286">o</tg-emoji>'
        )
        kinds = [kind for kind, _, _ in entities(source, "html")]
        assert kinds == [
            "bold", "bold", "italic", "italic", "underline", "underline", "strikethrough",
            "strikethrough", "strikethrough", "spoiler", "spoiler", "code", "pre",
            "blockquote", "custom_emoji",
        ]  # fmt: skip

    def test_escapes_and_numeric_references_decode(self):
        parsed = parse_text("&lt;tag&gt; &amp; &quot;q&quot; &#65;&#x42; &nbsp;", "HTML")
        assert parsed.text == '<tag> & "q" AB &nbsp;'

    def test_pre_with_language_code(self):
        parsed = parse_text('<pre><code class="language-python">x = 1</code></pre>', "HTML")
        assert [(e.type, e.language) for e in parsed.entities] == [("pre", "python")]

    def test_offsets_count_utf16_code_units(self):
        assert entities("😀 <b>x</b>", "HTML") == [("bold", 3, 1)]

    @pytest.mark.parametrize(
        ("source", "reason"),
        [
            ("<p>x</p>", 'Unsupported start tag "p" at byte offset 0'),
            ("a < b", 'Unsupported start tag "" at byte offset 2'),
            ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
            ("x</b>", "Unexpected end tag at byte offset 1"),
            (
                "<b><i>x</b></i>",
                'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"',
            ),
            (
                '<span class="x">y</span>',
                'Tag "span" must have class "tg-spoiler" at byte offset 0',
            ),
            ("<b", "Unclosed start tag at byte offset 0"),
        ],
    )
    def test_refusals_read_like_telegram(self, source, reason):
        assert refusal(source, "HTML") == f"Bad Request: can't parse entities: {reason}"

    def test_unsafe_links_are_dropped_not_rendered(self):
        assert entities('<a href="javascript:alert(1)">x</a>', "HTML") == []


class TestMarkdownV2:
    def test_entities(self):
        source = "*bold* _it_ __under__ ~strike~ ||spoiler|| `code` [link](https://x.org)"
        assert entities(source, "MarkdownV2") == [
            ("bold", 0, 4),
            ("italic", 5, 2),
            ("underline", 8, 5),
            ("strikethrough", 14, 6),
            ("spoiler", 21, 7),
            ("code", 29, 4),
            ("text_link", 34, 4),
        ]

    def test_escaped_reserved_characters_are_text(self):
        assert (
            parse_text(r"Price: 5\.00\! \(ok\) \\", "MarkdownV2").text
            == r"Price: 5.00! (ok) \ "[:-1]
        )

    def test_reserved_character_must_be_escaped(self):
        assert refusal("Hello.", "MarkdownV2") == (
            "Bad Request: can't parse entities: Character '.' is reserved and must be escaped "
            "with the preceding '\\'"
        )

    def test_unclosed_entity(self):
        assert refusal("*bold", "MarkdownV2").endswith(
            "Can't find end of Bold entity at byte offset 0"
        )

    def test_pre_block_with_language_and_no_escapes_inside(self):
        parsed = parse_text("```python\nprint('a.b')\n```", "MarkdownV2")
        assert parsed.text == "print('a.b')\n"
        assert [(e.type, e.language) for e in parsed.entities] == [("pre", "python")]

    def test_blockquote_lines(self):
        parsed = parse_text(">quoted\n>more\nafter", "MarkdownV2")
        assert parsed.text == "quoted\nmore\nafter"
        assert entities(">quoted\n>more\nafter", "MarkdownV2") == [("blockquote", 0, 11)]


class TestLegacyMarkdown:
    def test_entities_and_no_reserved_dots(self):
        assert parse_text("*b* _i_ `c` [l](http://x.org). Done!", "Markdown").text == (
            "b i c l. Done!"
        )
        assert [kind for kind, _, _ in entities("*b* _i_ `c` [l](http://x.org)", "Markdown")] == [
            "bold",
            "italic",
            "code",
            "text_link",
        ]

    def test_unclosed_entity(self):
        assert refusal("a *b", "Markdown").endswith(
            "Can't find end of the entity starting at byte offset 2"
        )


class TestPlainText:
    def test_unknown_parse_mode(self):
        assert refusal("x", "Textile") == "Bad Request: unsupported parse_mode"

    def test_explicit_entities_are_kept(self):
        parsed = parse_text("hello", None, [{"type": "bold", "offset": 0, "length": 5}])
        assert [(e.type, e.offset, e.length) for e in parsed.entities] == [("bold", 0, 5)]

    def test_surrounding_whitespace_is_trimmed_with_entities_shifted(self):
        parsed = strip_formatted(parse_text("  <b>hi</b> \n", "HTML"))
        assert parsed.text == "hi"
        assert [(e.offset, e.length) for e in parsed.entities] == [(0, 2)]

    def test_user_text_gets_commands_links_and_mentions(self):
        found = [
            (e.type, e.offset, e.length)
            for e in detect_entities("/start abc @someone https://x.org/p")
        ]
        assert found == [("bot_command", 0, 6), ("mention", 11, 8), ("url", 20, 15)]

    def test_utf16_length(self):
        assert utf16_len("a😀") == 3


def test_check_link_normalises_like_telegram():
    assert check_link("example.com") == "http://example.com/"
    assert check_link("https://x.org/a?b=1") == "https://x.org/a?b=1"
    assert check_link("javascript:alert(1)") is None
    assert check_link("tg://user?id=1") == "tg://user?id=1"
