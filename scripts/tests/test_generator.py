"""The synthetic extract is byte-valid per legacy-extract.md, deterministic and realistic.

These checks read the files with nothing but Python's csv module and the spec's own
rules, independently of the loader and the models.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nhi_migration import generate
from nhi_migration.generate import dates, writer

from conftest import SCRIPTS, make_extract

# legacy-extract.md §4, transcribed: the test's own copy of the interface.
SPEC_HEADERS = {
    "SETAI.csv": "SETAI_NO,SETAINUSHI_ATENA_NO,GISEI_FLG,YUBIN_NO,JUSHO,KATAGAKI,TEL_NO,"
                 "CHIKU_CD,TANTO_CD,TOROKU_YMD,KOSIN_YMD,SAKUJO_FLG",
    "KOJIN.csv": "ATENA_NO,SETAI_NO,SHIMEI,SHIMEI_KANA,TSUSHO_MEI,SEINENGAPPI,SEIBETSU_CD,"
                 "ZOKUGARA_CD,KOKUSEKI_KBN,HIHOKEN_FLG,SHUTOKU_YMD,SOSHITSU_YMD,SAKUJO_FLG",
    "CHOTEI.csv": "CHOTEI_ID,SETAI_NO,FUKA_NENDO,SOTO_NENDO,KIBETSU,IRYO_GAKU,SHIEN_GAKU,"
                  "KAIGO_GAKU,CHOTEI_GAKU,NOKIGEN_YMD,TOKUSOKU_YMD,SAKUJO_FLG",
    "SHUNO.csv": "SHUNO_ID,SETAI_NO,SOTO_NENDO,KIBETSU,SHUNO_YMD,HONRYO_GAKU,ENTAIKIN_GAKU,"
                 "NOFU_CD,SAKUJO_FLG",
    "KOSHO_KEIKA.csv": "KEIKA_ID,SETAI_NO,KOSHO_YMD,HOHO_CD,AITE_CD,NAIYO,TANTO_CD,SAKUJO_FLG",
    "BUNNO_SEIYAKU.csv": "SEIYAKU_NO,SETAI_NO,SEIYAKU_YMD,KAISHI_YM,KAISU,GETSUGAKU,"
                         "SEIYAKU_GAKU,JOTAI_CD,SAKUJO_FLG",
    "SASHIOSAE.csv": "SASHIOSAE_NO,SETAI_NO,SASHIOSAE_YMD,ZAISAN_CD,DAISAN_SAIMUSHA,"
                     "SASHIOSAE_GAKU,JUTO_GAKU,KAIJO_YMD,SAKUJO_FLG",
    "SHOBUN.csv": "SHOBUN_NO,SETAI_NO,SOTO_NENDO,KIBETSU,SHOBUN_CD,KONKYO_CD,SHOBUN_YMD,"
                  "SHOBUN_GAKU,SAKUJO_FLG",
    "TANTOSHA.csv": "TANTO_CD,TANTO_MEI,SAKUJO_FLG",
    "CODE_MST.csv": "CODE_KIND,CODE,MEISHO",
}
CONTROL_HEADER = "TABLE_NAME,RECORD_COUNT,AMOUNT_TOTAL"
AMOUNT_COLUMN = {"CHOTEI.csv": "CHOTEI_GAKU", "SHUNO.csv": "HONRYO_GAKU"}


def read_dump_file(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and records of one dump file, checking CP932 and CRLF on the way."""
    data = path.read_bytes()
    text = data.decode("cp932")  # raises if a byte sequence is not CP932
    # Outside quoted fields every line ends in CRLF: no bare LF or CR terminates a record.
    outside = re.sub(r'"(?:[^"]|"")*"', "", text)
    assert "\n" not in outside.replace("\r\n", ""), f"{path.name}: a record ends without CRLF"
    assert "\r" not in outside.replace("\r\n", ""), f"{path.name}: a bare CR outside quotes"
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    rows = [r for r in rows if r]
    header, records = rows[0], rows[1:]
    for number, record in enumerate(records, start=2):
        assert len(record) == len(header), f"{path.name} record {number}: field count"
    return header, [dict(zip(header, r, strict=False)) for r in records]


