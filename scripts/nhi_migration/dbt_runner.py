"""Run dbt for one round: its own target and log folders, the round's vars, no telemetry."""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
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
    transfer costs CPU of its own: on 2 cores with 2 threads one default round built
    three times each way, alternating, took 50.8 s on average with parallel query and
    49.1 s without (server CPU 64 against 56 s in an earlier pair; 2026-12-02).
    """
    return max(0, cores // max(threads, 1) - 1)


def with_parallel_workers(env: dict[str, str], statements: int) -> dict[str, str]:
    """``env`` with PGOPTIONS limiting each session's parallel workers for ``statements``
    at once, on the embedded cluster (it shares this machine's cores with them); a server
    of the user's own keeps its own parallel settings."""
    if not env.get(pgcluster.EMBEDDED_MARKER):
        return env
    workers = parallel_workers_per_statement(statements, os.cpu_count() or 1)
    return {**env, "PGOPTIONS": " ".join(filter(None, [
        env.get("PGOPTIONS"), f"-c max_parallel_workers_per_gather={workers}"]))}


def dbt_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(QUIET_ENVIRONMENT)
    env.setdefault("DBT_PROFILES_DIR", str(PROJECT_DIR / "profiles"))
    # dbt runs its threads' statements at once. A malformed NHI_DBT_THREADS is left for
    # dbt to refuse.
    threads = env.get("NHI_DBT_THREADS") or str(DEFAULT_THREADS)
    if threads.isascii() and threads.isdigit():
        env = with_parallel_workers(env, int(threads))
    return env


def _arguments(command: Sequence[str], parameters: RoundParameters,
               target: Path | None = None) -> list[str]:
    work = round_work_dir(parameters.round_id)
    work.mkdir(parents=True, exist_ok=True)
    os.chmod(work, 0o700)
    return [
        dbt_executable(), *command,
        "--project-dir", str(PROJECT_DIR),
        "--target-path", str(target or target_dir(parameters.round_id)),
        "--log-path", str(work / "logs"),
        "--vars", json.dumps(parameters.as_vars()),
        "--no-use-colors",
    ]


def run_dbt(command: Sequence[str], parameters: RoundParameters,
            output: Callable[[str], None] = print, *, target: Path | None = None) -> int:
    """Run ``dbt <command>`` for the round; stream its lines to ``output``; return its code."""
    process = subprocess.Popen(_arguments(command, parameters, target), cwd=PROJECT_DIR,
                               env=dbt_environment(), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        output(line.rstrip("\n"))
    return process.wait()


def _die_with_this_process() -> None:
    """In the child, before dbt starts (Linux): SIGTERM when the CLI ends, even by kill -9,
    so that no parse outlives its round (an erasure right after must find nothing new)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@contextmanager
def parsing_ahead(parameters: RoundParameters) -> Iterator[None]:
    """``dbt parse`` of the round in the background while the body runs (``run``: the
    load, which leaves a core to spare and changes no project file). ``dbt build`` then
    finds the saved parse of the same files, vars and environment and skips its own full
    parse (4–13 s of one core); if anything differs, or the parse failed, dbt parses
    again itself and says why in its log. Ended (SIGTERM) when the body fails."""
    process = subprocess.Popen(
        _arguments(["parse"], parameters), cwd=PROJECT_DIR, env=dbt_environment(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=_die_with_this_process if sys.platform.startswith("linux") else None)
    try:
        yield
    except BaseException:
        process.terminate()
        process.wait()
        raise
    process.wait()
