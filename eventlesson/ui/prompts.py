"""The one seam through which the program asks the learner anything.

Three implementations of `Prompter`:
- `QuestionaryPrompter`: arrow-key menus (questionary's `unsafe_ask`, so Ctrl-C is not swallowed);
- `LinePrompter`: lettered choices answered by typing a letter and Enter (or, for choices that
  carry their own numbers, the number), for TERM=dumb terminals and screen readers that cope
  badly with redrawn menus;
- `ScriptedPrompter`: answers from a list, for tests and scripted runs ("q" leaves a prompt that
  may be left).

Ctrl-C and Ctrl-D become `Interrupted` here, in one place. questionary is imported lazily so that
`eventlesson --help` never pays for it.
"""

from __future__ import annotations

import shutil
import sys
import textwrap
from collections.abc import Iterable, Sequence
from typing import Protocol

from eventlesson.errors import Interrupted, NotInteractiveError
from eventlesson.models import letter


class Left(Exception):  # not an error: the learner chose to leave
    """The learner left a prompt with Esc or q; nothing was picked."""


class Prompter(Protocol):
    """Asks the learner to choose or confirm; returns plain values."""

    def select(
        self,
        message: str,
        choices: Sequence[str],
        *,
        hint: str = "",
        default: int | None = None,
        letters: bool = True,
        footer: str = "",
        leave: bool = False,
    ) -> int:
        """Index of the choice picked.

        `default`: the choice the cursor starts on (the line prompter takes Enter for it).
        `letters=False`: the choices carry their own numbers ("1.", "2.", ...) and get no
        "A) " prefix; the line prompter then reads the number typed. With letters, typing a
        choice's letter answers at once.
        `footer`: a line of key hints kept visible under the choices while they are asked.
        `leave`: Esc or q leaves the prompt by raising `Left` (the caller keeps what it has).
        """
        ...

    def confirm(self, message: str, *, default: bool = False) -> bool:
        """Yes or no."""
        ...


def fit_choices(choices: Sequence[str], width: int, message: str) -> list[str]:
    """Choices shortened to fit one line each, ending in "…" when cut.

    questionary gives every choice one unwrapped line, and after the answer it echoes
    "? MESSAGE A) text" on one line: the room is measured against that echo. Callers that cut a
    choice show the full texts above the menu.
    """
    room = max(width - len(f"? {message} A) ") - 1, 20)
    return [text if len(text) <= room else text[: room - 1].rstrip() + "…" for text in choices]


POINTER = 3  # questionary draws " » " (or three spaces) before every choice


def wrap_choices(choices: Sequence[str], width: int, indent: int = 0) -> list[str]:
    """Choices wrapped at word boundaries to fit the arrow-key menu, nothing cut.

    questionary draws a choice with newlines on several lines; continuation lines start at the
    left edge, so they are indented by the pointer column plus `indent` to sit under the text.
    For menus whose answer is not echoed for long (the pager redraws right after it).
    """
    room = max(width - POINTER - 1, 20)
    hang = " " * (POINTER + indent)
    return [
        "\n".join(textwrap.wrap(text, room, subsequent_indent=hang, break_on_hyphens=False)) or text
        for text in choices
    ]


def _labelled(choices: Sequence[str]) -> list[str]:
    return [f"{letter(i)}) {text}" for i, text in enumerate(choices)]


class QuestionaryPrompter:
    """Arrow keys and Enter, via questionary."""

    def select(
        self,
        message: str,
        choices: Sequence[str],
        *,
        hint: str = "",
        default: int | None = None,
        letters: bool = True,
        footer: str = "",
        leave: bool = False,
    ) -> int:
        import questionary

        titles = _labelled(choices) if letters else list(choices)
        options = [questionary.Choice(title=t, value=i) for i, t in enumerate(titles)]
        question = questionary.select(
            message,
            choices=options,
            default=options[default] if default is not None else None,
            instruction=hint or "(arrow keys, then Enter)",
            qmark="?",
        )
        _extra_keys(question, len(choices) if letters else 0, leave=leave)
        if footer:
            _add_footer(question, footer)
        picked = _ask(question)
        assert isinstance(picked, int)  # each Choice's value is its index
        return picked

    def confirm(self, message: str, *, default: bool = False) -> bool:
        import questionary

        return bool(_ask(questionary.confirm(message, default=default, qmark="?")))