def test_every_file_is_cp932_crlf_with_the_spec_header_and_matches_control(small_extract: Path):
    control_header, control_rows = read_dump_file(small_extract / "_CONTROL.csv")
    assert ",".join(control_header) == CONTROL_HEADER
    control = {r["TABLE_NAME"]: r for r in control_rows}
    assert sorted(control) == sorted(name.removesuffix(".csv") for name in SPEC_HEADERS)
    for file_name, header in SPEC_HEADERS.items():
        found_header, records = read_dump_file(small_extract / file_name)
        assert ",".join(found_header) == header, file_name
        row = control[file_name.removesuffix(".csv")]
        assert int(row["RECORD_COUNT"]) == len(records), file_name
        if file_name in AMOUNT_COLUMN:
            total = sum(int(r[AMOUNT_COLUMN[file_name]])
                        for r in records if re.fullmatch(r"-?[0-9]+", r[AMOUNT_COLUMN[file_name]]))
            assert int(row["AMOUNT_TOTAL"]) == total, file_name
        else:
            assert row["AMOUNT_TOTAL"] == "", file_name


def test_extract_is_deterministic_for_a_seed_and_differs_across_seeds(tmp_path: Path):
    def digest(folder: Path) -> str:
        h = hashlib.sha256()
        for path in sorted(folder.iterdir()):
            h.update(path.name.encode() + path.read_bytes())
        return h.hexdigest()

    first = make_extract(tmp_path / "a", households=150, seed=5)
    again = make_extract(tmp_path / "b", households=150, seed=5)
    other = make_extract(tmp_path / "c", households=150, seed=6)
    assert digest(first) == digest(again)
    assert digest(first) != digest(other)


def extract_digest(folder: Path) -> str:
    """One SHA-256 over every file of an extract, names included."""
    h = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


# The extracts these options gave when the generator was one module (before it became
# the package nhi_migration/generate/, 2026-12-01). A change to what the generator draws
# changes them: when that is meant, record the new digests here and say so in the commit.
RECORDED_EXTRACTS = {
    "plain": ({"households": 300, "seed": 5},
              "ab4f830b18ef43d7f61c2fd5a4fac5ba4cd6d1ccb0f77d61b0782b2fa2ea83f5"),
    "late": ({"households": 150, "seed": 3, "as_of": dt.date(2020, 3, 31)},
             "69c360cabfb2579041687127e0565904072f0ede4894187e21ba5048d6804c31"),
    "faults": ({"households": 200, "seed": 7, "faults": frozenset(generate.FAULTS)},
               "ba051f4b33ace74922c2a076a127feb5a2f9375d160fd467906e411c931a54e8"),
}


@pytest.mark.parametrize("name", sorted(RECORDED_EXTRACTS))
def test_the_same_options_give_the_bytes_recorded_before_the_split(name: str,
                                                                    tmp_path: Path) -> None:
    options, recorded = RECORDED_EXTRACTS[name]
    generate.generate(tmp_path, generate.Options(**options))
    assert extract_digest(tmp_path) == recorded


def test_the_command_line_writes_what_the_library_writes(tmp_path: Path) -> None:
    """scripts/generate_extract.py is a thin entry point: same options, same bytes."""
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / "generate_extract.py"), "--out", str(tmp_path / "cli"),
         "--households", "150", "--seed", "9", "--as-of", "2017-11-10",
         "--fault", "duplicate-key", "--fault", "truncated-file"],
        capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "150 in-scope households; written in" in result.stdout
    generate.generate(tmp_path / "lib", generate.Options(
        households=150, seed=9, as_of=dt.date(2017, 11, 10),
        faults=frozenset({"duplicate-key", "truncated-file"})))
    assert extract_digest(tmp_path / "cli") == extract_digest(tmp_path / "lib")
    refused = subprocess.run(
        [sys.executable, str(SCRIPTS / "generate_extract.py"), "--out", str(tmp_path / "x"),
         "--fault", "no-such-fault"], capture_output=True, text=True, check=False)
    assert refused.returncode == 2 and "invalid choice: 'no-such-fault'" in refused.stderr


