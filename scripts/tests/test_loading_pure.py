"""The loader's pure parts, in milliseconds: no database, no dbt.

Each test writes real CP932 bytes (text the dump would hold: kanji, NEC special
characters, an IBM extension, a gaiji of the user-defined area, a NUL) to a file of its
own and reads them back as the loader does: decode, records against the header,
_CONTROL.csv and its totals, and the text COPY receives.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
from pathlib import Path

import pytest

from nhi_migration import legacy
from nhi_migration.loading import control, copy_in, decode, plain, records
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


def test_cp932_bytes_00_to_7f_are_ascii():
    """decode.whole_block reads an all-ASCII block as ASCII: CP932 agrees on every byte."""
    ascii_bytes = bytes(range(0x80))
    assert ascii_bytes.decode("cp932") == ascii_bytes.decode("ascii")
    assert decode.whole_block(b"a,b\\c\x00,~\r\n", decode.Tracked()) == "a,b\\c\x1a,~\r\n"


# --- the plain path: the same COPY text, figures and digest as record by record --------
def chotei_line(n: int, amount: str = "13200", setai: str = "1000000002") -> str:
    return f"{10000000 + n},{setai},426,426,08,10200,3000,0,{amount},4270131,0000000,0"


def by_records(path: Path, table: legacy.LegacyTable) -> tuple[str, tuple, str]:
    """COPY text, (records, amount total) and SHA-256 as the record-by-record path makes them."""
    digest, tally, rows = hashlib.sha256(), control.Tally.of(table), []
    for line, record in records.read_records(path, table.header, digest):
        tally.add(record)
        rows.append((line, record))
    return ("".join(copy_in.copy_rows(rows, table.file)), (tally.records, tally.amount_total),
            digest.hexdigest())


def by_plain(path: Path, table: legacy.LegacyTable) -> tuple[str, tuple, str]:
    digest, tally = hashlib.sha256(), control.Tally.of(table)
    text = "".join(plain.copy_text(path, table, digest, tally))
    return text, (tally.records, tally.amount_total), digest.hexdigest()


@pytest.mark.parametrize("block", [decode.BLOCK_BYTES, 7, 150])
def test_a_plain_file_gives_copy_what_the_records_give_it(tmp_path, monkeypatch, block):
    """Quoted fields, a backslash, a tab, a NUL, kanji and gaiji, amounts that do not
    count, and a last line without CRLF: the plain path's text is byte for byte the
    record-by-record path's, whatever the block size."""
    lines = [",".join(CHOTEI.header), chotei_line(1), chotei_line(2, "-500"),
             '"10000003","1000000004","429","429","06","7600","2300","0","9900","4291130",'
             '"0000000","0"',
             chotei_line(4, "", setai=NAMES[0]), chotei_line(5, "１２", setai="a\\b\tc"),
             chotei_line(6, '"12345678901234567890"', setai='""'),
             chotei_line(7, setai="山\x00\ue000"), chotei_line(8, "1200")]
    path = tmp_path / "CHOTEI.csv"
    path.write_bytes(("\r\n".join(lines)).encode("cp932"))
    monkeypatch.setattr(decode, "BLOCK_BYTES", block)
    expected = by_records(path, CHOTEI)
    assert by_plain(path, CHOTEI) == expected
    assert expected[1] == (8, 13200 * 2 - 500 + 9900 + 12345678901234567890 + 1200)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp932"))  # with the last CRLF
    assert by_plain(path, CHOTEI) == by_records(path, CHOTEI)
    path.write_bytes(("\r\n".join(['"' + lines[0].replace(",", '","') + '"', *lines[1:]])
                      ).encode("cp932"))  # a quoted header is the header to csv too
    assert by_plain(path, CHOTEI) == by_records(path, CHOTEI)
    path.write_bytes((lines[0] + "\r\n").encode("cp932"))  # the header only
    assert by_plain(path, CHOTEI) == by_records(path, CHOTEI) == (
        "", (0, 0), hashlib.sha256(path.read_bytes()).hexdigest())


