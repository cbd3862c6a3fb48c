"""Input conveniences: ``-`` for one message on standard input, Outlook's ``.msg`` files
named with a hint, and where the configuration file is found."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from dirsync_bridge.config.locate import ENV_VAR, SYSTEM_FILE, USER_FILE, find_config_file
from dirsync_bridge.models import Rejected
from dirsync_bridge.ports import RawMessage
from dirsync_bridge.sources.files import read_paths

from ..conftest import REPORTS

REPORT = (REPORTS / "aadsync_th_thead.eml").read_bytes()
OLE = bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504  # an OLE compound file's header
LIMIT = 1 << 20
HINT = "save as .eml: drag the messages from Outlook on the web or the new Outlook"


def read(*paths: Path | str, stdin: bytes = b"", limit: int = LIMIT) -> list[RawMessage | Rejected]:
    return list(read_paths([Path(p) for p in paths], limit, stdin=io.BytesIO(stdin)))


# ---------------------------------------------------------------------------------------------
# -: standard input


def test_dash_reads_one_message_from_standard_input() -> None:
    (item,) = read("-", stdin=REPORT)
    assert item == RawMessage(source="<stdin>", data=REPORT)


def test_standard_input_is_read_no_further_than_the_limit() -> None:
    stream = io.BytesIO(REPORT * 100)
    (item,) = read_paths([Path("-")], len(REPORT), stdin=stream)
    assert isinstance(item, Rejected)
    assert item.reason.startswith("too-large: the message is over [parse] max_message_bytes")
    assert stream.tell() == len(REPORT) + 1  # one byte past the limit, never the rest


def test_a_message_exactly_at_the_limit_is_read() -> None:
    (item,) = read("-", stdin=REPORT, limit=len(REPORT))
    assert isinstance(item, RawMessage) and item.data == REPORT


def test_an_empty_standard_input_is_an_empty_message() -> None:
    (item,) = read("-", stdin=b"")
    assert item == RawMessage(source="<stdin>", data=b"")  # the parser calls it `empty`


def test_a_second_dash_is_rejected_rather_than_read_as_empty(tmp_path: Path) -> None:
    file = tmp_path / "a.eml"
    file.write_bytes(REPORT)
    first, other, second = read("-", file, "-", stdin=REPORT)
    assert isinstance(first, RawMessage) and isinstance(other, RawMessage)
    assert isinstance(second, Rejected)
    assert second.reason == "unreadable: standard input was read already: give - once"


def test_an_outlook_message_on_standard_input_gets_the_hint() -> None:
    (item,) = read("-", stdin=OLE)
    assert isinstance(item, Rejected) and item.source == "<stdin>"
    assert item.reason.startswith("not-email: an Outlook .msg file, not MIME mail; " + HINT)


# ---------------------------------------------------------------------------------------------
# Outlook's .msg files


def test_a_folder_of_msg_files_is_one_line_saying_how_to_save_them_as_eml(tmp_path: Path) -> None:
    for name in ("a.msg", "B.MSG", "sub/c.msg"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(OLE)
    (item,) = read(tmp_path)
    assert isinstance(item, Rejected) and item.source == str(tmp_path)
    assert item.reason == (
        "unreadable: 3 Outlook .msg files not read (not MIME mail); save as .eml: drag the "
        "messages from Outlook on the web or the new Outlook into a folder, or convert with "
        "msgconvert (Debian package libemail-outlook-message-perl)"
    )
    assert "\n" not in item.reason


def test_msg_files_beside_eml_files_are_named_and_the_eml_files_read(tmp_path: Path) -> None:
    (tmp_path / "good.eml").write_bytes(REPORT)
    (tmp_path / "one.msg").write_bytes(OLE)
    hint, report = read(tmp_path)
    assert isinstance(hint, Rejected) and hint.reason.startswith("unreadable: 1 Outlook .msg file ")
    assert isinstance(report, RawMessage) and report.data == REPORT


def test_a_msg_file_given_by_name_gets_the_hint_by_its_bytes(tmp_path: Path) -> None:
    for name in ("x.msg", "renamed.eml"):  # by its magic, whatever it is called
        (tmp_path / name).write_bytes(OLE)
        (item,) = read(tmp_path / name)
        assert isinstance(item, Rejected)
        assert item.reason.startswith("not-email: an Outlook .msg file, not MIME mail; " + HINT)


def test_a_folder_of_neither_still_says_it_holds_nothing_to_read(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    (item,) = read(tmp_path)
    assert isinstance(item, Rejected)
    assert item.reason == (
        "unreadable: the directory holds no .eml or .mbox files, nor .xml or .evtx exports"
    )


# ---------------------------------------------------------------------------------------------
# Where the configuration file is found


@pytest.fixture
def places(tmp_path: Path) -> dict[str, Path]:
    out = {name: tmp_path / name for name in ("cwd", "home", "xdg", "etc")}
    for folder in out.values():
        folder.mkdir()
    return out


def _put(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    return path


def test_the_search_order_after_config_and_the_variable(places: dict[str, Path]) -> None:
    env = {"HOME": str(places["home"]), "XDG_CONFIG_HOME": str(places["xdg"])}
    system = places["etc"] / "config.toml"

    def found(environ: dict[str, str] = env) -> Path | None:
        return find_config_file(None, environ, places["cwd"], system=system)

    assert found() is None
    _put(system)
    assert found() == system
    _put(places["home"] / ".config" / USER_FILE)  # not the place: XDG_CONFIG_HOME is set
    assert found() == system
    xdg = _put(places["xdg"] / USER_FILE)
    assert found() == xdg
    local = _put(places["cwd"] / "dirsync-bridge.toml")
    assert found() == local
    assert found({**env, ENV_VAR: "/from/the/variable.toml"}) == Path("/from/the/variable.toml")
    explicit = Path("/given/with/--config.toml")
    assert find_config_file(explicit, {**env, ENV_VAR: "x"}, places["cwd"]) == explicit


@pytest.mark.parametrize("xdg", [None, "", "relative/dir"])
def test_without_a_usable_xdg_config_home_it_is_the_homes_config(
    places: dict[str, Path], xdg: str | None
) -> None:
    env = {"HOME": str(places["home"])} | ({} if xdg is None else {"XDG_CONFIG_HOME": xdg})
    user = _put(places["home"] / ".config" / "dirsync-bridge" / "config.toml")
    system = _put(places["etc"] / "config.toml")
    assert find_config_file(None, env, places["cwd"], system=system) == user


def test_no_home_and_no_xdg_goes_on_to_the_system_file(places: dict[str, Path]) -> None:
    system = _put(places["etc"] / "config.toml")
    assert find_config_file(None, {}, places["cwd"], system=system) == system
    assert find_config_file(None, {"HOME": "relative"}, places["cwd"], system=system) == system


def test_a_broken_user_file_is_the_file_never_passed_over(places: dict[str, Path]) -> None:
    env = {"XDG_CONFIG_HOME": str(places["xdg"])}
    dangling = places["xdg"] / USER_FILE
    dangling.parent.mkdir(parents=True)
    dangling.symlink_to(places["xdg"] / "nowhere.toml")
    system = _put(places["etc"] / "config.toml")
    # Loading it then fails naming it: better than a run on /etc's settings by surprise.
    assert find_config_file(None, env, places["cwd"], system=system) == dangling


def test_the_system_file_is_under_etc() -> None:
    assert Path("/etc/dirsync-bridge/config.toml") == SYSTEM_FILE
