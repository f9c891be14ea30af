"""The shipped lesson still carries every fact of its seed (day 089), in our own words.

The seed is `../shared/seed/day-089-event-driven-fundamentals.txt`. Sentences are rewritten, but
facts carry over: the five consumers of a purchase, the three speech acts, what may lag and what
may not, the three troubleshooting items, the resources' titles and links, the knowledge check's
questions and answers. Each is looked for in what a learner can actually read (the handout, which
prints every page, check and answer).
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from eventlesson.content import load_lesson
from eventlesson.models import Lesson
from eventlesson.ui import render_lesson as view

from .support import SHIPPED_CONTENT


@pytest.fixture(scope="module")
def lesson() -> Lesson:
    return load_lesson("day-089", SHIPPED_CONTENT)


@pytest.fixture(scope="module")
def readable(lesson: Lesson) -> str:
    """The whole handout as one line of lower-case words."""
    console = Console(file=io.StringIO(), width=200, color_system=None)
    for part in view.handout(lesson):
        console.print(part, crop=False)
    return " ".join(console.file.getvalue().split()).lower()  # type: ignore[attr-defined]


def page_text(lesson: Lesson, section_id: str) -> str:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    section = lesson.sections[lesson.section_index(section_id)]
    console.print(view.body(lesson, section, interactive=False, handout=True))
    return " ".join(console.file.getvalue().split()).lower()  # type: ignore[attr-defined]


def test_the_five_consumers_of_a_purchase(lesson: Lesson) -> None:
    start = page_text(lesson, "start")
    fan_out = page_text(lesson, "concept-2")
    for consumer in ("access to the course", "email", "analytics", "recommendations", "affiliate"):
        assert consumer in start, consumer
    for consumer in ("enrollment access", "email", "analytics", "recommendations", "affiliate"):
        assert consumer in fan_out, consumer
    assert "purchase.completed" in fan_out


def test_the_purchase_service_takes_payment_records_and_confirms(lesson: Lesson) -> None:
    start = page_text(lesson, "start")
    for step in ("takes the payment", "records the purchase as successful", "tells the learner"):
        assert step in start


def test_the_three_speech_acts(lesson: Lesson) -> None:
    section = lesson.sections[lesson.section_index("concept-1")]
    (table,) = [b for b in section.blocks if b.kind == "table"]
    assert [row[:2] for row in table.rows] == [
        ("Command", '"Do this."'),
        ("Query", '"Tell me this."'),
        ("Event", '"This happened."'),
    ]
    concept = page_text(lesson, "concept-1")
    assert "completepurchase" in concept and "purchase.completed" in concept
    assert "commands in disguise" in concept  # consumers treating events as commands
    assert "only hopes" in concept  # producers publishing hopes: the seed's second failure


def test_commit_first_then_publish(lesson: Lesson) -> None:
    (snippet,) = [b for s in lesson.sections for b in s.blocks if b.kind == "code"]
    lines = [line.strip() for line in snippet.code.splitlines()]
    assert lines == [
        "def complete_purchase(store, bus, purchase):",
        "store.mark_completed(purchase.id)",
        'bus.publish("purchase.completed", {"purchase_id": purchase.id})',
    ]
    assert "if the process dies between those two lines" in page_text(lesson, "concept-2")


def test_what_may_lag_and_what_may_not(lesson: Lesson) -> None:
    (table,) = [
        b for b in lesson.sections[lesson.section_index("concept-3")].blocks if b.kind == "table"
    ]
    assert [tuple(row) for row in table.rows] == [
        ("Payment result", "Decided authoritatively, now"),
        ("Course access", "May need to appear very quickly"),
        ("Analytics", "Can lag"),
        ("Recommendations", "Can lag even more"),
    ]
    concept = page_text(lesson, "concept-3")
    assert "may still belong on the critical path" in concept
    assert "purchase service owns whether a purchase succeeded" in concept
    assert "analytics records purchases; it does not own course access" in concept


def test_the_three_troubleshooting_items(lesson: Lesson) -> None:
    section = lesson.sections[lesson.section_index("troubleshooting")]
    titles = [b.title.lower() for b in section.blocks if b.kind == "callout"]
    assert titles == [
        "calling every message an event",
        "publishing an event before the authoritative change is committed",
        "assuming event-driven means nobody owns the workflow",
    ]
    text = page_text(lesson, "troubleshooting")
    for fix in ("by what they mean", "only after authoritative success", "source of truth"):
        assert fix in text, fix


def test_objectives_insights_and_connections(lesson: Lesson, readable: str) -> None:
    assert [o.title for o in lesson.objectives] == [
        "Distinguish commands, events and queries precisely",
        "Identify when event-driven coordination is a good fit",
        "Reason about ownership and lag in event-driven systems",
    ]
    assert [i.title for i in lesson.insights] == [
        "Events are facts, not generic messages",
        "Events decouple downstream consequences from the critical path",
        "Event-driven systems still need clear truth ownership",
    ]
    for phrase in ("service boundaries", "streaming platforms", "kafka", "30 minutes"):
        assert phrase in readable, phrase


def test_the_resources_titles_and_links(lesson: Lesson, readable: str) -> None:
    assert [(r.kind, r.title, r.link) for r in lesson.resources] == [
        (
            "BOOK",
            "Designing Event-Driven Systems",
            "https://www.confluent.io/designing-event-driven-systems/",
        ),
        (
            "BOOK",
            "Enterprise Integration Patterns",
            "https://www.enterpriseintegrationpatterns.com/",
        ),
        (
            "ARTICLE",
            'What Do You Mean by "Event-Driven"?',
            "https://martinfowler.com/articles/201701-event-driven.html",
        ),
        (
            "BOOK",
            "Building Event-Driven Microservices",
            "https://www.oreilly.com/library/view/building-event-driven-microservices/9781492057888/",
        ),
    ]
    for resource in lesson.resources:
        assert resource.link.lower() in readable  # whole, never split


def test_the_knowledge_check_and_its_answers(lesson: Lesson, readable: str) -> None:
    questions = lesson.quiz_questions("knowledge-check")
    assert [q.answer_letter for q in questions] == ["A", "A", "A"]
    assert [len(q.options) for q in questions] == [3, 3, 3]
    one, two, three = (q.options[q.answer].text.lower() for q in questions)
    assert "already happened" in one
    assert "without holding up" in two and "confirmation" in two
    assert "downstream" in three and "answered" in three
    assert "probably belongs on the critical path" in questions[2].options[0].explanation
    # the handout ends with the knowledge check, then its answers
    tail = readable[readable.rindex("knowledge check") :]
    assert "answers" in tail and tail.index("answers") > tail.index(questions[2].prompt.lower())


def test_the_glossary_covers_the_lesson_and_what_lies_beyond(lesson: Lesson) -> None:
    terms = {t.term.lower() for t in lesson.glossary}
    for term in (
        "command",
        "query",
        "event",
        "consumer",
        "producer",
        "broker",
        "critical path",
        "eventual consistency",
        "at-least-once delivery",
        "offset",
        "consumer group",
        "consumer lag",
        "idempotent consumer",
        "transactional outbox",
        "relay",
        "ghost event",
        "lost event",
        "poison event",
        "dead-letter queue",
    ):
        assert term in terms, term
    meanings = {t.term.lower(): t.meaning for t in lesson.glossary}
    assert "such as a queue" not in meanings["broker"]
    assert "converges" in meanings["eventual consistency"]
    assert "same transaction" in meanings["idempotent consumer"]
