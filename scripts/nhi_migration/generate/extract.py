"""One extract, start to end: the code master and staff, every household in a shuffled
order of kinds (in scope, no assessment, deleted, …), the files closed (some without a
final CRLF), _CONTROL.csv, then the faults that damage whole files."""

from __future__ import annotations

from .. import legacy
from . import faults
from .arrears import Arrears
from .model import Summary
from .people import People
from .vocabulary import CODE_MASTER, GIVEN_MALE, STAFF
from .writer import TableWriter


class Generator(People, Arrears):
    """One extract. Call :meth:`run`; the summary says what was written."""

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
        faults.damage_files(self.out, self.o.faults)

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
