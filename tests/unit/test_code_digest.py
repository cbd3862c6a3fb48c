"""The row-digest mark (``code_mark.code_digest``, ``rows_mark``) on installs of every shape
(from the second review of today's changes).

The contract of code_digest: "None when a source cannot be read" -> rows_mark None -> every
sighting made. An install without sources (.pyc only, a zip) must fall back the same way:
otherwise every such install, whatever its code, shares one mark and trusts the digests kept
by any other.
"""

from __future__ import annotations

import compileall
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import dirsync_bridge
from dirsync_bridge.code_mark import code_digest

PACKAGE = Path(dirsync_bridge.__file__).resolve().parent


def _pyc_only(src: Path, dest: Path) -> Path:
    target = dest / "dirsync_bridge"
    shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__"))
    assert compileall.compile_dir(str(target), quiet=1, legacy=True)
    for py in target.rglob("*.py"):
        py.unlink()
    return target


def test_a_package_without_sources_has_no_mark(tmp_path: Path) -> None:
    """.pyc-only: no source can be read, so no mark (every sighting made)."""
    target = _pyc_only(PACKAGE, tmp_path / "a")
    assert code_digest(target) is None


def test_two_different_pyc_only_installs_do_not_share_a_mark(tmp_path: Path) -> None:
    a = _pyc_only(PACKAGE, tmp_path / "a")
    src_b = tmp_path / "src_b" / "dirsync_bridge"
    shutil.copytree(PACKAGE, src_b, ignore=shutil.ignore_patterns("__pycache__"))
    catalogue = src_b / "problem.py"
    catalogue.write_text(catalogue.read_text() + "\nCHANGED_RULE = 1\n")
    b = _pyc_only(src_b, tmp_path / "b")
    assert code_digest(PACKAGE) != code_digest(src_b)  # sources: told apart
    da, db = code_digest(a), code_digest(b)
    assert da is None or da != db, "two different codes, one mark: old digests trusted"


def test_a_package_inside_a_zip_has_no_mark(tmp_path: Path) -> None:
    """__file__ inside a zip: Path.rglob finds nothing there, and nothing is not a code."""
    inside = tmp_path / "app.pyz" / "dirsync_bridge"
    assert code_digest(inside) is None


def test_a_missing_directory_has_no_mark(tmp_path: Path) -> None:
    assert code_digest(tmp_path / "gone") is None


def test_a_dangling_symlinked_source_falls_back(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    assert code_digest(pkg) is None


def test_a_symlink_loop_in_the_tree_ends(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "sub" / "loop").symlink_to("..")
    assert code_digest(pkg) is not None


def test_a_fifo_named_like_a_source_does_not_hang(tmp_path: Path) -> None:
    """A named pipe called x.py under the package: reading it blocks for ever."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.py").write_text("x = 1\n")
    os.mkfifo(pkg / "fifo.py")
    code = (
        "from pathlib import Path; from dirsync_bridge.code_mark import code_digest;"
        f"print(code_digest(Path({str(pkg)!r})))"
    )
    try:
        done = subprocess.run([sys.executable, "-c", code], timeout=15, capture_output=True)
    except subprocess.TimeoutExpired:
        pytest.fail("code_digest blocked on a FIFO named *.py")
    assert done.returncode == 0


def _replay(
    python: str, pythonpath: Path, state: Path, corpus: Path
) -> subprocess.CompletedProcess:
    state.mkdir(exist_ok=True)
    cfg = state / "c.toml"
    cfg.write_text(
        f'[state]\npath = "{state / "state.db"}"\n[trust]\nforwarders = ["it-admin@contoso.com"]\n'
    )
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run(
        [python, "-m", "dirsync_bridge", "--config", str(cfg), "replay", str(corpus)],
        capture_output=True,
        env=env,
        timeout=300,
        cwd=state,
    )


def test_pyc_only_install_replays_twice_and_makes_every_sighting(tmp_path: Path) -> None:
    from ..conftest import REPORTS

    _pyc_only(PACKAGE, tmp_path / "lib")
    state = tmp_path / "state"
    for _ in range(2):
        done = _replay(sys.executable, tmp_path / "lib", state, REPORTS)
        assert done.returncode in (0, 1), done.stderr
        assert b"Traceback" not in done.stderr
    mark = subprocess.run(
        [
            sys.executable,
            "-c",
            "from dirsync_bridge.ingest import rows_mark; print(rows_mark(None))",
        ],
        env={**os.environ, "PYTHONPATH": str(tmp_path / "lib")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert mark.stdout.strip() == "None", f"pyc-only install keeps a mark: {mark.stdout}"


def _farm(src: Path, root: Path) -> Path:
    """A symlink farm (GNU stow / per-file store layouts): every file of the package a
    symlink into a directory of its own."""
    pkg = root / "lib" / "dirsync_bridge"
    store = root / "store"
    for n, path in enumerate(sorted(src.rglob("*"))):
        if "__pycache__" in path.parts or path.is_dir():
            continue
        rel = path.relative_to(src)
        real = store / f"{n:04d}" / path.name
        real.parent.mkdir(parents=True)
        shutil.copy(path, real)
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).symlink_to(real)
    return pkg


def _mark(lib: Path) -> str:
    return subprocess.run(
        [
            sys.executable,
            "-B",
            "-c",
            "from dirsync_bridge.ingest import rows_mark; print(rows_mark(None))",
        ],
        env={**os.environ, "PYTHONPATH": str(lib), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()


def test_a_symlinked_farm_install_changes_its_mark_when_another_module_changes(
    tmp_path: Path,
) -> None:
    pkg = _farm(PACKAGE, tmp_path)
    before = _mark(pkg.parent)
    assert before
    target = (pkg / "problem.py").resolve()
    target.write_text(target.read_text() + "\nCHANGED_RULE = 1\n")
    after = _mark(pkg.parent)
    assert after == "None" or after != before, (
        "the code changed (problem.py) and the mark did not: old digests trusted"
    )
