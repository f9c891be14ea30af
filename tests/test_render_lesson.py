"""Lesson render functions at 80 and 40 columns, into a plain StringIO console."""

from __future__ import annotations

import dataclasses
import io
import re

import pytest
from rich.console import Console, RenderableType

from eventlesson.content import load_lesson
from eventlesson.models import CalloutBlock, Lesson
from eventlesson.progress import CheckResult
from eventlesson.quiz import grade, show
from eventlesson.ui import render_lesson as view
from eventlesson.ui.render_question import inline, plain, render_feedback, render_question

from .support import FIXTURE_COURSE, fixture_lesson, position


def text_of(renderable: RenderableType, width: int = 80) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, highlight=False)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def lesson() -> Lesson:
    return fixture_lesson()


def test_header_shows_lesson_section_and_position(lesson: Lesson) -> None:
    where = position(lesson.sections[3].id)
    out = text_of(view.header(lesson, lesson.sections[3], where))
    first = out.splitlines()[0]
    assert first.startswith(lesson.title) and first.rstrip().endswith(where)
    assert lesson.sections[3].title in out


def test_footer_wraps_between_keys_never_inside_one() -> None:
    keys = [
        ("Enter", "next"),
        ("b", "back"),
        ("m", "menu"),
        ("s", "simulate"),
        ("r", "retry check"),
        ("q", "quit"),
    ]
    out = text_of(view.footer(keys, "space/arrows scroll"), width=40)
    lines = [line.strip() for line in out.splitlines()[1:]]
    assert len(lines) >= 2
    for label in ("Enter next", "r retry check", "q quit"):
        assert any(label in line for line in lines), label


@pytest.mark.parametrize("width", [80, 40])
def test_every_page_renders_without_cutting_words(lesson: Lesson, width: int) -> None:
    for section in lesson.sections:
        out = text_of(view.body(lesson, section, answers={}), width)
        assert all(len(line) <= width for line in out.splitlines()), section.id
        words = set(re.findall(r"[A-Za-z]{4,}", out))
        # every long word of the page's prose appears whole: nothing was cut mid-word
        for block in section.blocks:
            if block.kind == "markdown":
                for word in re.findall(
                    r"[A-Za-z]{4,}", block.text.replace("**", "").replace("`", "")
                ):
                    assert word in words, (section.id, word)


def test_fan_out_tree_and_code(lesson: Lesson) -> None:
    section = lesson.sections[lesson.section_index("fan-out")]
    out = text_of(view.body(lesson, section))
    assert "service -> change committed" in out
    assert "└── thing.happened" in out
    for leaf in ("email", "analytics"):
        assert f"── {leaf}" in out
    assert "store.commit(thing.id)" in out
    assert out.index("store.commit") < out.index('bus.publish("thing.happened"')
    assert "╭─ python" in out  # wide enough: the snippet sits in its panel
    assert "Press s to watch the 'happy' scenario live" in out


def test_code_too_wide_for_a_panel_loses_the_border_and_folds_inside_brackets(
    lesson: Lesson,
) -> None:
    section = lesson.sections[lesson.section_index("fan-out")]
    block = next(b for b in section.blocks if b.kind == "code")
    lines = [line.rstrip() for line in text_of(view.code(block), 40).splitlines()]
    assert all(len(line) <= 40 for line in lines)
    assert not any(line.startswith(("╭", "│")) for line in lines)
    assert lines[0] == "python"
    assert "    store.commit(thing.id)" in lines  # every token whole
    at = lines.index('    bus.publish("thing.happened",')
    assert lines[at + 1 : at + 3] == [
        '        {"thing_id": thing.id,',
        '        "by": "sample"})',
    ]
    end = next(i for i, line in enumerate(lines) if line.startswith("The order"))
    folded = "\n".join(lines[1:end])
    compile(folded, "snippet", "exec")  # still Python


def test_fold_breaks_after_commas_outside_strings() -> None:
    assert view.fold('x = f("a, b, c, d", 1, 2)', 22) == ['x = f("a, b, c, d", 1,', "    2)"]
    assert view.fold("short", 10) == ["short"]
    assert view.fold("no_breaks_anywhere_in_this_line", 10) == ["no_breaks_anywhere_in_this_line"]


def test_check_pending_then_reviewed(lesson: Lesson) -> None:
    section = lesson.sections[lesson.section_index("check-order")]
    pending = text_of(view.body(lesson, section, answers={}))
    assert "Press Enter to start" in pending
    check = lesson.check("order")
    answers = {q.id: CheckResult(chosen=q.answer, correct=True, at="now") for q in check.questions}
    reviewed = text_of(view.body(lesson, section, answers=answers))
    assert f"({len(check.questions)}/{len(check.questions)} right)" in reviewed
    assert "Right." in reviewed


