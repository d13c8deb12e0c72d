"""The fault suite: every bad input, operator mistake and crash gets one clear line.

Each case runs the CLI as a user would, against real PostgreSQL, on a small extract whose
names, addresses, phones and negotiation texts are planted (known values), and asserts:
the exit code; exactly one ``REFUSED:`` (or ``ERROR:``) line saying what, where and what
to do; no traceback or usage dump; no package, ``.part`` file or staging folder in or
beside ``--out``; no planted personal value in anything printed; an intact audit chain
whose last record is this outcome. Load faults also leave the round's loaded data as it
was. The last tests kill whole rounds (kill -9) and stop the server, then show that the
next good run works and writes byte-identical files.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nhi_migration import audit, db, paths, pgcluster, seeds
from nhi_migration import cli as migrate

from conftest import (
    SCRIPTS,
    VENDOR,
    checkout_in_use,
    drop_round_schemas,
    make_extract,
    rewrite_csv,
    run_cli,
)
from test_round import PLANTED_FORMS, plant_personal_data

AS_OF = "2017-11-10"
HOUSEHOLDS = 150
ROUND = "PYFLT1"  # the round every load fault is tried on (and the baseline package)
OTHER = "PYFLT2"
ALIAS_WITH_NUL = "通称\x00名"


# --- the extract, the baseline package, and the checks every case makes -----------------
def rewrite(extract: Path, name: str, edit: Callable[[list[list[str]]], None]) -> None:
    rewrite_csv(extract / name, edit)


def planted_extract(folder: Path, faults: frozenset[str] = frozenset()) -> Path:
    """150 households with planted personal data, and a NUL inside some 通称名."""
    extract = make_extract(folder, households=HOUSEHOLDS, seed=3, faults=faults)
    plant_personal_data(extract)

    def nul_aliases(rows: list[list[str]]) -> None:
        column = rows[0].index("TSUSHO_MEI")
        for row in rows[1:40]:
            row[column] = ALIAS_WITH_NUL

    rewrite(extract, "KOJIN.csv", nul_aliases)
    return extract


def package_hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def run_round(extract: Path, round_id: str, out: Path, households: int = HOUSEHOLDS,
              *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("run", "--input", str(extract), "--round", round_id, "--as-of", AS_OF,
                   "--expected-households", str(households), "--out", str(out), *extra)


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return planted_extract(tmp_path_factory.mktemp("faults") / "extract")


@pytest.fixture(scope="module")
def planted(extract: Path, tmp_path_factory: pytest.TempPathFactory
            ) -> Callable[[Path, frozenset[str]], Path]:
    """planted_extract(folder, faults), each set of faults generated once for the module
    and copied (the generator is deterministic; each test damages its own copy)."""
    made = {frozenset(): extract}

    def copy(folder: Path, faults: frozenset[str] = frozenset()) -> Path:
        if faults not in made:
            made[faults] = planted_extract(tmp_path_factory.mktemp("planted") / "extract",
                                           faults)
        shutil.copytree(made[faults], folder)
        return folder

    return copy


@pytest.fixture(scope="module")
def baseline_package(server: str, extract: Path, tmp_path_factory: pytest.TempPathFactory
                     ) -> Iterator[Path]:
    """The good round's package, written once before any fault is tried."""
    out = tmp_path_factory.mktemp("baseline") / ROUND
    result = run_round(extract, ROUND, out)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    yield out
    for round_id in (ROUND, OTHER):
        drop_round_schemas(round_id)
        shutil.rmtree(paths.round_work_dir(round_id), ignore_errors=True)


@pytest.fixture(scope="module")
def baseline(baseline_package: Path) -> dict[str, str]:
    """The SHA-256s of the good round's package, which every later good run must repeat."""
    return package_hashes(baseline_package)


def loaded_state() -> list[tuple]:
    """What the round's raw schema holds now (the loader's log of files and hashes)."""
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f"select * from {db.schema_name(ROUND, 'raw')}.load_log order by 1")
        return cursor.fetchall()


