"""Households and the people in them: SETAI and KOJIN rows — names (gaiji, extension
kanji, foreign residents), addresses, postal codes and phones in every way the legacy
screens let them be written, and orphan persons."""

from __future__ import annotations

import datetime as dt

from .draw import Draw
from .vocabulary import (
    ALIASES,
    BUILDINGS,
    FAMILY,
    FAMILY_EXTENDED,
    FAMILY_GAIJI_MAPPED,
    FAMILY_GAIJI_UNMAPPED,
    FOREIGN,
    FULLWIDTH,
    GIVEN_EXTENDED,
    GIVEN_FEMALE,
    GIVEN_MALE,
    KANJI_DIGITS,
    LONG_BUILDING,
    TOWNS,
)


class People(Draw):
    """SETAI and KOJIN rows of one household."""

    def setai_row(self, setai_no: str, head: str, nominal: bool, first_fy: int,
                  kind: str) -> None:
        rng = self.rng
        town, postal = rng.choice(TOWNS)
        block = (rng.randint(1, 8), rng.randint(1, 30), rng.randint(1, 25))
        style = rng.random()
        if style < 0.5:
            address = (f"東京都新宿区{town}{KANJI_DIGITS[block[0]]}丁目"
                       f"{block[1]}番{block[2]}号").translate(FULLWIDTH)
        elif style < 0.8:
            address = f"東京都新宿区{town}{block[0]}-{block[1]}-{block[2]}".translate(FULLWIDTH)
        else:
            address = f"東京都新宿区{town}{block[0]}-{block[1]}-{block[2]}"
        extra = ""
        if rng.random() < 0.55:
            room = rng.choice((101, 102, 201, 203, 305, 402, 1205))
            extra = f"{rng.choice(BUILDINGS)} {room}" if rng.random() < 0.3 else \
                f"{rng.choice(BUILDINGS)}{room}号室".translate(FULLWIDTH)
        if rng.random() < 0.002:  # the building written into the address: must be cut
            address = address + "\u3000" + LONG_BUILDING + "１２０５号室"
        postal_style = rng.random()
        if postal_style < 0.5:
            zip_code = postal
        elif postal_style < 0.8:
            zip_code = f"{postal[:3]}-{postal[3:]}"
        elif postal_style < 0.9:
            zip_code = f"{postal[:3]}-{postal[3:]}".translate(FULLWIDTH)
        elif postal_style < 0.95:
            zip_code = f"〒{postal[:3]}-{postal[3:]}"
        elif postal_style < 0.98:
            zip_code = ""
        else:
            zip_code = postal[:6]  # six digits: written blank
        phone = self.phone_number()
        chiku = f"{rng.randint(1, 10):02d}"
        if rng.random() < 0.03:
            chiku = chiku.translate(FULLWIDTH)
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
            return f"{a}-{b}-{c}".translate(FULLWIDTH).replace("－", rng.choice("－ー−"))
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
                name = text.translate(FULLWIDTH) if rng.random() < 0.7 else text.replace(" ", "\u3000", 1)
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
