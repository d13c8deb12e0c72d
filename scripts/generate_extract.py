"""Write a synthetic legacy extract (legacy-extract.md) into a directory.

    python scripts/generate_extract.py --out DIR [--households N] [--seed S]
        [--as-of YYYY-MM-DD] [--fault NAME ...]

Everything in it is invented; the same options give byte-identical files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

from nhi_migration import generate


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Write a synthetic legacy extract (CP932 CSV, 和暦, gaiji) into DIR.",
        epilog="Faults (repeat --fault to combine):\n  "
        + "\n  ".join(generate.describe_faults()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", required=True, type=Path, help="directory to write (created)")
    parser.add_argument("--households", type=int, default=generate.DEFAULT_HOUSEHOLDS,
                        help="in-scope households (default %(default)s)")
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED,
                        help="random seed (default %(default)s)")
    parser.add_argument("--as-of", type=dt.date.fromisoformat,
                        default=generate.DEFAULT_AS_OF,
                        help="基準日 of the extract, YYYY-MM-DD (default %(default)s)")
    parser.add_argument("--fault", action="append", default=[], choices=sorted(generate.FAULTS),
                        metavar="NAME", help="inject a fault that must stop a run (see below)")
    args = parser.parse_args(argv)
    if args.households < 1:
        parser.error("--households must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    options = generate.Options(households=args.households, seed=args.seed, as_of=args.as_of,
                               faults=frozenset(args.fault))
    summary = generate.generate(args.out, options, progress=print)
    elapsed = time.perf_counter() - started
    for table, count in summary.records.items():
        total = summary.amount_totals.get(table)
        suffix = f"  amount {total:,}" if total is not None else ""
        print(f"  {table:<14} {count:>10,} records{suffix}")
    print(f"{summary.in_scope_households:,} in-scope households; written in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
