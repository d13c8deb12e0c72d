"""The loader refuses a damaged extract with file and line, and changes nothing then."""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from psycopg2 import sql

from nhi_migration import db, legacy, load
from nhi_migration.loading import plain, records
from nhi_migration.loading.errors import DAMAGED

from conftest import make_extract, rewrite_csv

ROUND = "PYLOAD"


def snapshot(round_id: str) -> dict[str, str]:
    """Every table of the round's schemas with an md5 of its ordered content."""
    result = {}
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute("select table_schema, table_name from information_schema.tables "
                       "where table_schema like %s order by 1, 2",
                       (db.round_schema_pattern(round_id),))
        for schema, table in cursor.fetchall():
            cursor.execute(sql.SQL("select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) "
                                   "from {}.{} as t").format(sql.Identifier(schema),
                                                              sql.Identifier(table)))
            result[f"{schema}.{table}"] = cursor.fetchone()[0]
    return result


@pytest.fixture(scope="module")
def loaded_round(server: str, small_extract: Path) -> str:
    load.load(small_extract, ROUND)
    return ROUND


@pytest.fixture(scope="module", autouse=True)
def cleanup(server: str):
    yield
    with db.connect() as connection, connection.cursor() as cursor:
        for suffix in ("raw", "raw__loading"):
            cursor.execute(sql.SQL("drop schema if exists {} cascade").format(
                sql.Identifier(f"{ROUND.lower()}_{suffix}")))


FAULT_CASES = [
    # fault, the file the message must name
    ("truncated-file", "SHUNO.csv"),
    ("bad-encoding", "KOJIN.csv"),
    ("missing-column", "SETAI.csv"),
    ("control-mismatch", "KOSHO_KEIKA.csv"),
    ("unparsable-line", "SASHIOSAE.csv"),
    ("duplicate-key", "CHOTEI.csv"),
    ("duplicate-period", "CHOTEI.csv"),
]


@pytest.mark.parametrize(("fault", "file_name"), FAULT_CASES)
def test_a_damaged_extract_is_refused_with_file_and_line_and_nothing_changes(
        loaded_round: str, tmp_path: Path, fault: str, file_name: str):
    broken = make_extract(tmp_path / fault, households=120, seed=2, faults=frozenset({fault}))
    before = snapshot(loaded_round)
    with pytest.raises(load.LoadError) as caught:
        load.load(broken, loaded_round)
    message = str(caught.value)
    assert message.startswith(file_name), message
    assert " line " in message, message
    assert "." in message.split(":", 1)[1], "the message says what to do"
    assert snapshot(loaded_round) == before


def test_a_nul_byte_is_text_carried_as_sub(loaded_round: str, small_extract: Path,
                                           tmp_path: Path):
    """legacy-extract.md: only bytes that do not decode as CP932 are damage; NUL decodes.
    PostgreSQL text cannot hold U+0000, so the loader carries it as U+001A (SUB)."""
    nul = tmp_path / "nul"
    shutil.copytree(small_extract, nul)
    rows: list[list[str]] = []

    def nul_in_naiyo(dumped: list[list[str]]) -> None:
        dumped[4][dumped[0].index("NAIYO")] = "電話\x00あり"
        rows.extend(dumped)

    rewrite_csv(nul / "KOSHO_KEIKA.csv", nul_in_naiyo)
    load.load(nul, loaded_round)
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f"select naiyo from {db.schema_name(loaded_round, 'raw')}.kosho_keika "
                       "where keika_id = %s", (rows[4][0],))
        assert cursor.fetchone() == ("電話\x1aあり",)
    load.load(small_extract, loaded_round)  # as the other tests expect it


def test_control_mismatch_names_the_control_line(loaded_round: str, tmp_path: Path):
    broken = make_extract(tmp_path / "cm", households=120, seed=2,
                          faults=frozenset({"control-mismatch"}))
    with pytest.raises(load.LoadError, match=r"KOSHO_KEIKA\.csv: .*_CONTROL\.csv line 6"):
        load.load(broken, loaded_round)