NOT_PLAIN = {  # what needs csv, or a refusal: (the line changed or added, how)
    "a quote around a comma": 'T009,"山田,一郎",0',
    "a doubled quote": 'T009,"山""田",0',
    "a quote inside a field": 'T009,山"田,0',
    "a field too many": "T009,名,0,余分",
    "a field too few": "T009,名",
    "a blank line": "",
    "a lone CR": "T009,名\r前,0",
    "a quoted CRLF": 'T009,"二行に\r\nわたる名",0',
}


@pytest.mark.parametrize("case", sorted(NOT_PLAIN))
def test_a_line_that_is_not_plain_stops_the_plain_path(tmp_path, case):
    path = write(tmp_path, "TANTOSHA.csv", [*tantosha_lines(), NOT_PLAIN[case], "T010,末尾,0"])
    with pytest.raises(plain.NotPlain):
        by_plain(path, TANTOSHA)


@pytest.mark.parametrize("damage", ["bom", "lf", "bad-byte", "not-cp932", "no-header",
                                    "empty", "folder", "missing"])
def test_a_file_the_records_path_must_read_is_not_plain(tmp_path, damage):
    lines = tantosha_lines()
    path = {"bom": lambda: write(tmp_path, "TANTOSHA.csv", lines, prefix=b"\xef\xbb\xbf"),
            "lf": lambda: write(tmp_path, "TANTOSHA.csv", lines, end="\n"),
            "no-header": lambda: write(tmp_path, "TANTOSHA.csv", lines[1:]),
            "empty": lambda: write(tmp_path, "TANTOSHA.csv", [], end=""),
            "folder": lambda: (tmp_path / "TANTOSHA.csv").mkdir() or tmp_path / "TANTOSHA.csv",
            "missing": lambda: tmp_path / "TANTOSHA.csv"}.get(damage)
    if damage in ("bad-byte", "not-cp932"):
        target = tmp_path / "TANTOSHA.csv"
        target.write_bytes(",".join(TANTOSHA.header).encode() + b"\r\nT001,"
                           + (b"\x81\x20" if damage == "bad-byte" else b"\xa0") + b",0\r\n")
    else:
        assert path is not None
        target = path()
    with pytest.raises(plain.NotPlain):
        by_plain(target, TANTOSHA)


def test_a_line_longer_than_csvs_field_limit_is_left_to_csv(tmp_path):
    path = write(tmp_path, "TANTOSHA.csv", [*tantosha_lines(), "T009," + "名" * 40 + ",0"])
    limit = csv.field_size_limit(30)
    try:
        with pytest.raises(plain.NotPlain):
            by_plain(path, TANTOSHA)
        assert "field larger than field limit (30)" in str(refusal(path, TANTOSHA.header))
    finally:
        csv.field_size_limit(limit)
    assert by_plain(path, TANTOSHA) == by_records(path, TANTOSHA)


def test_the_plain_stream_ends_the_data_where_the_plain_path_stops():
    def chunks():
        yield "a\tb\n"
        raise plain.NotPlain("a blank line")

    stream = copy_in.PlainStream(chunks())
    assert (stream.read(8192), stream.stopped) == ("a\tb\n", None)
    assert stream.read(8192) == "" and str(stream.stopped) == "a blank line"
    assert stream.read(8192) == ""


def test_the_amount_is_cut_from_either_end_of_a_plain_line():
    line = ",".join(f"f{n}" for n in range(len(CHOTEI.columns)))
    for n, column in enumerate(CHOTEI.columns):
        picker = plain._amount_picker(dataclasses.replace(CHOTEI, amount_column=column))
        assert picker is not None and picker([line, line]) == [f"f{n}", f"f{n}"]
    assert plain._amount_picker(TANTOSHA) is None
