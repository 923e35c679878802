from __future__ import annotations

import pytest

from concierge.text.language import detect_language
from concierge.text.normalize import clean_text, content_hash, fold
from concierge.text.simhash import NEAR_DUPLICATE_DISTANCE, bands, distance, simhash, to_signed
from concierge.text.urls import canonical_url

POST = (
    "Сдаю двухкомнатную квартиру в Адлере, пять минут пешком до моря. Есть кондиционер, "
    "стиральная машина и парковка во дворе. Заезд с 14:00, выезд до 12:00. Цена 4500 рублей "
    "в сутки, от недели скидка десять процентов. Пишите в личные сообщения."
)


class TestCleanText:
    def test_strips_markup_and_entities(self) -> None:
        html = "<p>Hello&nbsp;<b>world</b> &amp; co</p><script>alert(1)</script><p>Bye</p>"
        assert clean_text(html) == "Hello world & co\nBye"

    def test_removes_nul_and_control_characters(self) -> None:
        assert clean_text("a\x00b\x07c\u200bd\ufeff") == "abcd"

    def test_collapses_whitespace_but_keeps_paragraphs(self) -> None:
        assert clean_text("  one   two \t three \n\n\n  four  ") == "one two three\nfour"

    def test_normalises_unicode(self) -> None:
        assert clean_text("ｆｕｌｌ ｗｉｄｔｈ ﬁ") == "full width fi"

    def test_fold_treats_yo_as_ye(self) -> None:
        assert fold("Ёлка ЁЖ") == "елка еж"

    def test_content_hash_ignores_case_and_spacing(self) -> None:
        assert content_hash("Hello,  World!") == content_hash("hello world")
        assert content_hash("hello world") != content_hash("hello word")


class TestSimhash:
    def test_identical_texts(self) -> None:
        assert simhash(POST) == simhash(POST)

    def test_a_small_edit_is_a_near_duplicate(self) -> None:
        edited = POST.replace("десять", "пятнадцать")
        assert distance(simhash(POST), simhash(edited)) <= NEAR_DUPLICATE_DISTANCE

    def test_different_texts_are_far_apart(self) -> None:
        other = (
            "Berlin's Bürgeramt opened two hundred extra appointment slots for December; "
            "the booking page refreshes at eight in the morning and slots go within minutes."
        )
        assert distance(simhash(POST), simhash(other)) > 10

    def test_bands_rebuild_the_hash_and_catch_near_duplicates(self) -> None:
        value = simhash(POST)
        b = bands(value)
        assert sum(band << (16 * i) for i, band in enumerate(b)) == value
        near = simhash(POST + " Звоните.")
        if distance(value, near) <= NEAR_DUPLICATE_DISTANCE:
            assert any(x == y for x, y in zip(b, bands(near), strict=True))

    def test_signed_form_fits_a_bigint(self) -> None:
        assert to_signed(2**64 - 1) == -1
        assert to_signed(5) == 5

    def test_empty_text(self) -> None:
        assert simhash("") == 0


class TestLanguage:
    @pytest.mark.parametrize(
        ("text", "language"),
        [
            (POST, "ru"),
            ("Apple announced a new phone with a better camera and longer battery life", "en"),
            ("Продаю iPhone 13 Pro в Москве, 45000 руб", "ru"),
            ("Der Termin beim Bürgeramt ist morgen früh um acht Uhr", "other"),
            ("Привет", "ru"),
            ("ok", "en"),
            ("12345 !!!", "other"),
        ],
    )
    def test_detects(self, text: str, language: str) -> None:
        assert detect_language(text) == language


class TestCanonicalUrl:
    @pytest.mark.parametrize(
        ("url", "canonical"),
        [
            ("HTTPS://Example.COM:443/a/b/?utm_source=x&b=2&a=1#frag",
             "https://example.com/a/b?a=1&b=2"),
            ("http://example.com:80", "http://example.com/"),
            ("http://example.com:8080/x?fbclid=1", "http://example.com:8080/x"),
            ("https://t.me/s/channel/42?ref=abc", "https://t.me/s/channel/42"),
        ],
    )  # fmt: skip
    def test_canonical(self, url: str, canonical: str) -> None:
        assert canonical_url(url) == canonical