@pytest.mark.parametrize("width", [80, 40])
def test_a_box_title_is_never_cut_by_its_border(lesson: Lesson, width: int) -> None:
    """Where the whole title does not fit in the top border, it is the first line inside."""
    answers = {
        q.id: CheckResult(chosen=(q.answer + 1) % len(q.options), correct=False, at="now")
        for check in lesson.checks
        for q in check.questions
    }
    for check in lesson.checks:
        section = lesson.sections[lesson.section_index(check.section)]
        out = text_of(view.body(lesson, section, answers=answers), width)
        title = f"{view.check_title(check)} (0/{len(check.questions)} right)"
        assert title in " ".join(out.replace("│", " ").split()), (check.id, out)
        assert "You chose " in out and "you: " not in out


def test_handout_asks_first_answers_after_and_names_commands(lesson: Lesson) -> None:
    out = "".join(text_of(part) for part in view.handout(lesson, command=".venv/bin/eventlesson"))
    assert "To watch it live: .venv/bin/eventlesson simulate happy" in out
    assert "Then watch it: .venv/bin/eventlesson simulate publish-before-commit --predict" in out
    assert "`" not in out  # inline code is styled, not shown with its backticks
    page = out[out.index(position("check-kinds")) : out.index(position("fan-out"))]
    assert page.index("3. What kind of message is GetThing?") < page.index("Answers")
    assert "* A)" not in page  # no answer marked among the questions
    assert "1. A) Command: do this" in page[page.index("Answers") :]
    assert "Not a command. Nothing is done" not in page  # only the right answers, with why
    end = out[out.index(position("knowledge-check")) :]
    assert end.index("Knowledge check") < end.index("Answers")
    assert "A (right): " in end and "B (wrong): " in end and "End of" not in end


def test_handout_whose_last_page_says_what_next_does_not_repeat_it(lesson: Lesson) -> None:
    what_next = CalloutBlock(title="What next", text="Run `eventlesson quiz`.")
    last = dataclasses.replace(lesson.sections[-1], blocks=(what_next,))  # no knowledge check
    edited = dataclasses.replace(lesson, sections=(*lesson.sections[:-1], last))
    out = "".join(text_of(part) for part in view.handout(edited))
    assert out.count("eventlesson quiz") == 1
    assert out.rstrip().endswith(f"End of {lesson.title}.")


@pytest.mark.parametrize("width", [80, 40])
def test_handout_page_titles_wrap_whole_over_a_plain_rule(lesson: Lesson, width: int) -> None:
    parts = list(view.handout(lesson))
    out = "".join(text_of(part, width) for part in parts)
    lines = out.splitlines()
    for number, section in enumerate(lesson.sections, 1):
        where = f"{number}/{len(lesson.sections)}"
        start = next(i for i, line in enumerate(lines) if line.startswith(f"{where}  "))
        title = " ".join(" ".join(lines[start : start + 3]).split())
        assert f"{where} {section.title}" in title, title
        assert "…" not in lines[start]


def test_handout_without_a_what_next_page_points_to_the_commands() -> None:
    mini = load_lesson("mini", FIXTURE_COURSE)
    two_pages = dataclasses.replace(mini, sections=mini.sections[:2])  # no knowledge check page
    out = " ".join("".join(text_of(part) for part in view.handout(two_pages)).split())
    assert out.endswith(
        "End of Mini: A Fixture Lesson. Test yourself with eventlesson quiz; "
        "see every simulation with eventlesson simulate --list."
    )


def test_check_pending_counts_questions_in_words(lesson: Lesson) -> None:
    mini = load_lesson("mini", FIXTURE_COURSE)
    one = text_of(view.check_pending(mini.check("mini-check"), 0))
    assert "1 question." in one and "question(s)" not in one
    three = text_of(view.check_pending(lesson.check("kinds"), 2))
    assert "2 of 3 answered. 3 questions." in " ".join(three.split())


def test_check_feedback_is_the_quiz_feedback_in_authored_order(lesson: Lesson) -> None:
    question = lesson.check("kinds").questions[0]
    shown = show(question)
    wrong = " ".join(text_of(render_feedback(grade(shown, question.answer + 1))).split())
    right_text = question.options[question.answer].text
    assert wrong.startswith("Not quite. You chose B)")
    assert f"The right answer is A) {right_text}" in wrong
    assert "Lesson section" not in wrong  # in the lesson the learner is on that page
    right = text_of(render_feedback(grade(shown, question.answer)))
    assert right.startswith("Right. You chose A)")


def test_feedback_shows_a_shared_explanation_once() -> None:
    mini = load_lesson("mini", FIXTURE_COURSE)
    question = mini.check("mini-check").questions[0]
    out = text_of(render_feedback(grade(show(question), 0)))
    right = question.options[question.answer]
    assert out.count(right.explanation) == 1
    assert f"The right answer is C) {right.text}" in out


def test_check_prompts_show_inline_code_without_backticks(lesson: Lesson) -> None:
    question = lesson.check("kinds").questions[0]
    assert "`" in question.prompt
    out = text_of(render_question(1, 3, question, practice=True))
    assert "Practice · Question 1 of 3" in out
    assert "What kind of message is DoThing?" in out and "`" not in out
    code = inline("call `f()` now")
    assert code.plain == "call f() now" and code.spans[0].style == "bold cyan"
    assert plain("`a` and `b`") == "a and b"
    assert inline("[bold]x[/] `y`").plain == "[bold]x[/] y"  # markup stays literal


