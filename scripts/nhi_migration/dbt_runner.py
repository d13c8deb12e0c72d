"""Run dbt for one round: its own target and log folders, the round's vars, no telemetry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import pgcluster
from .paths import PROJECT_DIR, round_work_dir

# Nothing leaves the ward's machine: dbt's anonymous usage statistics and its version
# check stay off whatever the user's own settings say.
QUIET_ENVIRONMENT = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "DBT_VERSION_CHECK": "False",
    "DO_NOT_TRACK": "1",
}


@dataclass(frozen=True)
class RoundParameters:
    """setup-layouts.md §1: what one run belongs to."""

    round_id: str
    as_of: str
    expected_households: int

    def as_vars(self) -> dict[str, object]:
        return {"round": self.round_id, "as_of": self.as_of,
                "expected_households": self.expected_households}


def target_dir(round_id: str) -> Path:
    return round_work_dir(round_id) / "target"


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


# dbt's threads when NHI_DBT_THREADS is not set: the default of profiles/profiles.yml.
DEFAULT_THREADS = 2


def parallel_workers_per_statement(threads: int, cores: int) -> int:
    """Parallel workers each of dbt's statements may have on a server with ``cores``.

    dbt already runs ``threads`` statements at once. A parallel worker beyond the
    cores left over only takes CPU from the other thread's statement, and its tuple
    transfer costs CPU of its own: on 2 cores with 2 threads a default round's build
    took 46 s with parallel query and 40 s without (benchmark.py, 2026-12-02).
    """
    return max(0, cores // max(threads, 1) - 1)


def dbt_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(QUIET_ENVIRONMENT)
    env.setdefault("DBT_PROFILES_DIR", str(PROJECT_DIR / "profiles"))
    if env.get(pgcluster.EMBEDDED_MARKER):
        # The embedded cluster shares this machine's cores with dbt's threads; a
        # server of the user's own keeps its own parallel settings.
        # server of the user's own keeps its own parallel settings. A malformed
        # NHI_DBT_THREADS is left for dbt to refuse.
        threads = env.get("NHI_DBT_THREADS") or str(DEFAULT_THREADS)
        if threads.isascii() and threads.isdigit():
            workers = parallel_workers_per_statement(int(threads), os.cpu_count() or 1)
            env["PGOPTIONS"] = " ".join(filter(None, [
                env.get("PGOPTIONS"), f"-c max_parallel_workers_per_gather={workers}"]))
    return env


def run_dbt(command: Sequence[str], parameters: RoundParameters,
            output: Callable[[str], None] = print, *, target: Path | None = None) -> int:
    """Run ``dbt <command>`` for the round; stream its lines to ``output``; return its code."""
    work = round_work_dir(parameters.round_id)
    work.mkdir(parents=True, exist_ok=True)
    os.chmod(work, 0o700)
    arguments = [
        dbt_executable(), *command,
        "--project-dir", str(PROJECT_DIR),
        "--target-path", str(target or target_dir(parameters.round_id)),
        "--log-path", str(work / "logs"),
        "--vars", json.dumps(parameters.as_vars()),
        "--no-use-colors",
    ]
    process = subprocess.Popen(arguments, cwd=PROJECT_DIR, env=dbt_environment(),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        output(line.rstrip("\n"))
    return process.wait()
