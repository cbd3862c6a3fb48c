"""``parse --format json`` output: one JSON array, written message by message as UTF-8."""

from __future__ import annotations

import io
import json
import signal
import sys
from collections.abc import Iterator

import pytest

from dirsync_bridge import interrupt
from dirsync_bridge.models import Rejected, Report, UnknownError
from dirsync_bridge.output import print_json_array


class _Sink(io.RawIOBase):
    """A stdout that remembers how many bytes reached it, as a pipe would see them."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, chunk: bytes) -> int:  # type: ignore[override]
        self.data += chunk
        return len(chunk)


def _stdout(monkeypatch: pytest.MonkeyPatch) -> _Sink:
    # Set in the test itself: pytest puts its own capture back between setup and call.
    sink = _Sink()
    # latin-1 on purpose: JSON is UTF-8 whatever the terminal's encoding says.
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BufferedWriter(sink), "latin-1"))
    return sink


def _report(number: int) -> Report:
    message = f"Unable to update object {number}: caf\u00e9 \u2013 " + "x" * 100_000
    return Report(source=f"m{number}.eml", errors=(UnknownError(kind="Unknown", message=message),))


def test_each_message_is_written_before_the_next_is_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stdout = _stdout(monkeypatch)
    seen_before: list[int] = []

    def results() -> Iterator[bytes]:
        for number in range(3):
            seen_before.append(len(stdout.data))
            yield _report(number).to_json()

    print_json_array(results())
    sys.stdout.flush()
    # Each report is larger than any buffer: had the array been gathered first, nothing
    # would have reached stdout before the last report was made.
    assert seen_before[0] < 100_000 < seen_before[1] < 200_000 < seen_before[2]
    printed = json.loads(bytes(stdout.data).decode("utf-8"))
    assert [item["source"] for item in printed] == ["m0.eml", "m1.eml", "m2.eml"]
    assert printed[0]["errors"][0]["message"].startswith(
        "Unable to update object 0: caf\u00e9 \u2013"
    )


def test_reports_rejections_and_dicts_make_one_array(monkeypatch: pytest.MonkeyPatch) -> None:
    stdout = _stdout(monkeypatch)
    rejected = Rejected(source="r.eml", code="empty", detail="the input is empty")
    print_json_array(iter([_report(1).to_json(), rejected.to_json(), {"source": "\u00e9.eml"}]))
    sys.stdout.flush()
    printed = json.loads(bytes(stdout.data).decode("utf-8"))
    assert [item["source"] for item in printed] == ["m1.eml", "r.eml", "\u00e9.eml"]
    assert printed[1]["reason"] == "empty: the input is empty"


def test_a_report_in_pieces_is_written_piece_by_piece(monkeypatch: pytest.MonkeyPatch) -> None:
    stdout = _stdout(monkeypatch)
    whole = _report(1).to_json()
    written_before: list[int] = []

    def pieces() -> Iterator[bytes]:
        for at in range(0, len(whole), 40_000):
            written_before.append(len(stdout.data))
            yield whole[at : at + 40_000]

    print_json_array(iter([pieces(), {"source": "d.eml"}]))
    sys.stdout.flush()
    # A piece larger than any buffer reaches stdout before the next piece is made.
    assert written_before[0] < 40_000 < written_before[2]
    printed = json.loads(bytes(stdout.data).decode("utf-8"))
    assert [item["source"] for item in printed] == ["m1.eml", "d.eml"]
    assert printed[0] == json.loads(whole)


def _as_if_handled(monkeypatch: pytest.MonkeyPatch) -> None:
    # The handler's state (``interrupt``) is the process's: fresh here, put back after.
    monkeypatch.setattr(interrupt, "_quiet", False)
    monkeypatch.setattr(interrupt, "_signal_name", None)
    monkeypatch.setattr(interrupt, "_stopping", None)  # no worker waits to end


def test_a_signal_while_an_item_is_written_finishes_it_and_closes_the_array(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stdout = _stdout(monkeypatch)
    _as_if_handled(monkeypatch)

    def pieces() -> Iterator[bytes]:
        yield b'{"source": "a.eml", "errors": ['
        interrupt._raise(signal.SIGINT, None)  # as the handler does, half-way through
        yield b"1, 2]}"

    def items() -> Iterator[Iterator[bytes] | dict[str, str]]:
        yield {"source": "first.eml"}
        yield pieces()
        yield {"source": "never.eml"}

    with pytest.raises(interrupt.Interrupted):
        print_json_array(items())
    sys.stdout.flush()
    printed = json.loads(bytes(stdout.data).decode("utf-8"))
    assert printed == [{"source": "first.eml"}, {"source": "a.eml", "errors": [1, 2]}]


def test_a_signal_while_the_next_item_is_read_closes_the_array(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stdout = _stdout(monkeypatch)
    _as_if_handled(monkeypatch)

    def items() -> Iterator[dict[str, str]]:
        yield {"source": "first.eml"}
        interrupt._raise(signal.SIGTERM, None)  # while the next message is parsed
        yield {"source": "never.eml"}

    with pytest.raises(interrupt.Interrupted):
        print_json_array(items())
    sys.stdout.flush()
    assert json.loads(bytes(stdout.data).decode("utf-8")) == [{"source": "first.eml"}]
