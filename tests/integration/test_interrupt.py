"""SIGINT and SIGTERM: exit 130, the run lock released, the state consistent, a rerun finishes.

Real signals to a real process: sent by the process to itself at exact moments (the crash
points of ``faults``: right after a report is recorded, right after a ticket write before
the ledger records it), and sent from outside while it works (after it has logged so many
ticket writes). Whatever the moment, the run ends with exit 130 and one line, and the next
run ends exactly where a run that was never interrupted ends.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dirsync_bridge.crashpoints import ENV_VAR
from dirsync_bridge.ledger.lock import RunLock
from dirsync_bridge.pipeline import replay

from ..conftest import REPORTS
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import CLIENT_ID, MAILBOX, TENANT_ID
from .conftest import make_config, outcome
from .test_crash import build_corpus
from .test_run import ENV, deliver_corpus, folder_of, reference, tickets_of

pytestmark = pytest.mark.slow  # property and crash tests: `make test-fast` skips them

INTERRUPTED = 130
BASE_ENV = {k: v for k, v in os.environ.items() if k != ENV_VAR}
WRITE = re.compile(
    r"dirsync-bridge: (created LOCAL-|put-comment |remove-comment |set-status |update)"
)


def command(config_file: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "dirsync_bridge", "--config", str(config_file), *args]


def assert_interrupted(done: subprocess.CompletedProcess[str], name: str, lock: Path) -> None:
    """Exit 130, one line naming the signal, no traceback, the lock free for the next run."""
    assert done.returncode == INTERRUPTED, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    if "-v" in done.args:  # at -v the pass's run-summary closes it (pass_end)
        assert lines.pop().startswith(("dirsync-bridge: replay", "dirsync-bridge: run")), lines
    assert lines[-1] == (
        f"dirsync-bridge: interrupted by {name}; nothing is half-written: run the same "
        "command again to finish"
    )
    with RunLock(lock):  # taken at once: the interrupted run let go of it
        pass


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    build_corpus(folder, reports_per_tenant=30)
    return folder


def state_config(tmp_path: Path) -> tuple[Path, Path]:
    state = tmp_path / "interrupted"
    config_file = tmp_path / "interrupted.toml"
    config_file.write_text(f'[state]\npath = "{state / "state.db"}"\n')
    return state, config_file


def finish(config_file: Path, corpus: Path) -> subprocess.CompletedProcess[str]:
    def replayed() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command(config_file, "replay", str(corpus)),
            env=BASE_ENV,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    # The two hostile reports were recorded by the first interrupted runs, which were
    # stopped before naming them: this run names them (review rev34), the next none.
    done = replayed()
    assert done.returncode == 1, done.stderr
    named = sorted(line for line in done.stderr.splitlines() if " rejected " in line)
    assert len(named) == 2, done.stderr
    assert "hostile_dmarc_fail.eml: authentication-failed" in named[0]
    assert "hostile_spoofed_display_name.eml: untrusted-sender" in named[1]
    again = replayed()
    assert again.returncode == 0, again.stderr
    return again


KILLS = [
    # 92 messages: each run ingests further, then writes further.
    ("after-ingest", 1, "SIGINT"),
    ("after-ingest", 12, "SIGTERM"),
    ("after-ingest", 40, "SIGINT"),
    ("after-sink-write", 1, "SIGINT"),
    ("after-sink-write", 9, "SIGTERM"),
    ("after-sink-write", 30, "SIGINT"),
]


def test_replay_interrupted_at_exact_points_exits_130_and_a_rerun_ends_as_a_clean_run(
    tmp_path: Path, corpus: Path
) -> None:
    clean = make_config(tmp_path / "clean")
    replay([corpus], clean)
    expected = outcome(clean)

    state, config_file = state_config(tmp_path)
    for point, nth, name in KILLS:
        done = subprocess.run(
            command(config_file, "replay", str(corpus)),
            env={**BASE_ENV, ENV_VAR: f"{point}:{nth}:{name}"},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert_interrupted(done, name, state / "run.lock")
    finish(config_file, corpus)
    assert outcome(make_config(state)) == expected


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
def test_replay_interrupted_from_outside_while_it_writes_exits_130_then_finishes(
    tmp_path: Path, corpus: Path, name: str
) -> None:
    clean = make_config(tmp_path / "clean")
    replay([corpus], clean)
    expected = outcome(clean)

    state, config_file = state_config(tmp_path)
    for after in (1, 15, 40):  # ticket writes (this run) before the signal is sent
        with subprocess.Popen(
            command(config_file, "-v", "replay", str(corpus)),
            env=BASE_ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        ) as process:
            assert process.stderr is not None
            lines, written = [], 0
            for line in process.stderr:
                lines.append(line)
                written += WRITE.match(line) is not None
                if written == after:
                    process.send_signal(signal.Signals[name])
                    break
            lines.append(process.stderr.read())
            process.wait(timeout=300)
        done = subprocess.CompletedProcess(process.args, process.returncode, "", "".join(lines))
        assert_interrupted(done, name, state / "run.lock")
    finish(config_file, corpus)
    assert outcome(make_config(state)) == expected


def test_run_interrupted_at_several_points_exits_130_and_the_next_pass_finishes(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    ids = deliver_corpus(graph_sim)
    expected = reference(tmp_path)
    state = tmp_path / "state"
    config_file = tmp_path / "run.toml"
    config_file.write_text(
        f'[state]\npath = "{state / "state.db"}"\n'
        '[trust]\nforwarders = ["it-admin@contoso.com"]\n'
        f'[graph]\ntenant_id = "{TENANT_ID}"\nclient_id = "{CLIENT_ID}"\n'
        f'authority_url = "{graph_sim.url}"\ngraph_url = "{graph_sim.url}"\n'
        f'ca_bundle = "{graph_sim.ca_path}"\n'
        f'[source.mailbox]\nmailbox = "{MAILBOX}"\n'
    )
    env = {**BASE_ENV, **ENV}
    for point, nth, name in (
        ("after-ingest", 3, "SIGTERM"),
        ("after-sink-write", 5, "SIGINT"),
        ("after-sink-write", 20, "SIGTERM"),
    ):
        done = subprocess.run(
            command(config_file, "run"),
            env={**env, ENV_VAR: f"{point}:{nth}:{name}"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert_interrupted(done, name, state / "run.lock")
        # Not one message moved before every ticket it caused was written.
        assert {folder_of(graph_sim, i) for i in ids.values()} == {"inbox"}
    final = subprocess.run(
        command(config_file, "run"), env=env, capture_output=True, text=True, timeout=120
    )
    assert final.returncode in (0, 1), final.stderr
    assert "Traceback" not in final.stderr
    # As a clean pass ends (test_run): the same tickets, statuses and comments; only the
    # sources named in the texts differ (graph: references, not file names).
    found = tickets_of(make_config(state))
    assert sorted(found) == sorted(expected)
    for key, ticket in found.items():
        for field in ("summary", "status", "resolution", "links"):
            assert ticket[field] == expected[key][field], (key, field)
        assert sorted(ticket["comments"]) == sorted(expected[key]["comments"]), key
    # Every report moved once its tickets were written; spoofs tagged; nothing else touched.
    inbox = graph_sim.folder_messages(MAILBOX, "inbox")
    assert {tuple(m.categories) for m in inbox} == {("dirsync-bridge-rejected",), ()}
    assert ids["newsletter"] in {m.id for m in inbox}
    assert len(ids) - len(inbox) == 33  # the genuine reports (the cut one stays, rejected)


# ---------------------------------------------------------------------------------------------
# Before the command runs, and after it has ended


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize(
    "point",
    [
        "start-up",  # the handlers just installed, nothing of the command imported yet
        "command-line",  # the command's modules loaded, its arguments not yet read
    ],
)
def test_a_signal_while_the_command_starts_exits_130_in_one_line(
    tmp_path: Path, point: str, name: str
) -> None:
    state, config_file = state_config(tmp_path)
    done = subprocess.run(
        command(config_file, "replay", str(REPORTS)),
        env={**BASE_ENV, ENV_VAR: f"{point}:1:{name}"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert_interrupted(done, name, state / "run.lock")
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert not (state / "state.db").exists()  # stopped before anything was done


def test_a_signal_at_start_up_is_one_json_line_with_log_format_json(tmp_path: Path) -> None:
    _, config_file = state_config(tmp_path)
    done = subprocess.run(
        [*command(config_file), "--log-format", "json", "replay", str(REPORTS)],
        env={**BASE_ENV, ENV_VAR: "start-up:1:SIGTERM"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == INTERRUPTED, done.stderr
    (record,) = [json.loads(line) for line in done.stderr.splitlines()]
    assert record["level"] == "warning"
    assert record["message"].startswith("interrupted by SIGTERM; nothing is half-written")


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
def test_a_signal_after_the_command_has_ended_leaves_its_exit_code(
    tmp_path: Path, name: str
) -> None:
    """A signal while the interpreter exits (a `systemctl stop` as the pass ends) changes
    nothing: the command's own exit code and lines, no traceback, no death by the signal."""
    state, config_file = state_config(tmp_path)
    done = subprocess.run(
        command(config_file, "replay", str(REPORTS)),
        env={**BASE_ENV, ENV_VAR: f"interpreter-exit:1:{name}"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stderr  # the corpus's hostile reports, named
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    assert "interrupted" not in done.stderr
    assert done.stdout.splitlines()[-1].startswith("tickets: ")
    rerun = subprocess.run(
        command(config_file, "replay", str(REPORTS)),
        env=BASE_ENV,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "0 created" in rerun.stdout, rerun.stdout  # the first run's work was whole
    assert (state / "state.db").exists()


def test_nothing_but_the_signal_handlers_is_loaded_before_they_are_installed() -> None:
    """What runs before the handlers is the interpreter's own start-up and two tiny modules
    (no ``signal``: it loads ``enum`` and ``functools``, 7 ms): a signal can only beat them
    in the interpreter's own start-up."""
    probe = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import dirsync_bridge.__main__\n"
        "print('\\n'.join(sorted(set(sys.modules) - before)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = set(done.stdout.split())
    ours = {m for m in loaded if m.startswith("dirsync_bridge")}
    assert ours == {
        "dirsync_bridge",
        "dirsync_bridge.__main__",
        "dirsync_bridge.interrupt",
    }
    heavy = {"logging", "json", "click", "pydantic", "threading", "signal", "enum", "types"}
    assert not loaded & heavy, loaded


@pytest.mark.parametrize("phase", ["/$value", "/move", "/$batch"])
def test_sigterm_while_graph_throttles_ends_the_run_with_130_and_a_rerun_finishes(
    tmp_path: Path, graph_sim: GraphSimulator, phase: str
) -> None:
    # Graph answers 503 "come back in a minute" to every fetch, move or look-up, and the
    # run may retry for ten: worker threads are waiting it out (queued work behind them)
    # when systemd stops the service. The run must stop then, not when the waits end.
    deliver_corpus(graph_sim)
    state = tmp_path / "state"
    config_file = tmp_path / "run.toml"
    config_file.write_text(
        f'[state]\npath = "{state / "state.db"}"\n'
        '[trust]\nforwarders = ["it-admin@contoso.com"]\n'
        f'[graph]\ntenant_id = "{TENANT_ID}"\nclient_id = "{CLIENT_ID}"\n'
        f'authority_url = "{graph_sim.url}"\ngraph_url = "{graph_sim.url}"\n'
        f'ca_bundle = "{graph_sim.ca_path}"\nretry_for = "10m"\n'
        f'[source.mailbox]\nmailbox = "{MAILBOX}"\n'
        f"[enrich.cloud]\nenabled = {str(phase == '/$batch').lower()}\n"
    )
    graph_sim.faults.path_contains = phase
    graph_sim.faults.rate_503 = 1.0
    graph_sim.faults.retry_after = "60"
    with subprocess.Popen(
        command(config_file, "run"),
        env={**BASE_ENV, **ENV},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        while not any(r.status == 503 for r in graph_sim.log.records):
            assert process.poll() is None, "the run ended before Graph throttled it"
            time.sleep(0.05)  # polling for the moment, not measuring anything
        process.send_signal(signal.SIGTERM)
        try:  # a safety net far beyond a prompt stop, far short of the waits (10 minutes)
            _, stderr = process.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail("SIGTERM did not end the run: it waited out Graph's Retry-After")
    done = subprocess.CompletedProcess(process.args, process.returncode, "", stderr)
    assert_interrupted(done, "SIGTERM", state / "run.lock")
    graph_sim.faults.rate_503 = 0.0
    again = subprocess.run(
        command(config_file, "run"),
        env={**BASE_ENV, **ENV},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode in (0, 1), again.stderr
    assert {tuple(m.categories) for m in graph_sim.folder_messages(MAILBOX, "inbox")} == {
        ("dirsync-bridge-rejected",),
        (),
    }


def test_a_signal_that_breaks_an_import_is_one_line_and_130_not_a_traceback() -> None:
    """Python 3.11 wraps an exception raised while a class is made (``__set_name__``, as
    ``ipaddress`` has while ``requests`` loads) in a ``RuntimeError``: a signal landing there
    during start-up came out as a traceback and exit 1."""
    probe = (
        "import os, signal, sys, types\n"
        "from dirsync_bridge.__main__ import main\n"
        "class Breaks:\n"
        "    def __set_name__(self, owner, name):\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "def loading(name):\n"
        "    class Module:\n"  # the signal lands while this class is made
        "        attribute = Breaks()\n"
        "    raise AssertionError('the signal did not land')\n"
        "exits = types.ModuleType('dirsync_bridge.exits')\n"
        "exits.__getattr__ = loading\n"
        "sys.modules['dirsync_bridge.exits'] = exits\n"
        "sys.argv = ['dirsync-bridge', 'tickets']\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 130, done.stderr
    assert done.stderr.splitlines() == [
        "dirsync-bridge: interrupted by SIGTERM; nothing is half-written: run the "
        "same command again to finish"
    ], done.stderr