def test_markup_in_content_is_shown_literally() -> None:
    mini = load_lesson("mini", FIXTURE_COURSE)
    out = text_of(view.body(mini, mini.sections[0]))
    assert "[bold]markup-looking text[/]" in out


def test_welcome_back_and_finish(lesson: Lesson) -> None:
    out = text_of(
        view.welcome(lesson, recap=["one", "two"], position="3/7", resume_title="Why"), 40
    )
    assert "Welcome back." in out and "- two" in out and "3/7" in out
    end = text_of(view.finish(lesson, right=5, asked=6))
    assert "Practice checks: 5 of 6 right." in end
    assert "eventlesson quiz" in end and "eventlesson simulate" in end
    assert lesson.insights[0].title in end


def test_menu_marks_done_and_current_in_words_with_page_numbers(lesson: Lesson) -> None:
    labels = view.menu_choices(lesson, ["welcome"], "panels")
    assert labels[0] == "done  1. Welcome"
    assert labels[1] == "here  2. Panels and tables"
    assert labels[2] == "      3. Practice: Kinds"
    assert len(labels) == len(lesson.sections)
    longer = dataclasses.replace(lesson, sections=lesson.sections * 2)  # page numbers line up
    assert view.menu_choices(longer, [], "")[9].startswith("     10. ")


@pytest.mark.parametrize("width", [80, 40, 24])
def test_web_addresses_are_never_split_across_lines(width: int) -> None:
    long = "https://example.org/" + "a-very-long-path/" * 6
    lesson = fixture_lesson()
    wide = dataclasses.replace(
        lesson, resources=(dataclasses.replace(lesson.resources[0], link=long),)
    )
    console = Console(file=io.StringIO(), width=width, color_system=None)
    for part in view.handout(wide):
        console.print(part, crop=False)
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert f"  {long}" in lines  # whole, on a line of its own


def test_the_pager_lets_the_terminal_wrap_a_long_line_instead_of_breaking_it() -> None:
    from eventlesson.ui.pager import joined, soft_rows

    url = "\x1b[36m" + "x" * 25 + "\x1b[0m"  # 25 visible columns
    rows = soft_rows(["one", url, "two"], 10)
    assert rows == ["one", url, None, None, "two"]  # three screen rows for the long line
    assert joined(rows) == f"one\r\n{url}\r\ntwo"  # and no line break inside it
    assert joined([None, None, "two"]) == "\r\n\r\ntwo"  # scrolled past its start: blank rows


def test_plain_pages_have_no_box_or_rule_characters() -> None:
    lesson = fixture_lesson()
    for section in lesson.sections:
        out = text_of(view.header(lesson, section, "1/8", plain=True))
        out += text_of(view.body(lesson, section, answers={}, plain=True))
        out += text_of(view.footer([("Enter", "next"), ("q", "quit")], plain=True))
        assert not re.findall("[\u2500-\u257f]", out), section.id
    table = text_of(view.body(lesson, lesson.sections[1], plain=True))
    assert "Message: query\nMeaning: tell me this" in table  # a table as labelled lines


def test_a_time_in_a_bullet_is_never_split_from_its_unit() -> None:
    facts = [
        "The consumers caught up afterwards: the slowest, recommendations, reacted 5.1 s after "
        "the commit (median).",
        "Learners waited 4.6 s (median), up to 5.9 s: each was told only after all five "
        "services had answered; with `events`, 20 ms.",
    ]
    for width in range(40, 81):
        out = text_of(view.bullets(facts), width)
        assert not re.search(r"\d *\n *m?s\b", out), (width, out)
        words = " ".join(out.replace(" - ", " ").split())
        assert words == " ".join(" ".join(facts).replace("`", "").split())  # nothing lost


@pytest.mark.parametrize("width", [80, 40])
def test_blocks_are_parted_by_one_blank_line_never_two(lesson: Lesson, width: int) -> None:
    for section in lesson.sections:
        out = "\n".join(
            line.rstrip() for line in text_of(view.body(lesson, section), width).split("\n")
        )
        assert "\n\n\n" not in out.strip("\n"), (section.id, out)


def test_feedback_option_text_wraps_under_itself_at_any_width(lesson: Lesson) -> None:
    question = lesson.check("kinds").questions[0]
    wrong = grade(show(question), question.answer + 1)
    chosen = question.options[question.answer + 1].text.split()[0]
    wide = text_of(render_feedback(wrong), width=80).splitlines()
    assert wide[0].startswith("Not quite. You chose B) " + chosen)  # beside it where there is room
    narrow = text_of(render_feedback(wrong), width=40).splitlines()
    assert narrow[0].rstrip() == "Not quite. You chose B)"  # no sliver of a column beside it
    assert narrow[1].startswith("     " + chosen)  # deeper than the explanation under it
