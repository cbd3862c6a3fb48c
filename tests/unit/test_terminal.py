"""Text from outside shown on a terminal: control characters escaped, the rest untouched."""

from __future__ import annotations

import logging

import pytest

from dirsync_bridge.logs import setup_logging
from dirsync_bridge.terminal import shown


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("evil\x1b]0;pwned\x07@contoso.com", "evil\\x1b]0;pwned\\x07@contoso.com"),
        ("clear\x1b[2J", "clear\\x1b[2J"),
        ("csi\x9b2J", "csi\\x9b2J"),  # the 8-bit CSI
        ("del\x7f", "del\\x7f"),
        ("two\nlines\tand a tab\r", "two\\x0alines\\x09and a tab\\x0d"),
        ("Zoë, Łódź, 東京, \u00a0nbsp", "Zoë, Łódź, 東京, \u00a0nbsp"),  # printable: as is
        # bidi marks, embeddings, overrides and isolates reorder what is drawn after them
        ("\u202emoc.lacol@fdp.exe", "\\u202emoc.lacol@fdp.exe"),
        ("a\u202ab\u202bc\u202cd\u202de", "a\\u202ab\\u202bc\\u202cd\\u202de"),
        ("\u2066x\u2067y\u2068z\u2069", "\\u2066x\\u2067y\\u2068z\\u2069"),
        ("\u200e\u200f\u061c", "\\u200e\\u200f\\u061c"),
        ("עברית العربية", "עברית العربية"),  # right-to-left letters themselves: as is
    ],
)
def test_control_characters_are_escaped_and_nothing_else(text: str, expected: str) -> None:
    assert shown(text) == expected


def test_a_human_log_line_shows_a_reports_escape_sequence_escaped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root, ours = logging.getLogger(), logging.getLogger("dirsync_bridge")
    saved = (root.handlers[:], root.level, ours.level)
    setup_logging(1, "human")
    try:
        logging.getLogger("dirsync_bridge.test").info("created %s", "evil\x1b[2J\nsecond")
        assert capsys.readouterr().err == "dirsync-bridge: created evil\\x1b[2J\\x0asecond\n"
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        ours.setLevel(saved[2])
        logging.captureWarnings(False)
