"""The lesson's Markdown subset, rendered without rich.markdown."""

from __future__ import annotations

import io

from rich.console import Console, RenderableType

from eventlesson.ui.prose import inline, prose

from .support import modules_after


def text_of(renderable: RenderableType, width: int = 40) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable)
    value = console.file.getvalue()  # type: ignore[attr-defined]
    return "\n".join(line.rstrip() for line in value.splitlines())


def test_paragraphs_headings_and_lists() -> None:
    out = text_of(
        prose(
            "### Title\nFirst line\njoined here.\n\n- one item\n  continued\n- two\n\n1. first\n2. second"
        )
    )
    assert out.splitlines() == [
        "Title",
        "",
        "First line joined here.",
        "",
        " • one item continued",
        " • two",
        "",
        " 1. first",
        " 2. second",
    ]


def test_a_paragraph_then_a_list_without_a_blank_line() -> None:
    out = text_of(prose("The service:\n- takes the payment,\n- confirms."))
    assert out.splitlines() == ["The service:", "", " • takes the payment,", " • confirms."]


def test_inline_markers_are_styled_not_shown() -> None:
    text = inline("a **bold** word, `code()`, *soft* and [a link](https://example.org)")
    assert text.plain == "a bold word, code(), soft and a link (https://example.org)"
    styles = {text.plain[span.start : span.end]: str(span.style) for span in text.spans}
    assert styles["bold"] == "bold" and styles["soft"] == "italic"
    assert "code()" in styles


def test_unsupported_markup_stays_literal_and_rich_markup_is_not_interpreted() -> None:
    out = text_of(prose("[bold]not markup[/] and snake_case_names stay"), width=80)
    assert "[bold]not markup[/] and snake_case_names stay" in out


def test_long_words_wrap_between_words_at_40_columns() -> None:
    words = [
        "publish",
        "the",
        "fact",
        "only",
        "after",
        "the",
        "authoritative",
        "change",
        "is",
        "committed",
    ]
    out = text_of(prose(" ".join(words * 3)), width=40)
    assert all(len(line) <= 40 for line in out.splitlines())
    assert out.split() == words * 3  # nothing cut mid-word


def test_fenced_code_is_kept_verbatim() -> None:
    out = text_of(prose("```\nx = 1\n\ny = 2\n```"), width=40)
    assert "    x = 1" in out and "    y = 2" in out


def test_the_lesson_page_path_does_not_load_rich_markdown() -> None:
    assert "rich.markdown" not in modules_after("import eventlesson.flows.learn")
