"""Assessments and everything that hangs on them: CHOTEI periods, SHUNO payments (late,
partial, reversed, twice), pledges, seizures, suspensions and write-offs, and the
negotiation records of households in arrears."""

from __future__ import annotations

import datetime as dt

from .. import wareki
from .dates import add_years, due_date
from .draw import Draw
from .vocabulary import (
    BANKS,
    FAMILY,
    FAMILY_EXTENDED,
    FAMILY_GAIJI_MAPPED,
    GIVEN_MALE,
    RELATIONS,
    TEXTS,
)


class Arrears(Draw):
    """The money side of one household, and what was done to collect it."""

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
            prescribed = add_years(start, 2) - dt.timedelta(days=1)
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