def test_missing_file_and_bad_header_and_lf_terminator_are_refused(loaded_round: str,
                                                                  small_extract: Path,
                                                                  tmp_path: Path):
    cases = {}
    missing = tmp_path / "missing"
    shutil.copytree(small_extract, missing)
    (missing / "SASHIOSAE.csv").unlink()
    cases["missing"] = (missing, "SASHIOSAE.csv: the file is missing")

    reordered = tmp_path / "reordered"
    shutil.copytree(small_extract, reordered)
    data = (reordered / "TANTOSHA.csv").read_bytes()
    (reordered / "TANTOSHA.csv").write_bytes(data.replace(b"TANTO_CD,TANTO_MEI", b"TANTO_MEI,TANTO_CD", 1))
    cases["reordered"] = (reordered, "TANTOSHA.csv line 1: the header differs")

    bare_lf = tmp_path / "bare_lf"
    shutil.copytree(small_extract, bare_lf)
    lines = (bare_lf / "CODE_MST.csv").read_bytes().split(b"\r\n")
    (bare_lf / "CODE_MST.csv").write_bytes(b"\r\n".join(lines[:3]) + b"\n" + b"\r\n".join(lines[3:]))
    cases["bare_lf"] = (bare_lf, "CODE_MST.csv line 3: the record ends in LF")

    unterminated = tmp_path / "unterminated"
    shutil.copytree(small_extract, unterminated)
    with (unterminated / "TANTOSHA.csv").open("ab") as handle:
        handle.write(b'\r\n9999,"open quote,0')
    cases["unterminated"] = (unterminated, "TANTOSHA.csv line")

    # A file without its header: its first record (here with a room number in KATAGAKI,
    # which looks like a column name) is read as the header and must not be quoted back.
    headerless = tmp_path / "headerless"
    shutil.copytree(small_extract, headerless)
    records = (headerless / "SETAI.csv").read_bytes().split(b"\r\n")[1:]
    first_record = records[0].decode("cp932").split(",")
    first_record[5] = "B203"
    records[0] = ",".join(first_record).encode("cp932")
    (headerless / "SETAI.csv").write_bytes(b"\r\n".join(records))
    cases["headerless"] = (headerless, "SETAI.csv line 1: the header differs")

    before = snapshot(loaded_round)
    for name, (folder, expected) in cases.items():
        with pytest.raises(load.LoadError) as caught:
            load.load(folder, loaded_round)
        assert str(caught.value).startswith(expected), (name, str(caught.value))
        if name == "headerless":  # the record taken for a header is not quoted back
            words = set(re.findall(r"[^\s,:;()]+", str(caught.value)))
            assert not [value for value in first_record if len(value) > 1 and value in words]
    assert snapshot(loaded_round) == before


def test_loading_the_same_round_again_replaces_it(loaded_round: str, tmp_path: Path):
    other = make_extract(tmp_path / "other", households=130, seed=99)
    report = load.load(other, loaded_round)
    with db.connect() as connection, connection.cursor() as cursor:
        for table in legacy.data_tables():
            cursor.execute(sql.SQL("select count(*) from {}.{}").format(
                sql.Identifier(report.schema), sql.Identifier(table.name)))
            (count,) = cursor.fetchone()
            assert count == next(f.records for f in report.files if f.table == table.table_name)
        cursor.execute("select count(*) from pg_namespace where nspname = %s",
                       (f"{loaded_round.lower()}_raw__loading",))
        assert cursor.fetchone() == (0,)
        cursor.execute(sql.SQL("select count(distinct _source_file), min(_source_line) "
                               "from {}.setai").format(sql.Identifier(report.schema)))
        assert cursor.fetchone() == (1, 2)  # provenance: the header is line 1


def test_text_arrives_exactly_as_dumped(loaded_round: str, small_extract: Path):
    """Quoted CRLF, commas, doubled quotes, gaiji and both IBM-extension encodings."""

    text = (small_extract / "KOSHO_KEIKA.csv").read_bytes().decode("cp932")
    expected = {row[0]: row[5] for row in list(csv.reader(io.StringIO(text, newline="")))[1:]
                if row}
    load.load(small_extract, loaded_round)
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(sql.SQL("select keika_id, naiyo from {}.kosho_keika").format(
            sql.Identifier(f"{loaded_round.lower()}_raw")))
        loaded = dict(cursor.fetchall())
    assert loaded == expected
    assert any("\r\n" in v for v in loaded.values())


# --- the plain path and its way back: the same refusal, line for line -----------------
SHUNO = next(t for t in legacy.data_tables() if t.name == "shuno")


