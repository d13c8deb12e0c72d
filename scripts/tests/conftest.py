"""Shared fixtures: a real PostgreSQL server (never a mock) and generated extracts."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import fcntl
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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
    "passed_round", "failed_round", "rounds", "small_round", "small_run", "tiny",
    "unbalanced_round", "unknown_code_round", "workbooks",
})


# pytest-xdist (--dist loadfile) hands the test files out in this order, so that both
# workers finish together: the longest first (measured; xdist's own reordering, by the
# number of tests in a file, is turned off in pytest_configure). Each worker is given two
# files to start with: the first worker's second file waits behind the default round, so
# it is a short one. Files not named here follow, in their own order.
FILE_ORDER = (
    "test_default_round.py", "test_round.py", "test_validation_report.py", "test_faults.py",
    "test_privacy.py", "test_package_bytes.py", "test_verify_pack.py", "test_erase.py",
    "test_rules.py", "test_loader.py", "test_pgcluster.py", "test_cli.py",
)


def file_rank(item: pytest.Item) -> int:
    name = item.path.name
    return FILE_ORDER.index(name) if name in FILE_ORDER else len(FILE_ORDER)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    # a stable sort: every test keeps its order in its file
    items.sort(key=file_rank)


def pytest_configure(config: pytest.Config) -> None:
    """The example handlers file, and an audit log of the test session's own."""
    config.addinivalue_line("markers", "slow: builds or runs whole rounds (the slow tier)")
    if hasattr(config.option, "loadscopereorder"):  # pytest-xdist: FILE_ORDER's order
        config.option.loadscopereorder = False
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


def _session_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's temporary folder, shared by its pytest-xdist workers."""
    root = tmp_path_factory.getbasetemp()
    return root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root


def shared_extract(tmp_path_factory: pytest.TempPathFactory, name: str, households: int,
                   seed: int) -> Path:
    """An extract generated once per test session, whichever pytest-xdist worker asks
    first (the others wait for it): the generator is deterministic and tests only read
    it (a test that damages an extract copies it first)."""
    root = _session_root(tmp_path_factory)
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


@dataclass(frozen=True)
class SharedRound:
    """A round run once per test session (whichever pytest-xdist worker asks first; the
    others wait for it) and only read by the tests that use it: its package folder and
    what its last command printed."""

    round_id: str
    out: Path
    result: subprocess.CompletedProcess[str]

    @contextlib.contextmanager
    def in_use(self, exclusive: bool = False) -> Iterator[None]:
        """Held shared by each test that reads the round; exclusively by a test that runs
        it again (the others, on any worker, wait meanwhile)."""
        with open(self.out.parent / "in-use.lock", "a", encoding="ascii") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield


def shared_round(tmp_path_factory: pytest.TempPathFactory, round_id: str,
                 make: Callable[[Path], subprocess.CompletedProcess[str]]) -> SharedRound:
    """Round ``round_id`` made once per test session by ``make(out)`` (the CLI commands
    that make it; returns the last one's outcome, which is recorded for every worker);
    the session drops its schemas at its end (pytest_sessionfinish)."""
    root = _session_root(tmp_path_factory)
    folder = root / f"shared-round-{round_id}"
    record = root / f"shared-round-{round_id}.json"
    with open(root / f"shared-round-{round_id}.lock", "w", encoding="ascii") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            result = make(folder / round_id)
            record.write_text(json.dumps({
                "round": round_id, "args": result.args, "returncode": result.returncode,
                "stdout": result.stdout, "stderr": result.stderr}), encoding="utf-8")
    done = json.loads(record.read_text(encoding="utf-8"))
    return SharedRound(round_id, folder / round_id, subprocess.CompletedProcess(
        done["args"], done["returncode"], done["stdout"], done["stderr"]))


