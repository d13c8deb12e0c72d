"""Synthetic legacy extract in exactly the legacy-extract.md format.

Nothing here is real: names, addresses and texts are drawn from small fixed lists by a
seeded random generator, so the same options give byte-identical files. The shape is a
Tokyo ward's: mostly one- and two-person households, about a fifth foreign residents,
fiscal years 平成25–29 with ten periods each, about 85 % of assessed yen collected, and
arrears concentrated in a minority of households that then carry negotiation records,
pledges, seizures, suspensions and write-offs. Every dirty pattern the spec names appears
at a low rate; options inject the faults that must stop a run.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from . import cp932, legacy, wareki

DEFAULT_HOUSEHOLDS = 46_565  # the seed document's figure
DEFAULT_SEED = 20171110
DEFAULT_AS_OF = dt.date(2017, 11, 10)  # the seed document's first test extraction

FAULTS: dict[str, str] = {
    "unknown-code": "a SHUNO row that would be migrated carries NOFU_CD 09 (not in CODE_MST)",
    "truncated-file": "SHUNO.csv is cut off in the middle of a record",
    "bad-encoding": "one KOJIN.csv line holds bytes that do not decode as CP932",
    "missing-column": "SETAI.csv lacks its TEL_NO column",
    "unparsable-line": "one SASHIOSAE.csv record has a field too many",
    "control-mismatch": "_CONTROL.csv counts one KOSHO_KEIKA record more than the file holds",
    "duplicate-key": "CHOTEI.csv holds one CHOTEI_ID twice",
    "duplicate-period": "two live CHOTEI rows for one household, 相当年度 and 期別",
    "negative-amount": "one period's reversals exceed its payments (negative 収納済額)",
    "unreadable-household": "one in-scope SETAI row has an impossible 登録日 (4290230)",
}

# --- fixed lists the synthetic people are drawn from ----------------------------------
# (kanji, half-width kana). IBM/NEC extension kanji (髙 U+9AD9, 﨑 U+FA11, 塚 U+FA10,
# 晴 U+FA12) and the ward's gaiji (U+E000… mapped, U+E1xx unmapped) appear on purpose.
FAMILY = [
    ("佐藤", "ｻﾄｳ"), ("鈴木", "ｽｽﾞｷ"), ("高橋", "ﾀｶﾊｼ"), ("田中", "ﾀﾅｶ"), ("伊藤", "ｲﾄｳ"),
    ("渡辺", "ﾜﾀﾅﾍﾞ"), ("山本", "ﾔﾏﾓﾄ"), ("中村", "ﾅｶﾑﾗ"), ("小林", "ｺﾊﾞﾔｼ"), ("加藤", "ｶﾄｳ"),
    ("吉田", "ﾖｼﾀﾞ"), ("山田", "ﾔﾏﾀﾞ"), ("佐々木", "ｻｻｷ"), ("山口", "ﾔﾏｸﾞﾁ"), ("松本", "ﾏﾂﾓﾄ"),
    ("井上", "ｲﾉｳｴ"), ("木村", "ｷﾑﾗ"), ("林", "ﾊﾔｼ"), ("斎藤", "ｻｲﾄｳ"), ("清水", "ｼﾐｽﾞ"),
    ("山崎", "ﾔﾏｻﾞｷ"), ("森", "ﾓﾘ"), ("池田", "ｲｹﾀﾞ"), ("橋本", "ﾊｼﾓﾄ"), ("阿部", "ｱﾍﾞ"),
    ("石川", "ｲｼｶﾜ"), ("中島", "ﾅｶｼﾞﾏ"), ("前田", "ﾏｴﾀﾞ"), ("長谷川", "ﾊｾｶﾞﾜ"), ("後藤", "ｺﾞﾄｳ"),
    ("近藤", "ｺﾝﾄﾞｳ"), ("坂本", "ｻｶﾓﾄ"), ("藤原", "ﾌｼﾞﾜﾗ"), ("菅原", "ｽｶﾞﾜﾗ"), ("柴田", "ｼﾊﾞﾀ"),
    ("大塚", "ｵｵﾂｶ"), ("渡部", "ﾜﾀﾅﾍﾞ"), ("宮崎", "ﾐﾔｻﾞｷ"), ("野口", "ﾉｸﾞﾁ"), ("原田", "ﾊﾗﾀﾞ"),
]
FAMILY_EXTENDED = [
    ("髙橋", "ﾀｶﾊｼ"), ("山﨑", "ﾔﾏｻﾞｷ"), ("﨑田", "ｻｷﾀﾞ"), ("塚本", "ﾂｶﾓﾄ"), ("大塚", "ｵｵﾂｶ"),
    ("髙木", "ﾀｶｷﾞ"),
]
FAMILY_GAIJI_MAPPED = [
    ("\ue004橋", "ﾀｶﾊｼ"), ("\ue001村", "ﾂｼﾞﾑﾗ"), ("渡\ue002", "ﾜﾀﾅﾍﾞ"), ("\ue005田", "ｻｷﾀﾞ"),
    ("\ue00d田", "ﾏｷﾀ"), ("\ue000野", "ﾖｼﾉ"),
]
FAMILY_GAIJI_UNMAPPED = [("\ue1a0田", "ｶﾈﾀﾞ"), ("\ue2b1川", "ｾｶﾞﾜ"), ("小\ue0f5", "ｺｲｹ")]
GIVEN_MALE = [
    ("太郎", "ﾀﾛｳ"), ("一郎", "ｲﾁﾛｳ"), ("健一", "ｹﾝｲﾁ"), ("誠", "ﾏｺﾄ"), ("大輔", "ﾀﾞｲｽｹ"),
    ("翔太", "ｼｮｳﾀ"), ("拓也", "ﾀｸﾔ"), ("健太", "ｹﾝﾀ"), ("直樹", "ﾅｵｷ"), ("和也", "ｶｽﾞﾔ"),
    ("浩", "ﾋﾛｼ"), ("隆", "ﾀｶｼ"), ("茂", "ｼｹﾞﾙ"), ("博", "ﾋﾛｼ"), ("修", "ｵｻﾑ"), ("蓮", "ﾚﾝ"),
]
GIVEN_FEMALE = [
    ("花子", "ﾊﾅｺ"), ("恵子", "ｹｲｺ"), ("陽子", "ﾖｳｺ"), ("裕子", "ﾕｳｺ"), ("美穂", "ﾐﾎ"),
    ("愛", "ｱｲ"), ("彩", "ｱﾔ"), ("由美", "ﾕﾐ"), ("真由美", "ﾏﾕﾐ"), ("久美子", "ｸﾐｺ"),
    ("洋子", "ﾖｳｺ"), ("幸子", "ｻﾁｺ"), ("明美", "ｱｹﾐ"), ("晴美", "ﾊﾙﾐ"), ("葵", "ｱｵｲ"),
]
GIVEN_EXTENDED = [("\ufa12美", "ﾊﾙﾐ"), ("\ufa12子", "ﾊﾙｺ"), ("\ufa12彦", "ﾊﾙﾋｺ")]
# Foreign residents: (family, given, kana family, kana given, script). Romaji names are
# written full-width or half-width; some are too long for N(40) on purpose.
FOREIGN = [
    ("王", "偉", "ﾜﾝ", "ｳｪｲ", "kanji"), ("李", "娜", "ﾘｰ", "ﾅｰ", "kanji"),
    ("張", "敏", "ﾁｬﾝ", "ﾐﾝ", "kanji"), ("朴", "英哲", "ﾊﾟｸ", "ﾖﾝﾁｮﾙ", "kanji"),
    ("金", "英子", "ｷﾑ", "ﾖﾝｼﾞｬ", "kanji"), ("崔", "秀美", "ﾁｪ", "ｽﾐ", "kanji"),
    ("NGUYEN", "VAN NAM", "ｸﾞｴﾝ", "ｳﾞｧﾝ ﾅﾑ", "romaji"),
    ("TRAN", "THI HOA", "ﾁｬﾝ", "ﾃｨ ﾎｱ", "romaji"),
    ("GURUNG", "SUNIL", "ｸﾞﾙﾝ", "ｽﾆﾙ", "romaji"),
    ("SANTOS", "MARIA", "ｻﾝﾄｽ", "ﾏﾘｱ", "romaji"),
    ("KIM", "MINJUN", "ｷﾑ", "ﾐﾝｼﾞｭﾝ", "romaji"),
    ("SHRESTHA", "RAM BAHADUR", "ｼｭﾚｽﾀ", "ﾗﾑ ﾊﾞﾊﾄﾞｩﾙ", "romaji"),
    ("MOHAMMAD", "ABDUL RAHMAN HOSSAIN", "ﾓﾊﾏﾄﾞ", "ｱﾌﾞﾄﾞｩﾙ ﾗﾌﾏﾝ ﾎｯｻｲﾝ", "romaji"),
    ("グエン", "バン　ナム", "ｸﾞｴﾝ", "ﾊﾞﾝ ﾅﾑ", "katakana"),
    ("スミス", "ジョン", "ｽﾐｽ", "ｼﾞｮﾝ", "katakana"),
    ("ヴィクトル", "ペトロフ", "ｳﾞｨｸﾄﾙ", "ﾍﾟﾄﾛﾌ", "katakana"),
]
ALIASES = [("金田", "英子"), ("新井", "秀美"), ("木下", "一郎"), ("松山", "和子")]
TOWNS = [
    ("西新宿", "1600023"), ("新宿", "1600022"), ("歌舞伎町", "1600021"), ("大久保", "1690072"),
    ("百人町", "1690073"), ("高田馬場", "1690075"), ("北新宿", "1690074"), ("中落合", "1610032"),
    ("上落合", "1610034"), ("下落合", "1610033"), ("西落合", "1610031"), ("中井", "1610035"),
    ("西早稲田", "1690051"), ("早稲田鶴巻町", "1620041"), ("神楽坂", "1620825"), ("四谷", "1600004"),
    ("信濃町", "1600016"), ("戸山", "1620052"), ("余丁町", "1620055"), ("河田町", "1620054"),
    ("若松町", "1620056"), ("原町", "1620053"), ("弁天町", "1620851"), ("榎町", "1620806"),
]
KANJI_DIGITS = "〇一二三四五六七八九"
BUILDINGS = ["コーポ新宿", "メゾン大久保", "サンハイツ", "パークサイド落合", "グリーンヒルズ",
             "ハイム戸山", "レジデンス神楽坂", "ｺｰﾎﾟ ｼﾝｼﾞｭｸ", "ﾒｿﾞﾝ ﾄﾞ ｵｵｸﾎﾞ", "第二早稲田荘"]
LONG_BUILDING = "グランドメゾン早稲田鶴巻町ステーションフロントタワー"
BANKS = ["㈱三井住友銀行　新宿支店", "㈱みずほ銀行　新宿中央支店", "㈱三菱ＵＦＪ銀行　新宿通支店",
         "ゆうちょ銀行", "㈱ＡＢＣ商事", "新宿運輸㈱", "○○生命保険相互会社", "西新宿信用金庫"]
STAFF = ["田村", "小松", "岡", "北村", "内藤", "荒木", "水野", "杉本", "岩田", "大西"]
TEXTS = [
    "本人より電話。{m}月末までに{a}円を納付するとのこと。",
    "臨戸。不在のため催告書を差し置き。",
    "{rel}より来庁。「{name}は入院中のため、来月まで待ってほしい」とのこと。",
    "文書催告（第{n}回）を発送。",
    "分納相談。月額{a}円、{n}回で誓約。",
    "勤務先照会：{bank}、回答あり。",
    "本人来庁、\"至急連絡ください\"の催告書を持参。生活状況を聴取、収入は月{a}円程度。",
    "ﾎﾝﾆﾝﾆ TEL ｽﾙﾓ ﾌｻﾞｲ｡ﾙｽﾃﾞﾝﾆ ﾒｯｾｰｼﾞ",
    "預金調査（{bank}）、残高{a}円。",
    "納付相談、家族構成：{name}ほか{n}名。電話 03-{t1}-{t2}。",
]
RELATIONS = ["妻", "夫", "母", "父", "長男", "長女"]
# Legacy code master (legacy-extract.md §4), written to CODE_MST.csv as is.
CODE_MASTER: dict[str, list[tuple[str, str]]] = {
    "ZOKUGARA": [("01", "世帯主"), ("02", "妻"), ("03", "夫"), ("04", "子"), ("05", "父"),
                 ("06", "母"), ("07", "孫"), ("08", "兄弟姉妹"), ("09", "祖父母"),
                 ("10", "その他の親族"), ("11", "同居人")],
    "NOFU": [("01", "窓口"), ("02", "口座振替"), ("03", "コンビニ"), ("04", "ペイジー"),
             ("05", "差押充当"), ("06", "還付充当"), ("07", "郵便局"), ("08", "クレジット")],
    "KOSHO_HOHO": [("01", "電話"), ("02", "来庁"), ("03", "臨戸"), ("04", "文書"),
                   ("05", "催告書"), ("06", "その他")],
    "AITE": [("01", "本人"), ("02", "家族"), ("03", "代理人"), ("04", "その他")],
    "SEIYAKU_JOTAI": [("01", "履行中"), ("02", "完了"), ("03", "不履行"), ("04", "取消")],
    "ZAISAN": [("01", "預貯金"), ("02", "給与"), ("03", "生命保険"), ("04", "不動産"),
               ("05", "動産"), ("06", "国税還付金"), ("07", "その他債権")],
    "SHOBUN": [("01", "執行停止"), ("02", "執行停止取消"), ("03", "不納欠損")],
    "KONKYO": [("01", "地方税法15条の7第1項1号（無財産）"), ("02", "同2号（生活困窮）"),
               ("03", "同3号（所在不明）"), ("04", "同第5項（即時消滅）"), ("05", "時効")],
}
_NEEDS_QUOTES = re.compile(r'[,"\r\n]')
_FULLWIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "\u3000"})


@dataclass(frozen=True)
class Options:
    households: int = DEFAULT_HOUSEHOLDS
    seed: int = DEFAULT_SEED
    as_of: dt.date = DEFAULT_AS_OF
    faults: frozenset[str] = frozenset()


@dataclass
class Summary:
    """What was written, for the caller's report (counts only)."""

    in_scope_households: int = 0
    records: dict[str, int] = field(default_factory=dict)
    amount_totals: dict[str, int] = field(default_factory=dict)