def spy_on_the_plain_path(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The files whose plain path stopped, and why."""
    stopped: dict[str, str] = {}
    real = plain.copy_text

    def spying(path, table, digest, tally):
        try:
            yield from real(path, table, digest, tally)
        except plain.NotPlain as exc:
            stopped[table.file] = str(exc)
            raise

    monkeypatch.setattr(plain, "copy_text", spying)
    return stopped


def edited_shuno(small_extract: Path, folder: Path,
                 edit: Callable[[list[bytes]], None]) -> Path:
    """The small extract with SHUNO.csv's lines (1-based: lines[n - 1]) edited."""
    shutil.copytree(small_extract, folder)
    lines = (folder / "SHUNO.csv").read_bytes().split(b"\r\n")
    edit(lines)
    (folder / "SHUNO.csv").write_bytes(b"\r\n".join(lines))
    return folder


def _quote_a_comma(lines: list[bytes], n: int = 5) -> None:
    fields = lines[n - 1].split(b",")
    fields[7] = b'"' + fields[7] + b',1"'  # NOFU_CD, quoted around a comma: csv's work
    lines[n - 1] = b",".join(fields)


def _field_too_many(n: int) -> Callable[[list[bytes]], None]:
    return lambda lines: lines.__setitem__(n - 1, lines[n - 1] + b",0")


def _then(*edits: Callable[[list[bytes]], None]) -> Callable[[list[bytes]], None]:
    def edit(lines: list[bytes]) -> None:
        for one in edits:
            one(lines)
    return edit


FIELDS_TOO_MANY = f"SHUNO.csv line 9: the record has 10 fields, the header 9. {DAMAGED}"
FALLBACKS = {  # a file the plain path would otherwise take: the refusal of today, exactly
    "a quoted field, then a field too many": (_then(_quote_a_comma, _field_too_many(9)),
                                              FIELDS_TOO_MANY),
    "a blank line, then a field too many": (_then(lambda lines: lines.insert(4, b""),
                                                  _field_too_many(9)), FIELDS_TOO_MANY),
    "a field too many": (_field_too_many(9), FIELDS_TOO_MANY),
    "a field too few": (lambda lines: lines.__setitem__(6, lines[6].rsplit(b",", 1)[0]),
                        f"SHUNO.csv line 7: the record has 8 fields, the header 9. {DAMAGED}"),
    "a lone CR": (lambda lines: lines.__setitem__(5, lines[5].replace(b",", b"\r,", 1)),
                  "SHUNO.csv line 6: the record does not parse as CSV (new-line character "
                  "seen in unquoted field - do you need to open the file in universal-newline "
                  f"mode?). {DAMAGED}"),
}


@pytest.mark.parametrize("case", sorted(FALLBACKS))
def test_the_plain_path_falls_back_and_the_refusal_is_todays(
        loaded_round: str, small_extract: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, case: str):
    edit, expected = FALLBACKS[case]
    broken = edited_shuno(small_extract, tmp_path / "broken", edit)
    with pytest.raises(load.LoadError) as by_records:  # the record-by-record path alone
        list(records.read_records(broken / "SHUNO.csv", SHUNO.header))
    assert str(by_records.value) == expected
    stopped = spy_on_the_plain_path(monkeypatch)
    before = snapshot(loaded_round)
    with pytest.raises(load.LoadError) as caught:
        load.load(broken, loaded_round)
    assert (str(caught.value), caught.value.file, caught.value.line) == (
        expected, "SHUNO.csv", by_records.value.line)
    assert "SHUNO.csv" in stopped and "SETAI.csv" not in stopped  # SETAI went plain
    assert snapshot(loaded_round) == before


def test_what_only_csv_reads_loads_as_record_by_record(
        loaded_round: str, small_extract: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch):
    """A quote around a comma and a blank line send SHUNO.csv back to csv: its rows and
    lines are what the record-by-record path reads, and the other files went plain."""
    folder = edited_shuno(small_extract, tmp_path / "csv",
                          _then(_quote_a_comma, lambda lines: lines.insert(9, b"")))
    stopped = spy_on_the_plain_path(monkeypatch)
    load.load(folder, loaded_round)
    assert stopped.keys() == {"SHUNO.csv", "KOSHO_KEIKA.csv"}, stopped  # KOSHO: quoted CRLF
    expected = [(*record, "SHUNO.csv", line)
                for line, record in records.read_records(folder / "SHUNO.csv", SHUNO.header)]
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(sql.SQL("select * from {}.shuno order by _source_line").format(
            sql.Identifier(db.schema_name(loaded_round, "raw"))))
        assert cursor.fetchall() == expected
    assert expected[3][7].endswith(",1") and expected[9][-1] == 12  # the blank line 10
    load.load(small_extract, loaded_round)  # as the other tests expect it


def test_a_duplicate_key_in_a_two_column_key_is_named_with_its_lines(
        loaded_round: str, small_extract: Path, tmp_path: Path):
    """The unique index that finds a repeated key does not name it: the GROUP BY does."""
    folder = tmp_path / "dup"
    shutil.copytree(small_extract, folder)
    lines = (folder / "CODE_MST.csv").read_bytes().split(b"\r\n")
    lines[7] = lines[3]  # line 8 repeats line 4 (CODE_KIND, CODE)
    (folder / "CODE_MST.csv").write_bytes(b"\r\n".join(lines))
    kind, code = lines[3].decode("cp932").split(",")[:2]
    with pytest.raises(load.LoadError) as caught:
        load.load(folder, loaded_round)
    assert str(caught.value) == (f"CODE_MST.csv line 8: duplicate primary key CODE_KIND "
                                 f"{kind}, CODE {code} (first on line 4). {DAMAGED}")
