"""Shared fixtures: a real PostgreSQL server (never a mock) and generated extracts."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import fcntl
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nhi_migration import db, generate, handlers, paths

SCRIPTS = Path(__file__).resolve().parents[1]
VENDOR = "V001"  # a vendor handler of handlers.example.yml


# Fixtures that build or run whole rounds (or generate the default extract): a test that
# uses one is in the slow tier. `pytest -m "not slow"` is the fast tier: pure functions,
# unit tests, the loader and the command line on small extracts, and one small round.
SLOW_FIXTURES = frozenset({
    "baseline", "baseline_package", "book", "built_small_round", "crashed_export",
    "default_extract", "erased", "exported", "failed", "loaded_other", "pairs", "passed",
    "rounds", "small_round", "tiny", "workbooks",
})


# The files whose tests take longest in their tier go first, so that pytest-xdist hands
# them out before the short ones and both workers finish together (the fast tier's one
# small round; the slow tier's default round).
FIRST_FILES = ("test_package_bytes.py", "test_default_round.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    # a stable sort: every other file keeps its place, every test its order in its file
    items.sort(key=lambda item: item.path.name not in FIRST_FILES)


def pytest_configure(config: pytest.Config) -> None:
    """The example handlers file, and an audit log of the test session's own."""
    config.addinivalue_line("markers", "slow: builds or runs whole rounds (the slow tier)")
    os.environ["NHI_HANDLERS"] = str(paths.PROJECT_DIR / "handlers.example.yml")
    audit_dir = Path(config.rootpath) / ".local" / "test-audit"
    audit_dir.mkdir(parents=True, exist_ok=True)
    os.environ["NHI_AUDIT_LOG"] = str(audit_dir / f"audit-{os.getpid()}.jsonl")


_held_exclusively = False


@contextlib.contextmanager
def checkout_in_use(exclusive: bool = False) -> Iterator[None]:
    """The pytest-xdist workers share the checkout and its cluster. A test that edits one
    of the checkout's files (the gaiji map, as staff would), or that needs the cluster to
    itself (the erasure, which must find no other round's dead catalog rows), holds this
    lock exclusively while it lasts; every command a test runs, and every schema a test
    drops, holds it shared, so no other worker's round reads the edit or writes meanwhile."""
    global _held_exclusively
    if _held_exclusively:  # this test holds it exclusively: its own commands go ahead
        yield
        return
    paths.LOCAL_DIR.mkdir(parents=True, exist_ok=True)
    with open(paths.LOCAL_DIR / "test-checkout.lock", "a", encoding="ascii") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        _held_exclusively = exclusive
        try:
            yield
        finally:
            _held_exclusively = False


def run_cli(*args: str, env: dict[str, str] | None = None,
            operator: str | None = VENDOR) -> subprocess.CompletedProcess[str]:
    """Run scripts/migrate.py as a user would (a vendor handler unless told otherwise)."""
    arguments = list(args)
    if operator and arguments and arguments[0] in handlers.PERSONAL_DATA_COMMANDS \
            and "--operator" not in arguments:
        arguments += ["--operator", operator]
    with checkout_in_use():
        return subprocess.run([sys.executable, str(SCRIPTS / "migrate.py"), *arguments],
                              capture_output=True, text=True, env=env or dict(os.environ),
                              check=False)


def rewrite_csv(path: Path, edit: Callable[[list[list[str]]], None]) -> None:
    """Edit a dump file's rows (header first) in place, written back as CP932 CSV, CRLF."""
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("cp932"), newline="")))
    edit(rows)
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    path.write_bytes(text.getvalue().encode("cp932"))


def set_column(path: Path, column: str, value: str) -> None:
    """Every record of a dump file gets ``value`` in ``column`` (counts unchanged)."""
    def edit(rows: list[list[str]]) -> None:
        index = rows[0].index(column)
        for row in rows[1:]:
            if row:
                row[index] = value
    rewrite_csv(path, edit)


def drop_round_schemas(round_id: str) -> None:
    schemas = db.round_schemas(round_id)
    with checkout_in_use(), db.connect() as connection, connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute(f'drop schema "{schema}" cascade')


@pytest.fixture(scope="session")
def server() -> str:
    """The configured server, or the embedded cluster (started if needed)."""
    return db.ensure_server()


def make_extract(folder: Path, households: int = 200, seed: int = 11,
                 faults: frozenset[str] = frozenset(),
                 as_of: dt.date = generate.DEFAULT_AS_OF) -> Path:
    generate.generate(folder, generate.Options(households=households, seed=seed,
                                               as_of=as_of, faults=faults))
    return folder


def shared_extract(tmp_path_factory: pytest.TempPathFactory, name: str, households: int,
                   seed: int) -> Path:
    """An extract generated once per test session, whichever pytest-xdist worker asks
    first (the others wait for it): the generator is deterministic and tests only read
    it (a test that damages an extract copies it first)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the session's folder, shared by its workers
    folder, done = root / f"shared-{name}", root / f"shared-{name}.done"
    with open(root / f"shared-{name}.lock", "w", encoding="ascii") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            make_extract(folder / "extract", households=households, seed=seed)
            done.touch()
    return folder / "extract"


@pytest.fixture(scope="session")
def small_extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,000 households: small, yet every dirty pattern occurs."""
    return shared_extract(tmp_path_factory, "small", households=2000, seed=11)


@pytest.fixture(scope="session")
def default_extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default extract: 46,565 in-scope households as of 2017-11-10."""
    return shared_extract(tmp_path_factory, "default", households=generate.DEFAULT_HOUSEHOLDS,
                          seed=generate.DEFAULT_SEED)


@pytest.fixture()
def drop_round(server: str) -> Iterator[list[str]]:
    """Rounds a test creates; their schemas are dropped afterwards."""
    rounds: list[str] = []
    yield rounds
    for round_id in rounds:
        drop_round_schemas(round_id)


@pytest.fixture(scope="session")
def built_small_round(server: str, small_extract: Path) -> Iterator[str]:
    """The small extract loaded and built as round PYSMAL (2,000 households)."""
    round_id = "PYSMAL"
    result = run_cli("load", "--input", str(small_extract), "--round", round_id)
    assert result.returncode == 0, result.stderr
    result = run_cli("build", "--round", round_id, "--as-of", "2017-11-10",
                     "--expected-households", "2000")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    yield round_id
    drop_round_schemas(round_id)
