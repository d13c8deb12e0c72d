"""The loader refuses a damaged extract with file and line, and changes nothing then."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest
from psycopg2 import sql

from nhi_migration import db, legacy, load

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
