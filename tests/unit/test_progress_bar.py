"""The progress bar's own behaviour: log lines go above it, never through it."""

from __future__ import annotations

import logging

import pytest

from dirsync_bridge.logs import setup_logging
from dirsync_bridge.terminal import ProgressBar


def test_a_log_line_during_the_bar_is_written_whole_on_a_line_of_its_own(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging(0, "human")
    with ProgressBar("replay") as bar:
        bar.expect(2)
        bar.advance("a.eml")
        logging.getLogger("dirsync_bridge.test").warning("look-ups unavailable")
        bar.advance("b.eml")
    err = capsys.readouterr().err
    # The bar is cleared first ("\r" + blanks + "\r"), the line written, the bar redrawn.
    lines = err.split("\n")
    said = [line for line in lines if "look-ups unavailable" in line]
    assert len(said) == 1
    assert said[0].rsplit("\r", 1)[-1] == "dirsync-bridge: look-ups unavailable"
    after = err.split("look-ups unavailable", 1)[1]
    assert "\rreplay " in after and "/2 [" in after  # drawn again below the line


def test_control_characters_in_a_source_name_are_shown_escaped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with ProgressBar("replay") as bar:
        bar.expect(1)
        bar.advance("evil\x1b]0;title\x07.eml")
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert "evil\\x1b]0;title\\x07" in err