def _job_keys(question: object) -> None:
    """Ctrl-D leaves the prompt the clean way Ctrl-C does (questionary binds only Ctrl-C); Ctrl-Z
    suspends it like `less` (questionary binds nothing, and prompt_toolkit's own suspend would
    not give back the lesson's alternate screen): the prompt is erased, the terminal given back
    in its own mode, and after `fg` the screen is drawn again with the prompt as it was, the
    cursor on the same choice."""
    from prompt_toolkit.application import run_in_terminal
    from prompt_toolkit.filters import Condition
    from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings
    from prompt_toolkit.utils import suspend_to_background_supported

    extra = KeyBindings()

    @extra.add("c-d", eager=True)
    def _(event: object) -> None:
        event.app.exit(exception=EOFError, style="class:aborting")  # type: ignore[attr-defined]

    @extra.add("c-z", eager=True, filter=Condition(suspend_to_background_supported))
    def _(event: object) -> None:
        from eventlesson.ui import terminal

        # run_in_terminal erases the prompt and puts the terminal in its own (cooked) mode
        # first; afterwards it draws the prompt again, below the restored screen
        run_in_terminal(terminal.stop_job)

    application = question.application  # type: ignore[attr-defined]
    application.key_bindings = merge_key_bindings([application.key_bindings, extra])


def _extra_keys(question: object, letters: int, *, leave: bool) -> None:
    """Typing a choice's letter answers at once; with `leave`, Esc and q leave the prompt."""
    from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings
    from questionary.prompts.common import InquirerControl

    extra = KeyBindings()
    application = question.application  # type: ignore[attr-defined]
    menu = next(
        (c for c in application.layout.find_all_controls() if isinstance(c, InquirerControl)),
        None,
    )

    def answer(index: int) -> None:
        for key in {letter(index).lower(), letter(index)}:

            @extra.add(key, eager=True)
            def _(event: object) -> None:
                if menu is not None:  # as Enter on that choice: the answer line shows it
                    menu.pointed_at = index
                    menu.is_answered = True
                event.app.exit(result=index)  # type: ignore[attr-defined]

    for index in range(min(letters, 26)):
        if not (leave and letter(index).lower() == "q"):
            answer(index)
    if leave:
        for key in ("escape", "q"):

            @extra.add(key, eager=True)
            def _(event: object) -> None:
                event.app.exit(exception=Left, style="class:aborting")  # type: ignore[attr-defined]

    application.key_bindings = merge_key_bindings([application.key_bindings, extra])


def _add_footer(question: object, footer: str) -> None:
    """A line of key hints under the choices, shown while the question is open."""
    from prompt_toolkit.filters import IsDone
    from prompt_toolkit.layout import ConditionalContainer, Window
    from prompt_toolkit.layout.controls import FormattedTextControl

    line = Window(FormattedTextControl([("class:instruction", footer)]), dont_extend_height=True)
    layout = question.application.layout  # type: ignore[attr-defined]
    layout.container.children.append(ConditionalContainer(line, filter=~IsDone()))


def _ask(question: object) -> object:
    _job_keys(question)
    try:
        answer = question.unsafe_ask()  # type: ignore[attr-defined]
    except (KeyboardInterrupt, EOFError) as exc:
        raise Interrupted("interrupted") from exc
    if answer is None:  # questionary returns None when the prompt was cancelled
        raise Interrupted("interrupted")
    return answer