def assert_one_line(result: subprocess.CompletedProcess[str], *needles: str, code: int = 1,
                    out: Path | None = None) -> str:
    """The promises of README for every outcome but success; returns the line."""
    printed = result.stdout + result.stderr
    assert result.returncode == code, printed[-3000:]
    prefix = "REFUSED: " if code == 1 else "ERROR: "
    flagged = [line for line in result.stderr.splitlines() if line.startswith(prefix)]
    assert len(flagged) == 1, result.stderr
    other = [line for line in result.stderr.splitlines() if line.strip() and line not in flagged]
    assert other == [], f"more than one line on stderr: {other}"
    assert "Traceback" not in printed and "usage:" not in printed
    line = flagged[0]
    for needle in needles:
        assert needle in line, f"{needle!r} not in: {line}"
    assert [form for form in PLANTED_FORMS if form in printed] == []
    if out is not None:
        if out.is_dir():
            assert not list(out.glob("*.dat")) and not list(out.glob("*.part")), list(out.iterdir())
        assert not list(out.parent.glob(f".{out.name}.incomplete")) if out.parent.is_dir() else True
    count, problems = audit.verify()
    assert problems == [] and count > 0
    last = json.loads(audit.log_path().read_text(encoding="utf-8").splitlines()[-1])
    assert last["outcome"] == "refused" and last["reason"] == line[len(prefix):][:500]
    return line


# --- every damage the loader checks: refused at load, the loaded round unchanged --------
def _drop_header_column(rows: list[list[str]]) -> None:
    del rows[0][rows[0].index("TEL_NO")]


def _swap_header(rows: list[list[str]]) -> None:
    rows[0][2], rows[0][3] = rows[0][3], rows[0][2]


def _no_header(rows: list[list[str]]) -> None:
    del rows[0]


def _control_amount(rows: list[list[str]]) -> None:
    row = next(r for r in rows if r and r[0] == "CHOTEI")
    row[2] = str(int(row[2]) + 1)


def _control_without(table: str) -> Callable[[list[list[str]]], None]:
    def edit(rows: list[list[str]]) -> None:
        rows[:] = [r for r in rows if not r or r[0] != table]
    return edit


def _control_unknown(rows: list[list[str]]) -> None:
    rows.append(["KAZOKU", "0", ""])


