"""The loader's pure parts, in milliseconds: no database, no dbt.

Each test writes real CP932 bytes (text the dump would hold: kanji, NEC special
characters, an IBM extension, a gaiji of the user-defined area, a NUL) to a file of its
own and reads them back as the loader does: decode, records against the header,
_CONTROL.csv and its totals, and the text COPY receives.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from nhi_migration import legacy
from nhi_migration.loading import control, copy_in, decode, records
from nhi_migration.loading.errors import DAMAGED, LoadError

TANTOSHA = next(t for t in legacy.data_tables() if t.name == "tantosha")
CHOTEI = next(t for t in legacy.data_tables() if t.name == "chotei")
# 髙 is an IBM extension (FB FC), ① an NEC special character (87 40), U+E000 the first
# gaiji of the user-defined area (F0 40): all CP932, none of it JIS X 0208.
NAMES = ["髙橋　一郎", "①渡辺", "\ue000田"]


def write(tmp_path: Path, name: str, lines: list[str], end: str = "\r\n",
          prefix: bytes = b"") -> Path:
    path = tmp_path / name
    path.write_bytes(prefix + "".join(line + end for line in lines).encode("cp932"))
    return path


def tantosha_lines() -> list[str]:
    return [",".join(TANTOSHA.header),
            *(f"T{n:03d},{name},0" for n, name in enumerate(NAMES, start=1))]


def refusal(path: Path, header: tuple[str, ...]) -> LoadError:
    with pytest.raises(LoadError) as caught:
        list(records.read_records(path, header))
    return caught.value


def test_cp932_records_come_back_with_their_lines_and_the_files_sha256(tmp_path):
    path = write(tmp_path, "TANTOSHA.csv", tantosha_lines())
    digest = hashlib.sha256()
    got = list(records.read_records(path, TANTOSHA.header, digest))
    assert got == [(n + 1, [f"T{n:03d}", name, "0"]) for n, name in enumerate(NAMES, start=1)]
    assert digest.hexdigest() == hashlib.sha256(path.read_bytes()).hexdigest()


def test_blocks_and_lines_decode_alike(tmp_path, monkeypatch):
    """A block of whole CRLF lines is decoded at once; cut into 7-byte blocks, every line
    goes through the line-by-line path (and a multi-byte character is never split)."""
    lines = tantosha_lines() + ['T009,"二行に\r\nわたる名",0', "T010,末尾,0"]
    path = write(tmp_path, "TANTOSHA.csv", lines)
    whole = list(records.read_records(path, TANTOSHA.header))
    monkeypatch.setattr(decode, "BLOCK_BYTES", 7)
    assert list(records.read_records(path, TANTOSHA.header)) == whole
    assert whole[-2:] == [(5, ["T009", "二行に\r\nわたる名", "0"]), (7, ["T010", "末尾", "0"])]


def test_a_nul_byte_is_carried_as_sub_in_both_paths(tmp_path, monkeypatch):
    path = write(tmp_path, "TANTOSHA.csv", [",".join(TANTOSHA.header), "T001,山\x00田,0"])
    assert decode.whole_block(path.read_bytes(), decode.Tracked()) is not None
    for block in (decode.BLOCK_BYTES, 5):
        monkeypatch.setattr(decode, "BLOCK_BYTES", block)
        assert list(records.read_records(path, TANTOSHA.header)) == [
            (2, ["T001", "山\x1a田", "0"])]


def test_a_byte_that_does_not_decode_is_named_with_its_line(tmp_path):
    path = tmp_path / "TANTOSHA.csv"
    good = "".join(line + "\r\n" for line in tantosha_lines()).encode("cp932")
    path.write_bytes(good + "T004,".encode() + b"\x81\x20" + b",0\r\n")
    assert str(refusal(path, TANTOSHA.header)) == (
        "TANTOSHA.csv line 5: byte 0x81 at byte 6 of the line does not decode as CP932. "
        + DAMAGED)


def test_a_byte_windows_31j_does_not_define_is_not_cp932_text(tmp_path):
    path = tmp_path / "TANTOSHA.csv"
    path.write_bytes(",".join(TANTOSHA.header).encode() + b"\r\nT001,\xa0,0\r\n")
    assert str(refusal(path, TANTOSHA.header)) == (
        f"TANTOSHA.csv line 2: character U+F8F0 is not CP932 text. {DAMAGED}")


def test_a_utf8_byte_order_mark_is_refused_on_line_1(tmp_path):
    path = write(tmp_path, "TANTOSHA.csv", tantosha_lines(), prefix=b"\xef\xbb\xbf")
    error = refusal(path, TANTOSHA.header)
    assert (error.file, error.line) == ("TANTOSHA.csv", 1)
    assert "UTF-8 byte-order mark" in str(error)


def test_lf_line_ends_are_refused(tmp_path):
    error = refusal(write(tmp_path, "TANTOSHA.csv", tantosha_lines(), end="\n"),
                    TANTOSHA.header)
    assert str(error) == f"TANTOSHA.csv line 1: the record ends in LF, not CRLF. {DAMAGED}"


def test_a_record_with_a_field_too_many_or_a_broken_quote(tmp_path):
    lines = tantosha_lines()
    error = refusal(write(tmp_path, "TANTOSHA.csv", [*lines, "T009,名,0,余分"]),
                    TANTOSHA.header)
    assert str(error) == f"TANTOSHA.csv line 5: the record has 4 fields, the header 3. {DAMAGED}"
    error = refusal(write(tmp_path, "TANTOSHA.csv", [*lines, 'T009,"名"x,0']), TANTOSHA.header)
    assert (error.line, "does not parse as CSV" in str(error)) == (5, True)


def test_a_header_problem_names_only_the_specs_column_names(tmp_path):
    # a file without its header starts with a record: its values are never echoed
    error = refusal(write(tmp_path, "TANTOSHA.csv", tantosha_lines()[1:]), TANTOSHA.header)
    assert str(error) == (
        "TANTOSHA.csv line 1: the header differs from legacy-extract.md: expected 3 columns, "
        "found 3; missing TANTO_CD, TANTO_MEI, SAKUJO_FLG; 3 unexpected (not column names). "
        "The file must start with the header of legacy-extract.md §4. " + DAMAGED)
    assert "髙" not in str(error)
    assert records.header_problem(("A", "B"), ("B", "A")).endswith("the columns are out of order")
    assert records.header_problem(TANTOSHA.header, ("TANTO_CD", "SETAI_NO", "JUSHO_X")) == (
        "the header differs from legacy-extract.md: expected 3 columns, found 3; "
        "missing TANTO_MEI, SAKUJO_FLG; 2 unexpected: SETAI_NO")


def test_an_empty_missing_or_folder_file(tmp_path):
    (tmp_path / "TANTOSHA.csv").write_bytes(b"")
    assert str(refusal(tmp_path / "TANTOSHA.csv", TANTOSHA.header)) == (
        f"TANTOSHA.csv line 1: the file is empty (no header). {DAMAGED}")
    assert str(refusal(tmp_path / "KOJIN.csv", TANTOSHA.header)) == (
        "KOJIN.csv: the file is missing from the extract. "
        "Every file of legacy-extract.md §1 must be present.")
    (tmp_path / "SETAI.csv").mkdir()
    assert str(refusal(tmp_path / "SETAI.csv", TANTOSHA.header)).startswith(
        "SETAI.csv: is a folder, not a file. Every file of legacy-extract.md §1 must be a "
        "plain file: The medium")


def control_file(tmp_path: Path, rows: dict[str, str]) -> Path:
    lines = [",".join(legacy.control_table().header)]
    lines += [f"{t.table_name},{rows.get(t.table_name, '0,' if not t.amount_column else '0,0')}"
              for t in legacy.data_tables() if t.table_name in rows or not rows.get("_skip")]
    return write(tmp_path, "_CONTROL.csv", lines)


def test_control_rows_and_their_refusals(tmp_path):
    path = control_file(tmp_path, {"CHOTEI": "2,-1500", "TANTOSHA": "3,"})
    rows = control.read_control(tmp_path)
    assert list(rows) == [t.table_name for t in legacy.data_tables()]
    assert rows["CHOTEI"] == (4, 2, -1500) and rows["TANTOSHA"] == (10, 3, None)
    assert path.name == "_CONTROL.csv"

    def refused(rows: list[tuple[str, str, str]]) -> str:
        with pytest.raises(LoadError) as caught:
            control.control_rows((n, list(row)) for n, row in enumerate(rows, start=2))
        return str(caught.value)

    assert refused([("SETAI", "1", ""), ("SETAI", "1", "")]) == (
        f"_CONTROL.csv line 3: SETAI is listed twice. {DAMAGED}")
    assert refused([("JUSHO_MST", "1", "")]).startswith(
        "_CONTROL.csv line 2: unknown table name 'JUSHO_MST'")
    assert refused([("SETAI", "１", "")]) == (
        f"_CONTROL.csv line 2: RECORD_COUNT of SETAI is not a number. {DAMAGED}")
    assert refused([("CHOTEI", "1", "")]) == (
        f"_CONTROL.csv line 2: AMOUNT_TOTAL of CHOTEI is not an integer. {DAMAGED}")
    assert refused([("SETAI", "1", "0")]) == (
        f"_CONTROL.csv line 2: AMOUNT_TOTAL of SETAI must be empty. {DAMAGED}")
    assert refused([("SETAI", "1", "")]).startswith("_CONTROL.csv: no row for KOJIN, CHOTEI")


def test_the_tally_counts_amounts_as_dumped_and_checks_them_against_control():
    tally = control.Tally.of(CHOTEI)
    for amount in ("12000", "-500", "", "１２", "3000"):
        tally.add(["x"] * (CHOTEI.columns.index("chotei_gaku")) + [amount, "", "", "0"])
    assert (tally.records, tally.amount_total) == (5, 14500)
    assert control.Tally.of(TANTOSHA).amount_total is None
    control.check_control("CHOTEI.csv", 5, 14500, (4, 5, 14500))
    with pytest.raises(LoadError) as caught:
        control.check_control("CHOTEI.csv", 5, 14500, (4, 6, 14500))
    assert str(caught.value) == ("CHOTEI.csv: the file holds 5 records but _CONTROL.csv line 4 "
                                 "says 6. The file was cut short or altered: take the extract "
                                 "again.")
    with pytest.raises(LoadError) as caught:
        control.check_control("CHOTEI.csv", 5, 14500, (4, 5, 1_014_500))
    assert str(caught.value) == ("CHOTEI.csv: the amounts add up to 14,500 but _CONTROL.csv "
                                 "line 4 says 1,014,500. The file was altered: take the "
                                 "extract again.")


def test_copy_text_escapes_only_records_that_need_it():
    rows = list(copy_in.copy_rows(
        [(2, ["T001", "髙橋", "0"]), (3, ["T002", "a\\b\tc", "0"]), (5, ["T003", "二\r\n行", ""])],
        "TANTOSHA.csv"))
    assert rows == ["T001\t髙橋\t0\tTANTOSHA.csv\t2\n",
                    "T002\ta\\\\b\\tc\t0\tTANTOSHA.csv\t3\n",
                    "T003\t二\\r\\n行\t\tTANTOSHA.csv\t5\n"]


def test_the_copy_stream_hands_over_chunks_and_keeps_the_reason_it_stopped(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setattr(copy_in, "CHUNK_RECORDS", 2)
    path = write(tmp_path, "TANTOSHA.csv", [*tantosha_lines(), "T009,名,0,余分"])
    stream = copy_in.CopyStream(copy_in.copy_rows(records.read_records(path, TANTOSHA.header),
                                                  "TANTOSHA.csv"))
    assert stream.read(8192) == (f"T001\t{NAMES[0]}\t0\tTANTOSHA.csv\t2\n"
                                 f"T002\t{NAMES[1]}\t0\tTANTOSHA.csv\t3\n")
    with pytest.raises(LoadError):  # T003, then the damaged line 5: the chunk is refused
        stream.read(8192)
    assert stream.error is not None and stream.error.line == 5
