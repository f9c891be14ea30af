"""The one place that makes untrusted text safe for a terminal."""

from eventlesson.text import clean, has_unsafe, quoted, unsafe_characters


def test_clean_replaces_escape_c1_and_bidi_but_keeps_newline_and_tab() -> None:
    hostile = "title\x1b]0;pwned\x07 \x9b2J \u202eevil\tok\nnext"
    safe = clean(hostile)
    assert "\x1b" not in safe and "\x07" not in safe and "\x9b" not in safe
    assert "\u202e" not in safe
    assert "\tok\nnext" in safe
    assert not has_unsafe(safe)
    assert has_unsafe(hostile)


def test_plain_text_and_unicode_pass_unchanged() -> None:
    text = "Commit → publish · “purchase.completed” — ünïcödé 漢字"
    assert clean(text) == text
    assert unsafe_characters(text) == []


def test_unsafe_characters_names_each_once() -> None:
    assert unsafe_characters("a\x1bb\x1bc\x85") == ["U+001B", "U+0085"]


def test_quoted_is_one_clean_short_line() -> None:
    assert quoted("day\x1b[2J-089") == "'day\ufffd[2J-089'"
    assert quoted("a\nb") == "'a b'"
    assert len(quoted("x" * 500, limit=20)) == 22