def shared_run(tmp_path_factory: pytest.TempPathFactory, round_id: str, extract: Path,
               expected_households: int, *, stale_package: bool = False) -> SharedRound:
    """``migrate.py run`` of ``extract`` as ``round_id`` (基準日 2017-11-10), once per test
    session. With ``stale_package`` the output folder holds an earlier KT010.dat first."""
    def make(out: Path) -> subprocess.CompletedProcess[str]:
        if stale_package:
            out.mkdir()
            (out / "KT010.dat").write_bytes(b"an earlier package")
        return run_cli("run", "--input", str(extract), "--round", round_id, "--as-of",
                       "2017-11-10", "--expected-households", str(expected_households),
                       "--out", str(out))

    return shared_round(tmp_path_factory, round_id, make)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The shared rounds' schemas go when the whole session ends: in pytest-xdist's
    controller, after every worker has finished with them (or in the only process)."""
    if hasattr(session.config, "workerinput"):
        return
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None:
        return
    records = sorted(factory.getbasetemp().glob("shared-round-*.json"))
    for record in records:
        drop_round_schemas(json.loads(record.read_text(encoding="utf-8"))["round"])


@pytest.fixture(scope="session")
def small_run(server: str, small_extract: Path,
              tmp_path_factory: pytest.TempPathFactory) -> SharedRound:
    """The small extract (2,000 households) run end to end as round PYRND1, once per
    session: test_round.py reads its package, test_rules.py and test_privacy.py its schemas."""
    done = shared_run(tmp_path_factory, "PYRND1", small_extract, 2000)
    assert done.result.returncode == 0, done.result.stdout[-4000:] + done.result.stderr
    return done


@pytest.fixture()
def built_small_round(small_run: SharedRound) -> Iterator[str]:
    """The small extract loaded and built (round PYRND1, 2,000 households), for a test
    that reads it."""
    with small_run.in_use():
        yield small_run.round_id


@pytest.fixture(scope="session")
def report_extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """150 households, seed 3 (the extract of the validation report's rounds)."""
    return shared_extract(tmp_path_factory, "report", households=150, seed=3)


@pytest.fixture(scope="session")
def passed_round(server: str, report_extract: Path,
                 tmp_path_factory: pytest.TempPathFactory) -> SharedRound:
    """Round PYGOK1 (a test round): the 150 households run with the right count."""
    done = shared_run(tmp_path_factory, "PYGOK1", report_extract, 150)
    assert done.result.returncode == 0, done.result.stdout[-3000:] + done.result.stderr
    return done


@pytest.fixture(scope="session")
def failed_round(server: str, report_extract: Path,
                 tmp_path_factory: pytest.TempPathFactory) -> SharedRound:
    """Round PYGFL1: the same 150 households with --expected-households 151, into a folder
    holding an earlier package: validation fails on the count, nothing is exported."""
    done = shared_run(tmp_path_factory, "PYGFL1", report_extract, 151, stale_package=True)
    assert done.result.returncode == 1, done.result.stdout[-3000:] + done.result.stderr
    return done


@pytest.fixture(scope="session")
def unknown_code_round(server: str, tmp_path_factory: pytest.TempPathFactory) -> SharedRound:
    """Round PYCOD1: 150 households (seed 3) with a payment of an unmapped 納付区分 code,
    run once per session: the build stops on it (test_round.py reads the run's refusal,
    test_rules.py what the build said and left unbuilt)."""
    def make(out: Path) -> subprocess.CompletedProcess[str]:
        extract = make_extract(out.parent / "extract", households=150, seed=3,
                               faults=frozenset({"unknown-code"}))
        return run_cli("run", "--input", str(extract), "--round", "PYCOD1", "--as-of",
                       "2017-11-10", "--expected-households", "150", "--out", str(out))

    return shared_round(tmp_path_factory, "PYCOD1", make)


@pytest.fixture(scope="session")
def unbalanced_round(server: str, tmp_path_factory: pytest.TempPathFactory) -> SharedRound:
    """Round PYACCT: 150 households (seed 5) loaded, a SHUNO row lost between the load and
    the build (deleted from the raw table), then ``migrate.py build``: the accounting does
    not balance, once per session (test_rules.py and test_round.py read it)."""
    def make(out: Path) -> subprocess.CompletedProcess[str]:
        extract = make_extract(out.parent / "extract", households=150, seed=5)
        loaded = run_cli("load", "--input", str(extract), "--round", "PYACCT")
        assert loaded.returncode == 0, loaded.stdout[-3000:] + loaded.stderr
        with db.connect() as connection, connection.cursor() as cursor:
            cursor.execute("delete from pyacct_raw.shuno where _source_line = "
                           "(select min(_source_line) from pyacct_raw.shuno)")
        return run_cli("build", "--round", "PYACCT", "--as-of", "2017-11-10",
                       "--expected-households", "150")

    return shared_round(tmp_path_factory, "PYACCT", make)
