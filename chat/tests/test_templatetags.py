import pytest

from chat.templatetags.chat_tags import initials, linkify

LINK = '<a href="{0}" rel="nofollow noopener noreferrer" target="_blank">{0}</a>'


def test_plain_text_is_escaped():
    assert linkify("<b>5 > 3 & \"x\" 'y'</b>") == (
        "&lt;b&gt;5 &gt; 3 &amp; &quot;x&quot; &#x27;y&#x27;&lt;/b&gt;"
    )


def test_line_breaks_are_kept():
    assert linkify("one\ntwo\r\nthree") == "one<br>two<br>three"


def test_http_and_https_urls_become_safe_links():
    assert linkify("see https://example.com/a?x=1&y=2") == "see " + LINK.format(
        "https://example.com/a?x=1&amp;y=2"
    )
    assert linkify("http://example.com") == LINK.format("http://example.com")


@pytest.mark.parametrize(
    ("text", "url", "tail"),
    [
        ("(https://example.com/x).", "https://example.com/x", ")."),
        (
            "https://en.wikipedia.org/wiki/Foo_(bar)!",
            "https://en.wikipedia.org/wiki/Foo_(bar)",
            "!",
        ),
        ("https://example.com, then", "https://example.com", ", then"),
    ],
)
def test_trailing_punctuation_stays_outside_the_link(text, url, tail):
    assert LINK.format(url) + tail in linkify(text)


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "JAVASCRIPT://example.com/%0aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.com",
    ],
)
def test_other_schemes_are_not_linked(text):
    assert "<a " not in linkify(text)


def test_a_url_cannot_break_out_of_the_attribute():
    html = linkify('https://example.com/"onmouseover="alert(1)')
    assert 'href="https://example.com/"' in html
    assert 'onmouseover="' not in html
    assert "&quot;onmouseover=&quot;alert(1)" in html


def test_markup_after_a_url_is_escaped():
    html = linkify("https://example.com<script>alert(1)</script>")
    assert LINK.format("https://example.com") + "&lt;script&gt;" in html


def test_bare_scheme_is_not_a_link():
    assert linkify("https:// nothing") == "https:// nothing"


def test_initials():
    assert initials("Paula Pro") == "PP"
    assert initials("chloé") == "C"
    assert initials("Anna Maria Lopez") == "AM"
    assert initials("") == "?"