def test_the_calendar_rules_of_the_synthetic_ward() -> None:
    assert dates.fiscal_year_of(dt.date(2017, 3, 31)) == 2016
    assert dates.fiscal_year_of(dt.date(2017, 4, 1)) == 2017
    assert dates.due_date(2017, 1) == dt.date(2017, 6, 30)  # 期別 01: June
    assert dates.due_date(2017, 7) == dt.date(2017, 12, 31)
    assert dates.due_date(2017, 9) == dt.date(2018, 2, 28)
    assert dates.due_date(2019, 9) == dt.date(2020, 2, 29)  # a leap year
    assert dates.due_date(2017, 10) == dt.date(2018, 3, 31)
    assert dates.add_years(dt.date(2016, 2, 29), 2) == dt.date(2018, 2, 28)
    assert dates.add_years(dt.date(2016, 3, 1), 2) == dt.date(2018, 3, 1)


def test_an_amount_counts_as_the_legacy_database_counted_it() -> None:
    assert [writer.amount_value(t) for t in ("1200", "-2400", "", "１２００", "12.5", "0")] \
        == [1200, -2400, 0, 0, 0, 0]


def test_dirty_patterns_of_the_spec_are_present(small_extract: Path):
    """Each dirty pattern the spec names appears at least once in a small extract."""
    _, setai = read_dump_file(small_extract / "SETAI.csv")
    _, kojin = read_dump_file(small_extract / "KOJIN.csv")
    _, chotei = read_dump_file(small_extract / "CHOTEI.csv")
    _, shuno = read_dump_file(small_extract / "SHUNO.csv")
    _, kosho = read_dump_file(small_extract / "KOSHO_KEIKA.csv")
    raw_kojin = (small_extract / "KOJIN.csv").read_bytes()
    for name, rows in (("SETAI", setai), ("KOJIN", kojin), ("CHOTEI", chotei),
                       ("SHUNO", shuno), ("KOSHO_KEIKA", kosho)):
        assert any(r["SAKUJO_FLG"] == "1" for r in rows), f"{name}: no logical delete"
    setai_numbers = {r["SETAI_NO"] for r in setai}
    assert any(r["SETAI_NO"] not in setai_numbers for r in kojin), "no orphan person"
    assert any(r["SOSHITSU_YMD"] == "0000000" for r in kojin)
    assert any(not re.fullmatch(r"[0-9]+", r["YUBIN_NO"]) and r["YUBIN_NO"] for r in setai)
    assert any(re.search("[０-９]", r["TEL_NO"]) for r in setai), "no full-width phone"
    assert any(int(r["HONRYO_GAKU"]) < 0 for r in shuno
               if re.fullmatch(r"-?[0-9]+", r["HONRYO_GAKU"])), "no reversal"
    assert any(int(r["CHOTEI_GAKU"]) != sum(int(r[c]) for c in ("IRYO_GAKU", "SHIEN_GAKU",
                                                                 "KAIGO_GAKU"))
               for r in chotei), "no CHOTEI_GAKU mismatch"
    assert any(r["SHUNO_YMD"] > "20171110" for r in shuno), "no future-dated payment"
    assert any("\r\n" in r["NAIYO"] for r in kosho), "no CRLF in negotiation text"
    assert any("," in r["NAIYO"] for r in kosho), "no comma in negotiation text"
    assert any('"' in r["NAIYO"] for r in kosho), "no quote in negotiation text"
    assert any(any(0xE000 <= ord(c) <= 0xE757 for c in r["SHIMEI"]) for r in kojin), "no gaiji"
    # IBM extension kanji written both ways: IBM rows (0xFA-0xFC) and NEC-selected (0xED-0xEE)
    assert b"\xfb\xfc" in raw_kojin or b"\xfa\xb1" in raw_kojin or b"\xfa\x9c" in raw_kojin
    assert b"\xee\xe0" in raw_kojin or b"\xed\x95" in raw_kojin or b"\xed\x80" in raw_kojin