def _raw(name: str, change: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def edit(extract: Path) -> None:
        path = extract / name
        path.write_bytes(change(path.read_bytes()))
    return edit


def _csv(name: str, change: Callable[[list[list[str]]], None]) -> Callable[[Path], None]:
    return lambda extract: rewrite(extract, name, change)


def _bad_bytes_on_line_5(data: bytes) -> bytes:
    lines = data.split(b"\r\n")
    lines[4] += b"\x85\x20"  # a CP932 lead byte without its trail byte
    return b"\r\n".join(lines)


def _replace_with_folder(extract: Path) -> None:
    (extract / "SHUNO.csv").unlink()
    (extract / "SHUNO.csv").mkdir()


def _unreadable(extract: Path) -> None:
    # Reading /proc/self/mem from its start fails with EIO: a real I/O error, as a
    # failing medium gives, that even root gets.
    (extract / "KOSHO_KEIKA.csv").unlink()
    (extract / "KOSHO_KEIKA.csv").symlink_to("/proc/self/mem")


def _missing(name: str) -> Callable[[Path], None]:
    return lambda extract: (extract / name).unlink()


def _unterminated(extract: Path) -> None:
    with (extract / "TANTOSHA.csv").open("ab") as handle:
        handle.write(b'9999,"open quote,0\r\n')


def _header_only(extract: Path) -> None:
    path = extract / "SASHIOSAE.csv"
    path.write_bytes(path.read_bytes().split(b"\r\n")[0] + b"\r\n")


DAMAGES: dict[str, tuple[frozenset[str], Callable[[Path], None] | None, tuple[str, ...]]] = {
    "header-missing-column": (frozenset(), _csv("SETAI.csv", _drop_header_column),
                              ("SETAI.csv line 1", "missing TEL_NO", "take the extract again")),
    "header-out-of-order": (frozenset(), _csv("KOJIN.csv", _swap_header),
                            ("KOJIN.csv line 1", "out of order", "take the extract again")),
    "header-absent": (frozenset(), _csv("SETAI.csv", _no_header),
                      ("SETAI.csv line 1", "header", "not column names")),
    "field-count": (frozenset({"unparsable-line"}), None,
                    ("SASHIOSAE.csv line", "fields, the header 9", "take the extract again")),
    "quoting": (frozenset(), _unterminated, ("TANTOSHA.csv line", "does not parse as CSV")),
    "encoding": (frozenset(), _raw("KOJIN.csv", _bad_bytes_on_line_5),
                 ("KOJIN.csv line 5", "byte 0x85", "does not decode as CP932",
                  "take the extract again")),
    "bom": (frozenset(), _raw("SETAI.csv", lambda b: b"\xef\xbb\xbf" + b),
            ("SETAI.csv line 1", "byte-order mark", "take the extract again")),
    "lf-line-ends": (frozenset(), _raw("CODE_MST.csv", lambda b: b.replace(b"\r\n", b"\n")),
                     ("CODE_MST.csv line", "ends in LF, not CRLF")),
    "control-count": (frozenset({"control-mismatch"}), None,
                      ("KOSHO_KEIKA.csv", "_CONTROL.csv line", "take the extract again")),
    "control-amount": (frozenset(), _csv("_CONTROL.csv", _control_amount),
                       ("CHOTEI.csv", "amounts add up to", "_CONTROL.csv line",
                        "take the extract again")),
    "control-row-missing": (frozenset(), _csv("_CONTROL.csv", _control_without("SHOBUN")),
                            ("_CONTROL.csv", "no row for SHOBUN")),
    "control-unknown-table": (frozenset(), _csv("_CONTROL.csv", _control_unknown),
                              ("_CONTROL.csv line", "unknown table name")),
    "duplicate-key": (frozenset({"duplicate-key"}), None,
                      ("CHOTEI.csv line", "duplicate primary key", "first on line")),
    "duplicate-period": (frozenset({"duplicate-period"}), None,
                         ("CHOTEI.csv line", "a second live row", "first on line")),
    "truncated": (frozenset({"truncated-file"}), None, ("SHUNO.csv",)),
    "empty-file": (frozenset(), _header_only,
                   ("SASHIOSAE.csv", "holds 0 records", "_CONTROL.csv line")),
    "zero-byte-file": (frozenset(), _raw("BUNNO_SEIYAKU.csv", lambda b: b""),
                       ("BUNNO_SEIYAKU.csv line 1", "empty (no header)")),
    "missing-file": (frozenset(), _missing("SHOBUN.csv"),
                     ("SHOBUN.csv", "missing from the extract", "must be present")),
    "missing-control": (frozenset(), _missing("_CONTROL.csv"),
                        ("_CONTROL.csv", "missing from the extract")),
    "unreadable-file": (frozenset(), _unreadable,
                        ("KOSHO_KEIKA.csv", "cannot be read (EIO", "unreadable",
                         "copy the extract again")),
    "file-is-a-folder": (frozenset(), _replace_with_folder,
                         ("SHUNO.csv", "is a folder, not a file", "unreadable")),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_extract_is_refused_and_the_loaded_round_is_unchanged(
        damage: str, baseline: dict[str, str], planted: Callable[[Path, frozenset[str]], Path],
        tmp_path: Path) -> None:
    faults, edit, needles = DAMAGES[damage]
    damaged = planted(tmp_path / "extract", faults)
    if edit is not None:
        edit(damaged)
    before = loaded_state()
    line = assert_one_line(run_cli("load", "--input", str(damaged), "--round", ROUND),
                           "load refused, the database is unchanged", *needles)
    assert str(tmp_path) not in line  # files are named, not the machine's folders
    assert loaded_state() == before


def test_an_extract_folder_that_does_not_exist(baseline: dict[str, str], tmp_path: Path) -> None:
    before = loaded_state()
    assert_one_line(run_cli("load", "--input", str(tmp_path / "nowhere"), "--round", ROUND),
                    "no such extract directory", "Give --input the folder")
    assert loaded_state() == before


# --- the operator's mistakes on the command line -----------------------------------------
@pytest.mark.parametrize("bad_round", ["../../", "TE/T01", "TE\\T01", "TEST.1", "TEST 1",
                                       "TST01", "TEST01X", "テスト01"])
def test_a_round_that_could_leave_its_folders_is_refused(bad_round: str, server: str,
                                                         tmp_path: Path) -> None:
    def rounds_folder() -> set[str]:
        return {p.name for p in paths.ROUNDS_DIR.iterdir()} if paths.ROUNDS_DIR.is_dir() \
            else set()

    rounds_before = rounds_folder()
    for command in (["load", "--input", str(tmp_path)],
                    ["erase", "--force"]):
        result = run_cli(*command, "--round", bad_round,
                         operator="V900" if command[0] == "erase" else VENDOR)
        assert_one_line(result, "--round", "exactly 6 characters", "letter", "'_' or '-'")
    # Nothing new but the rounds another pytest-xdist worker may have begun meanwhile,
    # each a well-formed round name (the bad one is none).
    assert [name for name in rounds_folder() - rounds_before
            if not paths.ROUND_PATTERN.fullmatch(name)] == []
    assert not (paths.LOCAL_DIR.parent / "state.json").exists()
    assert not (paths.LOCAL_DIR / "state.json").exists()


def test_every_path_and_schema_of_a_round_stays_inside_its_own_folders() -> None:
    for bad in ("../../", "..", "a/b", "TEST.1", "", "TEST01/"):
        with pytest.raises(paths.BadRound):
            paths.round_work_dir(bad)
        with pytest.raises(paths.BadRound):
            db.schema_name(bad, "raw")
    assert paths.round_work_dir("TEST_1").parent == paths.ROUNDS_DIR
    # '_' is a LIKE wildcard: TEST_1's pattern must not match TESTA1's schemas
    pattern = db.round_schema_pattern("TEST_1")
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute("select 'testa1_raw' like %s, 'test_1_raw' like %s, "
                       "'test_1_raw__loading' like %s", (pattern, pattern, pattern))
        assert cursor.fetchone() == (False, True, True)


@pytest.mark.parametrize(("arguments", "needles"), [
    (["--as-of", "2099-01-05"], ("--as-of", "2099-01-05 is after today")),
    (["--as-of", "2017-02-30"], ("--as-of", "real date written YYYY-MM-DD")),
    (["--as-of", "10/11/2017"], ("--as-of", "real date written YYYY-MM-DD")),
    (["--expected-households", "0"], ("--expected-households", "positive whole number")),
    (["--inptu", "x"], ("unrecognized arguments: --inptu", "did you mean --input?",
                        "migrate.py run --help")),
])
def test_a_bad_argument_is_one_audited_line(arguments: list[str], needles: tuple[str, ...],
                                            server: str, tmp_path: Path) -> None:
    given = {"--input": str(tmp_path), "--round": OTHER, "--as-of": AS_OF,
             "--expected-households": "1", "--out": str(tmp_path / "out")}
    if arguments[0] in given:
        given[arguments[0]] = arguments[1]
        arguments = []
    words = [w for pair in given.items() for w in pair] + arguments
    result = run_cli("run", *words)
    assert_one_line(result, *needles, out=tmp_path / "out")
    assert "[load]" not in result.stdout


def test_a_mistyped_command_or_missing_option_is_one_line(server: str) -> None:
    assert_one_line(run_cli("rnu"), "invalid choice: 'rnu'", "did you mean run?")
    assert_one_line(run_cli("run", "--round", OTHER),
                    "the following arguments are required", "--input", "migrate.py run --help")
    result = run_cli("load", "--input", "x", "--round", OTHER, "--as-of", AS_OF)
    assert_one_line(result, "migrate.py load: unrecognized arguments: --as-of")


def test_an_output_folder_that_cannot_be_written_is_refused_before_the_round(
        server: str, extract: Path, tmp_path: Path) -> None:
    a_file = tmp_path / "package.txt"
    a_file.write_text("not a folder", encoding="utf-8")
    for out, needle in ((a_file, "is a file, not a folder"),
                        (a_file / "TEST01", "is a file, so no folder can be made below it")):
        started = time.perf_counter()
        result = run_round(extract, OTHER, out)
        assert_one_line(result, f"--out {out}", needle, "give a folder")
        assert "[load]" not in result.stdout and time.perf_counter() - started < 30
    assert a_file.read_text(encoding="utf-8") == "not a folder"


def test_a_read_only_output_folder_is_refused_before_the_round(server: str, extract: Path,
                                                               tmp_path: Path) -> None:
    mount = tmp_path / "read-only"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(mount)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a read-only file system here (needs root and mount "
                    "rights); the check is the same statvfs flag and a probe folder")
    try:
        result = run_round(extract, OTHER, mount / "out")
        assert_one_line(result, "the tool cannot write in", "read-only file system",
                        "give a folder you can write to")
        assert "[load]" not in result.stdout
    finally:
        subprocess.run(["umount", str(mount)], check=False)


@pytest.mark.parametrize(("document", "needle"), [
    ("- V001\n- V002\n", "must be a mapping with `roles:` and `handlers:`"),
    ("roles: {vendor_handler: {commands: [load]}}\nhandlers: [V001]\n",
     "handler entry 1 must be `{id: …, role: …}`"),
    ("roles: [vendor_handler]\nhandlers: []\n", "`roles:` must map role names"),
    ("roles: {vendor_handler: {commands: [load]}}\nhandlers:\n  - {id: V001, role: boss}\n",
     "names role boss, which `roles:` does not define"),
    ("roles: {vendor_handler: {commands: [load\n", "it is not YAML at line"),
])
def test_a_handlers_file_of_the_wrong_shape_is_one_line(document: str, needle: str,
                                                        server: str, tmp_path: Path) -> None:
    handlers_file = tmp_path / "handlers.yml"
    handlers_file.write_text(document, encoding="utf-8")
    result = run_cli("--handlers", str(handlers_file), "load", "--input", str(tmp_path),
                     "--round", OTHER, "--operator", VENDOR)
    assert_one_line(result, "handlers.yml is not a valid handlers file", needle,
                    "see handlers.example.yml")


@pytest.fixture()
def gaiji_map() -> Iterator[Path]:
    """The project's gaiji map, restored after the test has edited it as staff would."""
    with checkout_in_use(exclusive=True):  # no other worker's round reads the edit
        original = seeds.GAIJI_MAP.read_bytes()
        try:
            yield seeds.GAIJI_MAP
        finally:
            seeds.GAIJI_MAP.write_bytes(original)


@pytest.fixture(scope="class")
def checkout_to_themselves(baseline: dict[str, str]) -> Iterator[None]:
    """The checkout held exclusively while a class's tests run (the baseline made first)."""
    with checkout_in_use(exclusive=True):
        yield


@pytest.mark.usefixtures("checkout_to_themselves")
class TestGaijiMapEdits:
    """The five edits hold the checkout to themselves once, for all of them (the other
    worker's command in progress is waited for once, not five times)."""

    @pytest.mark.parametrize(("edit", "needles"), [
        (lambda lines: lines.insert(6, "F044,U+E004,壽,二つ目の行"),
         ("F044 is listed twice", "line 7", "first on line 6", "Keep one of lines 6 and 7")),
        (lambda lines: lines.__setitem__(3, lines[3].replace(",邊,", ",ｱ,")),
         ("line 4", "F042 is half-width", "one full-width CP932 character", "Correct line 4")),
        (lambda lines: lines.__setitem__(3, lines[3].replace(",邊,", ",A,")),
         ("line 4", "F042 is half-width",)),
        (lambda lines: lines.__setitem__(3, lines[3].replace(",邊,", ",\U0001F600,")),
         ("line 4", "F042 (U+1F600) is not a CP932 character")),
        (lambda lines: lines.__setitem__(5, lines[5].replace(",", ";", 1)),
         ("line 6", "the line has 3 fields, not 4")),
    ])
    def test_a_gaiji_map_edit_by_staff_is_named_before_anything_is_built(
            self, edit: Callable[[list[str]], None], needles: tuple[str, ...], gaiji_map: Path,
            baseline: dict[str, str], extract: Path, tmp_path: Path) -> None:
        lines = gaiji_map.read_text(encoding="utf-8").split("\n")
        edit(lines)
        gaiji_map.write_text("\n".join(lines), encoding="utf-8")
        before = loaded_state()
        result = run_round(extract, ROUND, tmp_path / "out")
        assert_one_line(result, "the gaiji map is wrong, nothing was built",
                        "seeds/gaiji_map.csv", *needles, out=tmp_path / "out")
        assert "[load]" not in result.stdout and "[build]" not in result.stdout
        assert loaded_state() == before
        result = run_cli("build", "--round", ROUND, "--as-of", AS_OF, "--expected-households",
                         str(HOUSEHOLDS))
        assert_one_line(result, "the gaiji map is wrong", *needles[:1])
        assert "[build]" not in result.stdout


# --- refusals of a built round ------------------------------------------------------------
def test_a_wrong_household_count_gives_both_figures_and_the_next_step(
        baseline: dict[str, str]) -> None:
    result = run_cli("validate", "--round", ROUND, "--as-of", AS_OF,
                     "--expected-households", str(HOUSEHOLDS + 1))
    assert_one_line(result, f"KT010 holds {HOUSEHOLDS} households but --expected-households "
                    f"is {HOUSEHOLDS + 1}", "Check the ward's figure",
                    f"migrate.py verify-pack --round {ROUND}", "EXCEPTIONS.csv")


@pytest.mark.slow  # builds a round
def test_a_value_too_large_or_negative_for_9n_names_the_legacy_rows(
        server: str, planted: Callable[[Path, frozenset[str]], Path], tmp_path: Path) -> None:
    round_id = "PYOVR1"
    damaged = planted(tmp_path / "extract", frozenset({"negative-amount"}))
    chotei = list(csv.reader(io.StringIO((damaged / "CHOTEI.csv").read_bytes()
                                         .decode("cp932"), newline="")))
    header = chotei[0]
    target = next(n for n, row in enumerate(chotei[1:], start=2)
                  if row[header.index("SAKUJO_FLG")] == "0")
    row = chotei[target - 1]

    def overflow(rows: list[list[str]]) -> None:  # 医療分 only: CHOTEI_GAKU (the control
        rows[target - 1][header.index("IRYO_GAKU")] = "1000000000"  # total) unchanged

    rewrite(damaged, "CHOTEI.csv", overflow)
    out = tmp_path / "out"
    try:
        result = run_round(damaged, round_id, out)
        line = assert_one_line(result, "KT030.medical_amount（医療分）9(9) is negative or too large",
                               f"CHOTEI.csv line {target} (CHOTEI_ID {row[0]})",
                               "KT030.paid_amount（収納済額）9(9)", "SHUNO.csv line",
                               "ward staff correct those rows", out=out)
        listing = paths.round_work_dir(round_id) / "out-of-range-rows.csv"
        assert str(listing) in line
        rows = list(csv.reader(io.StringIO(listing.read_text(encoding="utf-8"), newline="")))
        assert ["KT030", "medical_amount", "医療分", "9(9)", "CHOTEI", "CHOTEI_ID", row[0],
                str(target)] in rows
        assert [form for form in PLANTED_FORMS if form in listing.read_text(encoding="utf-8")] == []
    finally:
        drop_round_schemas(round_id)
        shutil.rmtree(paths.round_work_dir(round_id), ignore_errors=True)


def test_a_nul_in_a_text_field_becomes_a_full_width_space(baseline_package: Path) -> None:
    """legacy-extract.md: NUL decodes as CP932; §2 N step (2) makes it U+3000 (KT020 通称名)."""
    data = (baseline_package / "KT020.dat").read_bytes()
    assert "通称　名".encode("cp932") in data
    assert b"\x00" not in data and b"\x1a" not in data


def _read_a_folder(folder: Path) -> str:
    return folder.read_text(encoding="utf-8")  # IsADirectoryError, raised inside pathlib


def test_an_unforeseen_error_names_the_tools_own_frame_not_a_library_line(
        tmp_path: Path) -> None:
    with pytest.raises(OSError) as caught:
        _read_a_folder(tmp_path)
    line = migrate.unexpected_error(caught.value)
    assert "pathlib.py" not in line and "test_faults.py:" in line
    with pytest.raises(OSError) as caught:
        shutil.rmtree(tmp_path / "none")
    line = migrate.unexpected_error(caught.value)
    assert "shutil.py" not in line and "test_faults.py:" in line


# --- the audit trail: tampering is named ---------------------------------------------------
@pytest.mark.parametrize("tampering", ["edited", "removed", "reordered"])
def test_a_tampered_audit_record_is_named(tampering: str, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    for seq in range(1, 5):
        audit.append({"command": "load", "operator": VENDOR, "round": ROUND,
                      "outcome": "ok", "counts": {"n": seq}}, log)
    lines = log.read_text(encoding="utf-8").splitlines()
    if tampering == "edited":
        lines[1] = lines[1].replace('"n":2', '"n":3')
        expected = "line 2: record seq 2 was edited"
    elif tampering == "removed":
        del lines[2]
        expected = "record(s) 3 removed"
    else:
        lines[1], lines[2] = lines[2], lines[1]
        expected = "reordered"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("audit", "verify", env={**os.environ, "NHI_AUDIT_LOG": str(log)})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    refusal = [line for line in result.stderr.splitlines() if line.startswith("REFUSED: ")]
    assert len(refusal) == 1 and "fails verification" in refusal[0]
    assert expected in result.stdout + refusal[0]


# --- crashes: kill -9, the server stopping, two rounds at once ------------------------------
class Running:
    """The CLI in its own process group (as a terminal runs it); its output is drained
    by a thread, so that a full pipe never stops it."""

    def __init__(self, *arguments: str, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(SCRIPTS / "migrate.py"), *arguments, "--operator", VENDOR],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True, env=env)
        self._in_use = checkout_in_use()  # shared, as run_cli holds it, while it runs
        self._in_use.__enter__()
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_for(self, marker: str, limit: float = 180) -> None:
        deadline = time.monotonic() + limit
        while not any(marker in line for line in self.lines):
            assert self.process.poll() is None or self._reader.is_alive(), \
                f"the command ended before {marker!r}: {''.join(self.lines)[-2000:]}"
            assert time.monotonic() < deadline, f"no {marker!r} within {limit} s"
            time.sleep(0.01)

    def kill_group(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)
        self._reader.join(timeout=60)
        self._in_use.__exit__(None, None, None)

    def finish(self, limit: float = 600) -> str:
        self.process.wait(timeout=limit)
        self._reader.join(timeout=60)
        self._in_use.__exit__(None, None, None)
        return "".join(self.lines)


def test_kill_9_then_the_next_run_beside_a_second_round_is_byte_identical(
        baseline: dict[str, str], extract: Path, tmp_path: Path) -> None:
    """Killed thrice, then the next run of the round beside a second round at once on the
    same cluster, while the round itself is refused a second command (one whole run for
    both promises: the kills leave nothing, and two rounds at once keep apart)."""
    out = tmp_path / ROUND
    staging = out.parent / f".{out.name}.incomplete"
    words = ["run", "--input", str(extract), "--round", ROUND, "--as-of", AS_OF,
             "--expected-households", str(HOUSEHOLDS), "--out", str(out)]

    running = Running(*words)
    running.wait_for("[load]")
    running.kill_group()
    assert not out.exists()

    running = Running(*words)
    running.wait_for("[build]")
    running.wait_for(" OK created ")  # dbt is creating models
    running.kill_group()
    assert not out.exists()
    assert not (paths.round_work_dir(ROUND) / "validation.json").exists()

    running = Running(*words)
    while running.process.poll() is None and not staging.exists():
        time.sleep(0.001)
    os.killpg(running.process.pid, signal.SIGSTOP)  # caught mid-export: half written
    assert staging.is_dir() and not out.exists(), "".join(running.lines)[-2000:]
    running.kill_group()
    assert not out.exists()  # a killed export leaves no package that looks whole

    # two rounds at once on one cluster, and one round twice is refused
    second = tmp_path / OTHER
    words = ["--input", str(extract), "--as-of", AS_OF, "--expected-households",
             str(HOUSEHOLDS)]
    one = Running("run", *words, "--round", ROUND, "--out", str(out))
    two = Running("run", *words, "--round", OTHER, "--out", str(second))
    one.wait_for("[build]")
    busy = run_cli("load", "--input", str(extract), "--round", ROUND)
    outputs = [running.finish() for running in (one, two)]
    assert one.process.returncode == 0 and two.process.returncode == 0, \
        outputs[0][-2000:] + outputs[1][-2000:]
    assert busy.returncode == 1 and "round PYFLT1 is in use by another command" in busy.stderr
    assert not staging.exists()
    assert package_hashes(out) == baseline
    assert package_hashes(second).keys() == baseline.keys()
    assert audit.verify()[1] == []


@pytest.mark.slow  # loads and builds a round twice, on a cluster of its own
def test_the_server_stopping_mid_build_says_so_and_a_rerun_is_safe(
        extract: Path, tmp_path: Path) -> None:
    if pgcluster.external_server_configured():
        pytest.skip("a server of one's own is configured: the test does not stop it")
    # A cluster of its own (its own NHI_LOCAL_DIR): the suite's, which other tests use at
    # the same time, keeps running.
    env = {**os.environ, "NHI_LOCAL_DIR": str(tmp_path / "local")}
    for name in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE"):
        env.pop(name, None)
    try:
        loaded = run_cli("load", "--input", str(extract), "--round", ROUND, env=env)
        assert loaded.returncode == 0, loaded.stderr
        running = Running("build", "--round", ROUND, "--as-of", AS_OF,
                          "--expected-households", str(HOUSEHOLDS), env=env)
        running.wait_for(" OK created ")
        stopped = run_cli("db", "stop", env=env)
        assert stopped.returncode == 0, stopped.stderr
        output = running.finish()
        refusal = [line for line in output.splitlines() if line.startswith("REFUSED: ")]
        assert running.process.returncode == 1 and len(refusal) == 1, output[-3000:]
        assert "the database server stopped or cannot be reached" in refusal[0]
        assert "rerun the round: rerunning is safe" in refusal[0]
        assert "Traceback" not in output
        assert [form for form in PLANTED_FORMS if form in output] == []
        last = json.loads(audit.log_path().read_text(encoding="utf-8").splitlines()[-1])
        assert last["command"] == "build" and last["reason"] == refusal[0][len("REFUSED: "):]
        rerun = run_cli("build", "--round", ROUND, "--as-of", AS_OF,
                        "--expected-households", str(HOUSEHOLDS), env=env)
        assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr
    finally:
        run_cli("db", "destroy", "--operator", "V900", "--yes", env=env, operator=None)


def test_erasing_a_round_that_never_existed_is_refused_without_a_certificate(
        baseline: dict[str, str]) -> None:
    certificates = paths.LOCAL_DIR / "certificates"
    before = sorted(certificates.glob("erasure-PYNX05-*")) if certificates.is_dir() else []
    result = run_cli("erase", "--round", "PYNX05", "--force", operator="V900")
    assert_one_line(result, "round PYNX05 never existed here", ROUND, "check --round")
    after = sorted(certificates.glob("erasure-PYNX05-*")) if certificates.is_dir() else []
    assert after == before
