"""One command at a time per round: a second one for the same round is refused at once.

Rounds are independent (their own schemas and work folders), so two rounds may run at
once on one cluster; two commands on the same round would replace each other's schemas
mid-way. The lock is an ``flock`` on ``.local/locks/<round>.lock``, released by the
kernel when the process ends, however it ends (kill -9 included).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from . import paths, refused


class RoundBusy(refused.Refused):
    """Another process holds the round."""


@contextmanager
def round_lock(round_id: str) -> Iterator[None]:
    folder = paths.LOCAL_DIR / "locks"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Schemas are named in lower case: TEST01 and test01 are the same round there.
    path = folder / f"{paths.check_round(round_id).lower()}.lock"
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
            raise RoundBusy(
                f"round {round_id} is in use by another command (process {holder or '?'}): "
                "wait for it to finish, or run another round; two commands on one round "
                "would replace each other's work") from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, str(os.getpid()).encode("ascii"), 0)
        yield
    finally:
        os.close(descriptor)