class TableWriter:
    """Writes one dump file: header, RFC 4180 quoting, CRLF, CP932; counts as it goes."""

    def __init__(self, folder: Path, table: legacy.LegacyTable, rng: random.Random,
                 *, drop_column: str | None = None) -> None:
        self.table = table
        self.path = folder / table.file
        self.rng = rng
        self.count = 0
        self.amount_total = 0
        self._amount_index = (table.columns.index(table.amount_column)
                              if table.amount_column else None)
        self._drop = table.columns.index(drop_column) if drop_column else None
        self._file: BinaryIO = self.path.open("wb")
        self._write(list(table.header), quote_all=False, ibm=False)

    def _write(self, fields: list[str], *, quote_all: bool, ibm: bool, extra: str = "") -> None:
        if self._drop is not None:
            del fields[self._drop]
        parts = []
        for value in fields:
            if _NEEDS_QUOTES.search(value) or (quote_all and value):
                value = '"' + value.replace('"', '""') + '"'
            parts.append(value)
        line = ",".join(parts) + extra + "\r\n"
        self._file.write(cp932.encode(line, ibm=ibm))

    def row(self, fields: Sequence[str], *, ibm: bool = False, extra: str = "") -> None:
        """One record. A few records quote every field (the dump may quote any field)."""
        quote_all = self.rng.random() < 0.01
        self._write(list(fields), quote_all=quote_all, ibm=ibm, extra=extra)
        self.count += 1
        if self._amount_index is not None:
            self.amount_total += amount_value(fields[self._amount_index])

    def close(self, *, final_newline: bool) -> None:
        if not final_newline and self.count:
            self._file.seek(-2, 2)
            self._file.truncate()
        self._file.close()


