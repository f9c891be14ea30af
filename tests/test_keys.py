"""The keys `KeyReader` names, read from a real pseudo-terminal as a terminal would send them.

Each sequence is written in one burst to the pty's master side and read on its slave side, the
way the pager reads the learner's keyboard: Home and End as xterm, tmux, screen and rxvt send
them, the arrows in normal and application mode, and a key after each to show nothing was left
behind in the input.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

pytest.importorskip("termios")

from eventlesson.ui.terminal import KeyReader, sequence_done

SEQUENCES = {
    "\x1b[H": "home",  # xterm
    "\x1b[F": "end",
    "\x1bOH": "home",  # xterm in application mode
    "\x1bOF": "end",
    "\x1b[1~": "home",  # tmux, screen, the Linux console (VT220 keypad)
    "\x1b[4~": "end",
    "\x1b[7~": "home",  # rxvt
    "\x1b[8~": "end",
    "\x1b[A": "up",
    "\x1bOA": "up",  # application mode: once read as an unknown key, then "a"
    "\x1bOB": "down",
    "\x1b[5~": "pgup",
    "\x1b[6~": "pgdn",
}


@pytest.fixture
def pty() -> Iterator[tuple[int, KeyReader]]:
    master, slave = os.openpty()
    try:
        with KeyReader(slave) as reader:
            yield master, reader
    finally:
        os.close(master)
        os.close(slave)


@pytest.mark.parametrize(("sent", "name"), list(SEQUENCES.items()))
def test_a_key_sequence_is_one_named_key(pty: tuple[int, KeyReader], sent: str, name: str) -> None:
    master, reader = pty
    os.write(master, (sent + "q").encode())
    assert reader.read(timeout=2) == name
    assert reader.read(timeout=2) == "q"  # the sequence was read whole, and no further
    assert reader.read(timeout=0) is None


def test_esc_alone_is_escape_and_an_unknown_sequence_is_one_unknown_key(
    pty: tuple[int, KeyReader],
) -> None:
    master, reader = pty
    os.write(master, b"\x1b")
    assert reader.read(timeout=2) == "escape"
    os.write(master, b"\x1b[15~h")  # F5, which nothing uses: not "h" (a hint) after it
    assert reader.read(timeout=2) == "unknown"
    assert reader.read(timeout=2) == "h"


def test_where_a_sequence_ends() -> None:
    assert not sequence_done("\x1b")
    assert not sequence_done("\x1bO")
    assert sequence_done("\x1bOF")
    assert not sequence_done("\x1b[")
    assert not sequence_done("\x1b[4")
    assert sequence_done("\x1b[4~")
    assert not sequence_done("\x1b[1;5")  # Ctrl and an arrow: parameters go on
    assert sequence_done("\x1b[1;5A")
    assert not sequence_done("\x1b[[")  # the Linux console's F1 is "Esc [ [ A"
    assert sequence_done("\x1b[[A")
    assert sequence_done("\x1bx")  # Alt-x


def test_a_key_typed_before_the_reader_starts_is_read_not_dropped() -> None:
    """Typed ahead: a prompt is written, then the reader starts; a key that came in between (a
    quick learner, a test on a busy machine) is still the first key read. Entering cbreak mode
    once flushed the input (tty.setcbreak's default), and such a key was lost."""
    master, slave = os.openpty()
    try:
        with KeyReader(slave) as reader:  # a first page, its key read; the terminal restored
            os.write(master, b"n")
            assert reader.read(timeout=2) == "n"
        os.write(master, b"\r")  # Enter at the next prompt, before its reader is up
        with KeyReader(slave) as reader:
            assert reader.read(timeout=2) == "enter"
    finally:
        os.close(master)
        os.close(slave)