class LinePrompter:
    """Type a letter (or y/n) and Enter: works on any terminal and with screen readers."""

    def __init__(self, write: object = None, read: object = None, width: int = 0) -> None:
        self._write = write or (lambda text: (sys.stdout.write(text), sys.stdout.flush()))
        self._read = read or sys.stdin.readline
        self._width = width  # choices wrap at words to it; 0: the terminal's width

    def _line(self, prompt: str) -> str:
        from eventlesson.ui.terminal import said_again_after_fg

        try:
            # Ctrl-Z, then `fg`: the prompt again, under the shell's lines
            with said_again_after_fg(lambda: self._write(prompt)):  # type: ignore[operator]
                self._write(prompt)  # type: ignore[operator]
                line = self._read()  # type: ignore[operator]
        except KeyboardInterrupt as exc:
            raise Interrupted("interrupted") from exc
        if line == "":  # end of input (Ctrl-D)
            raise Interrupted("end of input")
        return line.strip()

    def select(
        self,
        message: str,
        choices: Sequence[str],
        *,
        hint: str = "",
        default: int | None = None,
        letters: bool = True,
        footer: str = "",
        leave: bool = False,
    ) -> int:
        self._write(message + "\n")  # type: ignore[operator]
        # Wrapped at words, under their own text: a plain terminal cuts a long line anywhere.
        width = self._width or shutil.get_terminal_size().columns
        for text in _labelled(choices) if letters else choices:
            hang = "  " + " " * (text.find(") ") + 2 if letters else 0)
            lines = textwrap.wrap(
                text,
                max(width - 1, 20),
                initial_indent="  ",
                subsequent_indent=hang,
                break_long_words=False,
                break_on_hyphens=False,
            )
            self._write("\n".join(lines or ["  " + text]) + "\n")  # type: ignore[operator]
        if footer:
            self._write(footer + "\n")  # type: ignore[operator]
        if letters:
            first, last = "A", letter(len(choices) - 1)
            names = [letter(i) for i in range(len(choices))]
            kind, ask = "letter", "Your answer"
        else:
            first, last = "1", str(len(choices))
            names = [str(i + 1) for i in range(len(choices))]
            kind, ask = "number", "Your choice"
        enter = f", Enter for {names[default]}" if default is not None else ""
        away = " (q leaves)" if leave else ""
        if letters:
            prompt = f"Type a letter from {first} to {last} and press Enter{away}: "
        else:
            prompt = f"{ask} ({first}-{last}{enter}){away}: "
        while True:
            raw = self._line(prompt).upper()
            if raw == "" and default is not None:
                return default
            if leave and raw == "Q" and "Q" not in names:
                raise Left
            if raw in names:
                return names.index(raw)
            self._write(f"Please type a {kind} from {first} to {last}.\n")  # type: ignore[operator]

    def confirm(self, message: str, *, default: bool = False) -> bool:
        suffix = "[Y/n]" if default else "[y/N]"
        while True:
            raw = self._line(f"{message} {suffix} ").lower()
            if raw == "":
                return default
            if raw in ("y", "yes"):
                return True
            if raw in ("n", "no"):
                return False


class ScriptedPrompter:
    """Answers from a script: ints, letters or a choice's words for select, bools for confirm.

    Running out of answers behaves like Ctrl-D, so a test can stop a session anywhere.
    """

    def __init__(self, answers: Iterable[int | str | bool]) -> None:
        self._answers = list(answers)
        self.asked: list[str] = []  # every message asked, for assertions

    def _next(self, message: str) -> int | str | bool:
        self.asked.append(message)
        if not self._answers:
            raise Interrupted("end of script")
        return self._answers.pop(0)

    def select(
        self,
        message: str,
        choices: Sequence[str],
        *,
        hint: str = "",
        default: int | None = None,
        letters: bool = True,
        footer: str = "",
        leave: bool = False,
    ) -> int:
        answer = self._next(message)
        if leave and answer in ("q", "esc"):
            raise Left
        if isinstance(answer, str) and len(answer) > 1:  # the choice whose text holds it
            found = [i for i, text in enumerate(choices) if answer in text]
            if len(found) != 1:
                raise ValueError(f"scripted answer {answer!r} matches {len(found)} choices")
            return found[0]
        index = ord(answer.upper()) - ord("A") if isinstance(answer, str) else int(answer)
        if not 0 <= index < len(choices):
            raise ValueError(f"scripted answer {answer!r} is not one of {len(choices)} choices")
        return index

    def confirm(self, message: str, *, default: bool = False) -> bool:
        answer = self._next(message)
        if isinstance(answer, str):
            return answer.lower().startswith("y")
        return bool(answer)


class NoPrompter:
    """For runs without a terminal: any question is a usage error, never a hang."""

    def __init__(self, advice: str) -> None:
        self.advice = advice

    def select(
        self,
        message: str,
        choices: Sequence[str],
        *,
        hint: str = "",
        default: int | None = None,
        letters: bool = True,
        footer: str = "",
        leave: bool = False,
    ) -> int:
        raise NotInteractiveError(self.advice)

    def confirm(self, message: str, *, default: bool = False) -> bool:
        raise NotInteractiveError(self.advice)