def amount_value(text: str) -> int:
    """An AMT as the legacy database counted it (_CONTROL): any integer as dumped, however
    many digits; empty is 0; an unreadable one counts 0 (dbt_project.yml var legacy_amount)."""
    return legacy.amount_rule().as_dumped(text)


def fiscal_year_of(day: dt.date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def due_date(fiscal_year: int, period: int) -> dt.date:
    """納期限: the last day of the period's month, June (01) to March (10)."""
    month = 6 + period - 1
    year = fiscal_year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return dt.date(year, month, calendar.monthrange(year, month)[1])


class Generator:
    """One extract. Call :meth:`run`; the summary says what was written."""

    def __init__(self, out: Path, options: Options) -> None:
        self.out = out
        self.o = options
        self.rng = random.Random(options.seed)
        self.as_of = options.as_of
        self.last_fy = fiscal_year_of(options.as_of)
        self.years = list(range(self.last_fy - 4, self.last_fy + 1))
        self.summary = Summary()
        self._y7: dict[dt.date, str] = {}
        self._ids = {"atena": 3_000_000_000, "chotei": 10_000_000, "shuno": 50_000_000,
                     "keika": 700_000, "seiyaku": 80_000, "sashiosae": 90_000, "shobun": 60_000}
        self._pending_faults = set(options.faults)
        self.tanto_codes: list[str] = []
        self.current_kind = ""

    # --- small helpers --------------------------------------------------------------
    def next_id(self, kind: str, gap: int = 1) -> int:
        self._ids[kind] += 1 if gap == 1 else self.rng.randint(1, gap)
        return self._ids[kind]

    def ymd7(self, day: dt.date | None) -> str:
        """和暦; after 2019-04-30 some screens kept writing 平成 (4310501)."""
        if day is None:
            return "0000000"
        if day >= wareki.ERAS[wareki.REIWA][1] and self.rng.random() < 0.3:
            return wareki.to_ymd7(day, era=wareki.HEISEI)
        text = self._y7.get(day)
        if text is None:
            text = self._y7[day] = wareki.to_ymd7(day)
        return text

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def fault(self, name: str) -> bool:
        """True once, in an in-scope household, for an injected fault not placed yet."""
        if name in self._pending_faults and self.current_kind == "in_scope":
            self._pending_faults.discard(name)
            return True
        return False

    def day_between(self, first: dt.date, last: dt.date) -> dt.date:
        span = (last - first).days
        return first + dt.timedelta(days=self.rng.randint(0, max(span, 0)))

    # --- the run ----------------------------------------------------------------------
    def run(self) -> Summary:
        self.out.mkdir(parents=True, exist_ok=True)
        tables = {t.name: t for t in legacy.data_tables()}
        drop = "tel_no" if "missing-column" in self.o.faults else None
        self.w = {name: TableWriter(self.out, table, self.rng,
                                    drop_column=drop if name == "setai" else None)
                  for name, table in tables.items()}
        self.write_code_master()
        self.write_staff()
        kinds = (["in_scope"] * self.o.households
                 + ["no_chotei"] * round(self.o.households * 0.025)
                 + ["deleted_setai"] * round(self.o.households * 0.01)
                 + ["chotei_deleted"] * round(self.o.households * 0.004)
                 + ["unreadable_out"] * max(1, round(self.o.households * 0.0005)))
        self.rng.shuffle(kinds)
        setai_no = 1_000_000_000
        for index, kind in enumerate(kinds):
            setai_no += self.rng.randint(1, 3)
            self.household(f"{setai_no:010d}", kind)
            if index == 0 or self.chance(0.0015):
                # a household number from a range no SETAI row uses
                self.orphan_person(f"{1_900_000_000 + index:010d}")
        for name, writer in self.w.items():
            writer.close(final_newline=self.chance(0.5))
            self.summary.records[tables[name].table_name] = writer.count
            if tables[name].amount_column:
                self.summary.amount_totals[tables[name].table_name] = writer.amount_total
        self.write_control()
        self.apply_file_faults()
        return self.summary

    def write_code_master(self) -> None:
        for kind, codes in CODE_MASTER.items():
            for code, name in codes:
                self.w["code_mst"].row([kind, code, name])

    def write_staff(self) -> None:
        for number in range(1, 41):
            code = f"{1000 + number:04d}"
            deleted = number in (7, 23, 38)
            name = f"{STAFF[number % len(STAFF)]}\u3000{GIVEN_MALE[number % 16][0]}"
            self.w["tantosha"].row([code, name, "1" if deleted else "0"])
            if not deleted:
                self.tanto_codes.append(code)

    def write_control(self) -> None:
        path = self.out / legacy.control_table().file
        lines = [",".join(legacy.control_table().header)]
        for table in legacy.data_tables():
            count = self.summary.records[table.table_name]
            if table.name == "kosho_keika" and "control-mismatch" in self.o.faults:
                count += 1
            total = self.summary.amount_totals.get(table.table_name)
            lines.append(f"{table.table_name},{count},{'' if total is None else total}")
        path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp932"))

    def apply_file_faults(self) -> None:
        if "truncated-file" in self.o.faults:
            path = self.out / "SHUNO.csv"
            data = path.read_bytes()
            cut = data.index(b",", len(data) // 2)  # mid-record
            path.write_bytes(data[:cut])
        if "bad-encoding" in self.o.faults:
            path = self.out / "KOJIN.csv"
            lines = path.read_bytes().split(b"\r\n")
            target = len(lines) // 3
            lines[target] = lines[target].replace(b",", b",\x85\x40", 1)
            path.write_bytes(b"\r\n".join(lines))

    # --- one household ----------------------------------------------------------------
    def household(self, setai_no: str, kind: str) -> None:
        rng = self.rng
        self.current_kind = kind
        size = rng.choices((1, 2, 3, 4, 5, 6), weights=(60, 25, 9, 4, 1.5, 0.5))[0]
        foreign = rng.random() < 0.2 and not (kind == "in_scope"
                                              and self.summary.in_scope_households < 3)
        first_fy = self.years[0] if rng.random() < 0.45 else rng.choice(self.years)
        last_fy = self.last_fy if rng.random() < 0.8 else rng.randint(first_fy, self.last_fy)
        members = self.persons(setai_no, size, foreign, first_fy, last_fy,
                               deleted_household=kind == "deleted_setai")
        nominal = members[0]["nominal"]
        self.setai_row(setai_no, members[0]["atena"], nominal, first_fy, kind)
        if kind in ("no_chotei", "unreadable_out"):
            if self.chance(0.05):
                self.negotiation(setai_no, [], 1)
            return
        if kind == "in_scope":
            self.summary.in_scope_households += 1
        self.assessments(setai_no, members, first_fy, last_fy,
                         all_deleted=kind == "chotei_deleted")

    def setai_row(self, setai_no: str, head: str, nominal: bool, first_fy: int,
                  kind: str) -> None:
        rng = self.rng
        town, postal = rng.choice(TOWNS)
        block = (rng.randint(1, 8), rng.randint(1, 30), rng.randint(1, 25))
        style = rng.random()
        if style < 0.5:
            address = (f"東京都新宿区{town}{KANJI_DIGITS[block[0]]}丁目"
                       f"{block[1]}番{block[2]}号").translate(_FULLWIDTH)
        elif style < 0.8:
            address = f"東京都新宿区{town}{block[0]}-{block[1]}-{block[2]}".translate(_FULLWIDTH)
        else:
            address = f"東京都新宿区{town}{block[0]}-{block[1]}-{block[2]}"
        extra = ""
        if rng.random() < 0.55:
            room = rng.choice((101, 102, 201, 203, 305, 402, 1205))
            extra = f"{rng.choice(BUILDINGS)} {room}" if rng.random() < 0.3 else \
                f"{rng.choice(BUILDINGS)}{room}号室".translate(_FULLWIDTH)
        if rng.random() < 0.002:  # the building written into the address: must be cut
            address = address + "\u3000" + LONG_BUILDING + "１２０５号室"
        postal_style = rng.random()
        if postal_style < 0.5:
            zip_code = postal
        elif postal_style < 0.8:
            zip_code = f"{postal[:3]}-{postal[3:]}"
        elif postal_style < 0.9:
            zip_code = f"{postal[:3]}-{postal[3:]}".translate(_FULLWIDTH)
        elif postal_style < 0.95:
            zip_code = f"〒{postal[:3]}-{postal[3:]}"
        elif postal_style < 0.98:
            zip_code = ""
        else:
            zip_code = postal[:6]  # six digits: written blank
        phone = self.phone_number()
        chiku = f"{rng.randint(1, 10):02d}"
        if rng.random() < 0.03:
            chiku = chiku.translate(_FULLWIDTH)
        registered = self.day_between(dt.date(first_fy - 6, 4, 1), dt.date(first_fy, 6, 1))
        updated = self.day_between(registered, self.as_of)
        toroku = self.ymd7(registered)
        if kind == "unreadable_out" or (kind == "in_scope" and self.fault("unreadable-household")):
            toroku = "4290230"
        deleted = kind == "deleted_setai"
        self.w["setai"].row([
            setai_no, head, "1" if nominal else ("0" if rng.random() < 0.9 else ""),
            zip_code, address, extra, phone, chiku, rng.choice(self.tanto_codes),
            toroku, self.ymd7(updated), "1" if deleted else "0",
        ])

    def phone_number(self) -> str:
        rng = self.rng
        style = rng.random()
        if style < 0.15:
            return ""
        mobile = rng.random() < 0.4
        a = rng.choice(("090", "080", "070")) if mobile else "03"
        b = f"{rng.randint(0, 9999):04d}"
        c = f"{rng.randint(0, 9999):04d}"
        if style < 0.55:
            return f"{a}-{b}-{c}"
        if style < 0.75:
            return f"{a}{b}{c}"
        if style < 0.93:
            return f"{a}-{b}-{c}".translate(_FULLWIDTH).replace("－", rng.choice("－ー−"))
        if style < 0.99:
            return f"{a}({b}){c}"
        return f"{a}-{b}-{c} 内線{rng.randint(100, 9999)}"  # too long: cut with TRUNCATED

    def persons(self, setai_no: str, size: int, foreign: bool, first_fy: int, last_fy: int,
                *, deleted_household: bool) -> list[dict]:
        rng = self.rng
        members: list[dict] = []
        head_age = rng.randint(20, 74)
        nominal = size > 1 and rng.random() < 0.03
        family = self.family_name(foreign)
        for position in range(size):
            if position == 0:
                zokugara, age = "01", head_age
            elif position == 1 and size >= 2 and rng.random() < 0.7:
                zokugara, age = rng.choice(("02", "03")), max(18, head_age + rng.randint(-8, 8))
            elif head_age > 40 and rng.random() < 0.8:
                zokugara, age = "04", rng.randint(0, max(0, head_age - 20))
            else:
                zokugara, age = rng.choice(("05", "06", "07", "08", "09", "10", "11")), \
                    rng.randint(0, 74)
            female = zokugara in ("02", "06") or (zokugara not in ("03", "05") and rng.random() < 0.5)
            born = self.as_of - dt.timedelta(days=age * 365 + rng.randint(0, 364))
            if rng.random() < 0.002:  # around the change of era: 昭和64 / 平成元
                born = dt.date(1989, 1, rng.randint(1, 14))
            atena = f"{self.next_id('atena', gap=7):010d}"
            name, kana, alias = self.person_name(family, female, foreign)
            start = self.day_between(dt.date(first_fy, 4, 1), dt.date(first_fy + 1, 3, 31))
            start = min(max(start, born), self.as_of)
            end = None
            if last_fy < self.last_fy:
                end = self.day_between(dt.date(last_fy + 1, 4, 1), min(self.as_of, dt.date(last_fy + 1, 12, 31)))
            birth = self.ymd7(born)
            if rng.random() < 0.0002:
                birth = "4290230"  # impossible date: INVALID_VALUE, the person is not migrated
            insured = not (position == 0 and nominal)
            deleted = rng.random() < 0.004
            sex = "2" if female else "1"
            if rng.random() < 0.01:
                sex = ""
            nationality = "2" if foreign else ("1" if rng.random() < 0.97 else "")
            self.w["kojin"].row([
                atena, setai_no, name, kana, alias, birth, sex,
                zokugara if not deleted or rng.random() < 0.8 else "０１",
                nationality, "1" if insured else "0", self.ymd7(start),
                self.ymd7(end), "1" if deleted or deleted_household else "0",
            ], ibm=rng.random() < 0.5)
            members.append({"atena": atena, "age": age, "nominal": nominal})
        return members

    def family_name(self, foreign: bool) -> tuple:
        rng = self.rng
        # The first in-scope households carry an unmapped gaiji, a mapped one and an IBM
        # extension kanji, so that even a small extract holds each of them.
        forced = {1: FAMILY_GAIJI_UNMAPPED, 2: FAMILY_GAIJI_MAPPED, 3: FAMILY_EXTENDED}
        household = self.summary.in_scope_households + 1
        if self.current_kind == "in_scope" and household in forced:
            return forced[household][0]
        if foreign:
            return rng.choice(FOREIGN)
        roll = rng.random()
        if roll < 0.03:
            return rng.choice(FAMILY_EXTENDED)
        if roll < 0.036:
            return rng.choice(FAMILY_GAIJI_MAPPED)
        if roll < 0.0375:
            return rng.choice(FAMILY_GAIJI_UNMAPPED)
        return rng.choice(FAMILY)

    def person_name(self, family: tuple, female: bool, foreign: bool) -> tuple[str, str, str]:
        rng = self.rng
        if foreign:
            fam, given, kana_f, kana_g, script = family
            if script == "romaji":
                text = f"{fam} {given}"
                name = text.translate(_FULLWIDTH) if rng.random() < 0.7 else text.replace(" ", "\u3000", 1)
            else:
                name = f"{fam}\u3000{given}"
            alias = ""
            if script == "kanji" and rng.random() < 0.35:
                a_fam, a_given = rng.choice(ALIASES)
                alias = f"{a_fam}\u3000{a_given}"
            return name, f"{kana_f} {kana_g}", alias
        fam, kana_f = family
        pool = GIVEN_FEMALE if female else GIVEN_MALE
        given, kana_g = rng.choice(GIVEN_EXTENDED) if rng.random() < 0.01 else rng.choice(pool)
        return f"{fam}\u3000{given}", f"{kana_f} {kana_g}", ""

    def orphan_person(self, setai_no: str) -> None:
        """A KOJIN row whose household is in no SETAI row (exception ORPHAN)."""
        name, kana, _ = self.person_name(self.rng.choice(FAMILY), False, False)
        self.w["kojin"].row([
            f"{self.next_id('atena', gap=7):010d}", setai_no, name, kana, "",
            self.ymd7(dt.date(1970, 5, 5)), "1", "01", "1", "1",
            self.ymd7(dt.date(2010, 4, 1)), "0000000", "0",
        ])

    # --- assessments and everything that hangs on them -------------------------------------
    def assessments(self, setai_no: str, members: list[dict], first_fy: int, last_fy: int,
                    *, all_deleted: bool) -> None:
        rng = self.rng
        payer = rng.choices("ABCD", weights=(72, 12, 12, 4))[0]
        income = rng.expovariate(1 / 160_000)
        periods: list[dict] = []
        for fy in range(first_fy, last_fy + 1):
            medical = min(540_000, 18_000 * len(members) + int(income))
            support = min(190_000, int(medical * 0.3))
            care_ages = any(40 <= m["age"] - (self.last_fy - fy) <= 64 for m in members)
            care = min(160_000, int(medical * 0.28)) if care_ages else 0
            first_period = 1 if fy != first_fy or rng.random() < 0.85 else rng.randint(2, 10)
            for period in range(first_period, 11):
                parts = [self.period_part(amount, period) for amount in (medical, support, care)]
                periods.append({"fy": fy, "period": period, "due": due_date(fy, period),
                                "parts": parts, "paid": 0, "demand": None,
                                "last_payment": None})
        for p in periods:
            self.pay_period(setai_no, p, payer)
        pledge_dates = self.pledges(setai_no, periods, payer)
        self.seizures(setai_no, periods, payer)
        self.dispositions(setai_no, periods, payer, pledge_dates)
        if payer in "CD" or (payer == "B" and self.chance(0.2)):
            self.negotiation(setai_no, periods, rng.randint(1, 12 if payer == "C" else 5))
        for p in periods:
            self.chotei_row(setai_no, p, deleted=all_deleted)
        if self.chance(0.01):  # a payment for a period the household was never assessed
            fy = self.years[0] if first_fy > self.years[0] else self.last_fy + 1
            self.shuno_row(setai_no, fy, rng.randint(1, 10),
                           self.day_between(dt.date(self.years[0], 6, 1), self.as_of), 5000, "01")

    @staticmethod
    def period_part(annual: int, period: int) -> int:
        each = annual // 10 // 100 * 100
        return annual - 9 * each if period == 1 else each

    def lateness(self, payer: str, due: dt.date) -> tuple[int | None, float]:
        """Days after the due date the payer pays (None: not at all), and the share paid."""
        rng = self.rng
        late_days: int | None
        share = 1.0
        if payer == "A":
            late_days = -rng.randint(0, 10) if rng.random() < 0.5 else 0
            if due > self.as_of and rng.random() > 0.03:
                late_days = None
        elif payer == "B":
            late_days = rng.randint(5, 150)
        elif payer == "C":
            roll = rng.random()
            late_days = rng.randint(20, 400) if roll < 0.5 else None
            if roll < 0.15:
                share = 0.5
        else:
            late_days = None
        return late_days, share

    def pay_period(self, setai_no: str, p: dict, payer: str) -> None:
        rng = self.rng
        due: dt.date = p["due"]
        amount = sum(p["parts"])
        if amount == 0:
            return
        late_days, share = self.lateness(payer, due)
        paid_on = due + dt.timedelta(days=late_days) if late_days is not None else None
        if paid_on is not None and paid_on > self.as_of:
            paid_on = None
        demand_on = due + dt.timedelta(days=20)
        if demand_on <= self.as_of and (paid_on is None or paid_on > demand_on):
            p["demand"] = demand_on
        if paid_on is None:
            return
        method = "02" if late_days == 0 else rng.choice(("01", "03", "04", "07", "08"))
        first = amount if share == 1.0 else amount // 2
        fee = rng.randint(1, 40) * 100 if late_days and late_days > 60 else 0
        self.shuno_row(setai_no, p["fy"], p["period"], paid_on, first, method, fee)
        p["paid"] += first
        p["last_payment"] = paid_on
        if self.fault("unknown-code"):
            self.shuno_row(setai_no, p["fy"], p["period"], paid_on, 0, "09")
        if self.fault("negative-amount"):
            self.shuno_row(setai_no, p["fy"], p["period"], paid_on, -2 * first, "01")
            p["paid"] -= 2 * first
        if rng.random() < 0.003:  # a payment reversed (取消), sometimes paid again
            reversed_on = min(paid_on + dt.timedelta(days=rng.randint(1, 20)), self.as_of)
            self.shuno_row(setai_no, p["fy"], p["period"], reversed_on, -first, method)
            p["paid"] -= first
            if rng.random() < 0.5:
                self.shuno_row(setai_no, p["fy"], p["period"], reversed_on, first, "01")
                p["paid"] += first
        if payer == "A" and rng.random() < 0.002:  # paid twice: 過誤納
            self.shuno_row(setai_no, p["fy"], p["period"], paid_on, first, "01")
            p["paid"] += first
        if rng.random() < 0.0005:  # keyed with next year's date: FUTURE_DATE
            self.shuno_row(setai_no, p["fy"], p["period"],
                           self.as_of + dt.timedelta(days=rng.randint(1, 300)), 1000, "01")
        if rng.random() < 0.0002:  # an amount that is not an integer: INVALID_VALUE
            self.shuno_row(setai_no, p["fy"], p["period"], paid_on, 0, "01", amount_text="１２００")
        if rng.random() < 0.004:  # a deleted payment row
            self.shuno_row(setai_no, p["fy"], p["period"], paid_on, first, "1", deleted=True)

    def shuno_row(self, setai_no: str, fy: int, period: int, day: dt.date, amount: int,
                  method: str, fee: int = 0, *, deleted: bool = False,
                  amount_text: str | None = None) -> None:
        self.w["shuno"].row([
            str(self.next_id("shuno")), setai_no, wareki.to_nen3(fy), f"{period:02d}",
            wareki.to_ymd8(day), amount_text if amount_text is not None else str(amount),
            str(fee) if fee else ("0" if self.rng.random() < 0.7 else ""), method,
            "1" if deleted else "0",
        ])

    def chotei_row(self, setai_no: str, p: dict, *, deleted: bool) -> None:
        rng = self.rng
        medical, support, care = p["parts"]
        total = medical + support + care
        recorded = total + (rng.choice((-100, 100, 1000)) if rng.random() < 0.001 else 0)
        assessed_fy = p["fy"] + (1 if rng.random() < 0.02 and p["fy"] < self.last_fy else 0)
        nokigen = self.ymd7(p["due"])
        if rng.random() < 0.00005:
            nokigen = "4000630"  # era year 00: INVALID_VALUE
        chotei_id = self.next_id("chotei")
        fields = [
            str(chotei_id), setai_no, wareki.to_nen3(assessed_fy), wareki.to_nen3(p["fy"]),
            f"{p['period']:02d}", str(medical), str(support), str(care), str(recorded),
            nokigen, self.ymd7(p["demand"]) if p["demand"] or rng.random() < 0.8 else "",
            "1" if deleted else "0",
        ]
        self.w["chotei"].row(fields)
        same_id = not deleted and self.fault("duplicate-key")
        if rng.random() < 0.01 or same_id:
            # the row before a correction: deleted, same period, its own id (unless faulty)
            twin = list(fields)
            if not same_id:
                twin[0] = str(self.next_id("chotei"))
            twin[5] = str(medical + 1000)
            twin[8] = str(total + 1000)
            twin[-1] = "1"
            self.w["chotei"].row(twin)
        if not deleted and self.fault("duplicate-period"):
            twin = list(fields)
            twin[0] = str(self.next_id("chotei"))
            self.w["chotei"].row(twin)

    def pledges(self, setai_no: str, periods: list[dict], payer: str) -> list[dt.date]:
        rng = self.rng
        if payer != "C" or rng.random() > 0.4:
            return []
        dates = []
        for _ in range(rng.choices((1, 2), weights=(85, 15))[0]):
            signed = self.day_between(self.as_of - dt.timedelta(days=700), self.as_of)
            arrears = sum(sum(p["parts"]) - p["paid"] for p in periods if p["due"] < signed)
            installments = rng.randint(6, 24)
            monthly = max(1000, arrears // installments // 100 * 100)
            status = rng.choices(("01", "02", "03", "04"), weights=(60, 10, 25, 5))[0]
            start = signed + dt.timedelta(days=31)
            if rng.random() < 0.003:
                signed = self.as_of + dt.timedelta(days=rng.randint(1, 30))  # FUTURE_DATE
            self.w["bunno_seiyaku"].row([
                str(self.next_id("seiyaku", gap=3)), setai_no, self.ymd7(signed),
                wareki.to_ym5(start.year, start.month), str(installments), str(monthly),
                str(monthly * installments), status, "1" if rng.random() < 0.01 else "0",
            ])
            dates.append(signed)
        return dates

    def seizures(self, setai_no: str, periods: list[dict], payer: str) -> None:
        rng = self.rng
        if not ((payer == "C" and rng.random() < 0.15) or (payer == "D" and rng.random() < 0.05)):
            return
        seized_on = self.day_between(self.as_of - dt.timedelta(days=900), self.as_of)
        unpaid = [p for p in periods if p["due"] < seized_on and sum(p["parts"]) > p["paid"]]
        seized = rng.randint(10, 800) * 1000
        applied = 0
        if unpaid and rng.random() < 0.6:  # applied to the oldest period (差押充当)
            oldest = unpaid[0]
            applied = min(seized, sum(oldest["parts"]) - oldest["paid"])
            paid_on = seized_on + dt.timedelta(days=14)
            if paid_on <= self.as_of and applied > 0:
                self.shuno_row(setai_no, oldest["fy"], oldest["period"], paid_on, applied, "05")
                oldest["paid"] += applied
                oldest["last_payment"] = paid_on
        released = None
        if rng.random() < 0.5:
            released = self.day_between(seized_on, self.as_of)
        extra = ",X" if self.fault("unparsable-line") else ""
        self.w["sashiosae"].row([
            str(self.next_id("sashiosae", gap=3)), setai_no, self.ymd7(seized_on),
            rng.choices(("01", "02", "03", "06"), weights=(70, 20, 5, 5))[0],
            rng.choice(BANKS), str(seized), str(applied), self.ymd7(released),
            "1" if rng.random() < 0.01 else "0",
        ], extra=extra, ibm=rng.random() < 0.5)

    def dispositions(self, setai_no: str, periods: list[dict], payer: str,
                     pledge_dates: list[dt.date]) -> None:
        """Write-offs of prescribed periods, suspensions, and a few cancellations."""
        rng = self.rng
        if payer not in "CD":
            return
        for p in periods:
            unpaid = sum(p["parts"]) - p["paid"]
            if unpaid <= 0 or p["due"] >= self.as_of:
                continue
            start = (p["demand"] + dt.timedelta(days=11)) if p["demand"] else p["due"] + dt.timedelta(days=1)
            if p["last_payment"]:
                start = max(start, p["last_payment"] + dt.timedelta(days=1))
            for signed in pledge_dates:
                if signed > p["due"]:
                    start = max(start, signed + dt.timedelta(days=1))
            prescribed = _add_years(start, 2) - dt.timedelta(days=1)
            if prescribed < self.as_of and rng.random() < 0.85:
                written = min(prescribed + dt.timedelta(days=rng.randint(1, 90)), self.as_of)
                self.shobun_row(setai_no, p, "03", "05", written, unpaid)
                p["paid"] += unpaid
            elif payer == "D" and rng.random() < 0.3:
                suspended = self.day_between(p["due"] + dt.timedelta(days=60), self.as_of)
                if suspended <= self.as_of:
                    self.shobun_row(setai_no, p, "01", "03", suspended, unpaid)
                    if rng.random() < 0.15:
                        cancelled = self.day_between(suspended, self.as_of)
                        self.shobun_row(setai_no, p, "02", "03", cancelled, unpaid)
        if rng.random() < 0.02:  # a disposition for a period never assessed
            self.shobun_row(setai_no, {"fy": self.last_fy + 1, "period": 1}, "01", "02",
                            self.as_of - dt.timedelta(days=3), 1000)

    def shobun_row(self, setai_no: str, p: dict, kind: str, basis: str, day: dt.date,
                   amount: int) -> None:
        self.w["shobun"].row([
            str(self.next_id("shobun", gap=2)), setai_no, wareki.to_nen3(p["fy"]),
            f"{p['period']:02d}", kind, basis, self.ymd7(day), str(amount),
            "1" if self.rng.random() < 0.005 else "0",
        ])

    def negotiation(self, setai_no: str, periods: list[dict], count: int) -> None:
        rng = self.rng
        for _ in range(count):
            day = self.day_between(self.as_of - dt.timedelta(days=1000), self.as_of)
            if rng.random() < 0.004:
                day = self.as_of + dt.timedelta(days=rng.randint(1, 60))  # FUTURE_DATE
            kosho = self.ymd7(day)
            if rng.random() < 0.0005:
                kosho = "4291131"  # 31 November: INVALID_VALUE
            self.w["kosho_keika"].row([
                str(self.next_id("keika", gap=2)), setai_no, kosho,
                rng.choice(("01", "02", "03", "04", "05", "06")), rng.choice(("01", "02", "03", "04")),
                self.negotiation_text(), rng.choice(self.tanto_codes),
                "1" if rng.random() < 0.01 else "0",
            ], ibm=rng.random() < 0.5)

    def negotiation_text(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.03:
            return ""
        lines = rng.choices((1, 2, 3, 5, 8), weights=(45, 25, 15, 10, 5))[0]
        if roll > 0.997:
            lines = 60  # up to 2,000 characters
        parts = []
        for _ in range(lines):
            template = rng.choice(TEXTS)
            fam, _ = rng.choice(FAMILY + FAMILY_EXTENDED + FAMILY_GAIJI_MAPPED)
            parts.append(template.format(
                m=rng.randint(1, 12), a=f"{rng.randint(1, 300) * 1000:,}", n=rng.randint(1, 12),
                rel=rng.choice(RELATIONS), name=f"{fam}{rng.choice(GIVEN_MALE)[0]}",
                bank=rng.choice(BANKS), t1=f"{rng.randint(0, 9999):04d}",
                t2=f"{rng.randint(0, 9999):04d}"))
            if rng.random() < 0.05:
                parts.append("")  # an empty line
            if rng.random() < 0.03:
                parts.append(parts[-1] * 8)  # a line over 200 bytes
        text = "\r\n".join(parts)
        if rng.random() < 0.05:
            text = text.replace("\r\n", "\n")  # some screens wrote LF only
        return text[:2000]


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def generate(out: Path, options: Options,
             progress: Callable[[str], None] | None = None) -> Summary:
    """Write one extract directory; return what it holds (counts only)."""
    unknown = set(options.faults) - set(FAULTS)
    if unknown:
        raise ValueError(f"unknown fault(s): {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(FAULTS)}")
    if progress:
        progress(f"generating {options.households:,} in-scope households as of "
                 f"{options.as_of.isoformat()} (seed {options.seed}) into {out}")
    return Generator(out, options).run()


def describe_faults() -> Iterable[str]:
    for name, text in FAULTS.items():
        yield f"{name}: {text}"
