"""Synthetic legacy extract in exactly the legacy-extract.md format.

Nothing here is real: names, addresses and texts are drawn from small fixed lists by a
seeded random generator, so the same options give byte-identical files. The shape is a
Tokyo ward's: mostly one- and two-person households, about a fifth foreign residents,
fiscal years 平成25–29 with ten periods each, about 85 % of assessed yen collected, and
arrears concentrated in a minority of households that then carry negotiation records,
pledges, seizures, suspensions and write-offs. Every dirty pattern the spec names appears
at a low rate; options inject the faults that must stop a run.

The package: ``model`` (Options, Summary), ``vocabulary`` (the fixed lists), ``dates``,
``writer`` (one dump file: quoting, CRLF, CP932), ``draw`` (the seeded state and its
helpers), ``people`` (SETAI, KOJIN), ``arrears`` (CHOTEI, SHUNO and what hangs on them),
``faults`` and ``extract`` (one whole extract). ``scripts/generate_extract.py`` is its
command line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from . import faults
from .extract import Generator
from .faults import FAULTS, describe_faults
from .model import DEFAULT_AS_OF, DEFAULT_HOUSEHOLDS, DEFAULT_SEED, Options, Summary

__all__ = ["DEFAULT_AS_OF", "DEFAULT_HOUSEHOLDS", "DEFAULT_SEED", "FAULTS", "Generator",
           "Options", "Summary", "describe_faults", "generate"]


def generate(out: Path, options: Options,
             progress: Callable[[str], None] | None = None) -> Summary:
    """Write one extract directory; return what it holds (counts only)."""
    faults.check(options.faults)
    if progress:
        progress(f"generating {options.households:,} in-scope households as of "
                 f"{options.as_of.isoformat()} (seed {options.seed}) into {out}")
    return Generator(out, options).run()