def test_heisei_dates_after_the_era_change_when_the_extract_is_later(tmp_path: Path):
    folder = make_extract(tmp_path / "late", households=150, seed=3, as_of=dt.date(2020, 3, 31))
    _, kosho = read_dump_file(folder / "KOSHO_KEIKA.csv")
    _, chotei = read_dump_file(folder / "CHOTEI.csv")
    dates = [r["KOSHO_YMD"] for r in kosho] + [r["NOKIGEN_YMD"] for r in chotei]
    assert any(re.fullmatch(r"43[1-9][0-9]{4}", d) for d in dates), "no 平成31+ date"
    assert any(d.startswith("5") for d in dates), "no 令和 date"


def test_default_extract_has_exactly_46565_households_in_scope(default_extract: Path):
    """In scope: a live SETAI row with at least one live CHOTEI row (setup-layouts.md §5)."""
    _, setai = read_dump_file(default_extract / "SETAI.csv")
    _, chotei = read_dump_file(default_extract / "CHOTEI.csv")
    assessed = {r["SETAI_NO"] for r in chotei if r["SAKUJO_FLG"] != "1"}
    in_scope = {r["SETAI_NO"] for r in setai if r["SAKUJO_FLG"] != "1"} & assessed
    assert len(in_scope) == 46_565
    # Counting SETAI rows alone, or live SETAI rows, gives the wrong answer.
    assert len(setai) != 46_565
    assert sum(r["SAKUJO_FLG"] != "1" for r in setai) != 46_565
    # Plausible for a Tokyo ward: mostly one- and two-person households, a fifth foreign.
    _, kojin = read_dump_file(default_extract / "KOJIN.csv")
    sizes: dict[str, int] = {}
    foreign: set[str] = set()
    for person in kojin:
        if person["SETAI_NO"] in in_scope and person["SAKUJO_FLG"] != "1":
            sizes[person["SETAI_NO"]] = sizes.get(person["SETAI_NO"], 0) + 1
            if person["KOKUSEKI_KBN"] == "2" and person["ZOKUGARA_CD"] == "01":
                foreign.add(person["SETAI_NO"])
    small = sum(1 for n in sizes.values() if n <= 2) / len(sizes)
    assert small > 0.75
    assert 0.15 < len(foreign) / len(in_scope) < 0.25
    # About 85 % of the yen assessed for past-due periods is collected.
    assessed_yen = {}
    for r in chotei:
        if r["SAKUJO_FLG"] != "1" and r["NOKIGEN_YMD"] < "4291110" and r["SETAI_NO"] in in_scope:
            key = (r["SETAI_NO"], r["SOTO_NENDO"], r["KIBETSU"])
            assessed_yen[key] = int(r["IRYO_GAKU"]) + int(r["SHIEN_GAKU"]) + int(r["KAIGO_GAKU"])
    _, shuno = read_dump_file(default_extract / "SHUNO.csv")
    paid = sum(int(r["HONRYO_GAKU"]) for r in shuno
               if r["SAKUJO_FLG"] != "1" and re.fullmatch(r"-?[0-9]+", r["HONRYO_GAKU"])
               and (r["SETAI_NO"], r["SOTO_NENDO"], r["KIBETSU"]) in assessed_yen
               and r["SHUNO_YMD"] <= "20171110")
    assert 0.80 < paid / sum(assessed_yen.values()) < 0.90
