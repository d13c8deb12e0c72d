"""The embedded default database: a private PostgreSQL cluster the project owns.

With no server configured (no PG* variable, no profiles folder of the user's own), the
project runs its own cluster from the installed server binaries. The cluster listens on a
Unix socket only (no TCP port), in a folder only its owner can enter, and logs no
statement text or error detail (so no resident's data reaches the server log).

The cluster lives in ``.local/pg`` inside the project when the server's operating-system
user can reach it. As root the server runs as the ``postgres`` user (initdb and postgres
refuse root); a clone inside a private (mode 700) folder is out of that user's reach, so
the cluster then goes to a folder of its own under the system temporary directory. The
pointer file ``.local/pg-location`` records where it is, so that ``stop`` and ``erase``
find it again.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .paths import LOCAL_DIR

DATABASE = "nhi"
SUPERUSER = "postgres"
# Least privilege (特記事項 8, 13): the vendor's commands connect as VENDOR_ROLE, which
# owns what it builds; ward staff verify as STAFF_ROLE, which reads only what dbt grants.
VENDOR_ROLE = "nhi_vendor"
STAFF_ROLE = "nhi_staff"
PORT = 5432
# Set with the libpq variables of the embedded cluster, so that a child process (a test,
# a script that ran `eval "$(migrate.py db env)"`) knows the server is ours.
EMBEDDED_MARKER = "NHI_EMBEDDED_CLUSTER"
# Variables that mean "a server is configured: use it, never start our own".
EXTERNAL_SERVER_VARIABLES = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER", "PGDATABASE", "PGSERVICE")
# Scratch-cluster settings: the data can always be reloaded from the extract, so
# durability is traded for speed; nothing is logged that could carry a value.
SERVER_SETTINGS = {
    "listen_addresses": "''",
    "unix_socket_permissions": "0700",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_wal_size": "4GB",
    # Memory: a whole round stays within 1 GiB with the CLI and dbt (benchmark.py
    # measures it): shared_buffers is counted once, each sort or hash of each process
    # (a parallel query has three) may take work_mem, no more (hash_mem_multiplier 1),
    # and an index build (the load's key checks) maintenance_work_mem: with 512MB the
    # backend building CHOTEI's key index at 10× reached 519 MiB; with 128MB 134 MiB, in
    # the same 5.5–5.8 s (at the default size the sort fits in either).
    "shared_buffers": "256MB",
    "work_mem": "64MB",
    "hash_mem_multiplier": "1.0",
    "maintenance_work_mem": "128MB",
    "jit": "off",
    "log_min_messages": "fatal",
    "log_min_error_statement": "panic",
    "log_connections": "off",
    "log_statement": "none",
    "timezone": "'Asia/Tokyo'",
}
# Where distributions install the server (Debian/Ubuntu, RHEL, source builds, Homebrew).
SEARCH_ROOTS: tuple[tuple[Path, str], ...] = (
    (Path("/usr/lib/postgresql"), "*/bin"),
    (Path("/usr"), "pgsql-*/bin"),
    (Path("/usr/local/pgsql"), "bin"),
    (Path("/opt/homebrew/opt"), "postgresql*/bin"),
    (Path("/usr/local/opt"), "postgresql*/bin"),
)
_SOCKET_PATH_LIMIT = 100  # sun_path is 108 bytes; leave room for ".s.PGSQL.5432"


class ClusterError(RuntimeError):
    """A one-line, user-facing reason why the embedded cluster cannot be used."""


def external_server_configured() -> bool:
    """True when the user points the project at a server of their own (the variables
    ``db env`` prints for the embedded cluster do not count: they carry its marker)."""
    marker = os.environ.get(EMBEDDED_MARKER)
    if marker and os.environ.get("PGHOST") == marker:
        return False
    if any(os.environ.get(name) for name in EXTERNAL_SERVER_VARIABLES):
        return True
    return bool(os.environ.get("DBT_PROFILES_DIR"))


def find_server_bindir() -> Path:
    """Find a folder holding initdb, pg_ctl and postgres (highest version first)."""
    candidates: list[Path] = []
    if os.environ.get("NHI_PG_BINDIR"):
        candidates.append(Path(os.environ["NHI_PG_BINDIR"]))
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for pattern_root, pattern in SEARCH_ROOTS:
        if pattern_root.is_dir():
            found = sorted(pattern_root.glob(pattern), key=_version_key, reverse=True)
            candidates.extend(found)
    for folder in candidates:
        if all((folder / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return folder
    raise ClusterError(
        "no PostgreSQL server is configured and no server binaries (initdb, pg_ctl, postgres) "
        "were found. Install them (Debian/Ubuntu: apt-get install postgresql; RHEL/Fedora: "
        "dnf install postgresql-server; macOS: brew install postgresql@16), or set "
        "NHI_PG_BINDIR to the folder holding pg_ctl, or set PGHOST/PGPORT/PGUSER/PGPASSWORD/"
        "PGDATABASE to use an existing server."
    )


def _version_key(path: Path) -> tuple[int, ...]:
    digits = "".join(ch if ch.isdigit() else " " for ch in str(path)).split()
    return tuple(int(d) for d in digits) or (0,)


def _server_user() -> str | None:
    """The OS user the server runs as: None for ourselves, 'postgres' when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise ClusterError(
            "running as root, but there is no 'postgres' user to run the server as "
            "(PostgreSQL refuses to run as root): run as a normal user, or create it with "
            "'useradd --system postgres'"
        ) from exc
    return "postgres"


def _as_server_user(command: list[str], user: str | None) -> list[str]:
    if user is None:
        return command
    return ["runuser", "-u", user, "--", *command]


def _reachable_by(user: str | None, folder: Path) -> bool:
    """Can the server user enter every folder down to ``folder``?"""
    if user is None:
        return True
    probe = subprocess.run(
        ["runuser", "-u", user, "--", "test", "-x", str(folder)],
        check=False,
        capture_output=True,
    )
    return probe.returncode == 0


@dataclass(frozen=True)
class Cluster:
    """A private cluster: ``root`` holds data/, the socket and server.log."""

    root: Path
    bindir: Path
    user: str | None

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def connection_env(self, user: str = VENDOR_ROLE) -> dict[str, str]:
        """libpq variables that reach this cluster (dbt's profile reads the same ones)."""
        return {
            "PGHOST": str(self.socket_dir),
            "PGPORT": str(PORT),
            "PGUSER": user,
            "PGDATABASE": DATABASE,
            EMBEDDED_MARKER: str(self.socket_dir),
        }

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = _as_server_user([str(self.bindir / tool), *args], self.user)
        result = subprocess.run(command, check=False, capture_output=True, text=True)
        if check and result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            last = detail[-1] if detail else f"exit code {result.returncode}"
            raise ClusterError(f"{tool} failed in {self.root}: {last}")
        return result

    def is_initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").is_file()

    def is_running(self) -> bool:
        if not self.is_initialised():
            return False
        return self._run("pg_ctl", "status", "-D", str(self.data_dir), check=False).returncode == 0

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        if self.user is not None:
            shutil.chown(self.root, user=self.user, group=self.user)
        self._run(
            "initdb",
            "-D", str(self.data_dir),
            "-U", SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-instructions",
        )

    def _write_settings(self) -> None:
        """The tool's server settings, written before every start: a cluster made by an
        earlier version of the tool (or a file edited by hand) runs with today's."""
        lines = ["# Written by nhi_migration.pgcluster at every start (SERVER_SETTINGS)."]
        lines += [f"{key} = {value}" for key, value in SERVER_SETTINGS.items()]
        lines += [f"unix_socket_directories = '{self.socket_dir}'", f"port = {PORT}"]
        conf = self.data_dir / "postgresql.auto.conf"
        text = "\n".join(lines) + "\n"
        # initdb made the file, owned by the server's user: rewriting it in place keeps
        # its owner and mode (root may write it; a normal user owns it).
        if not conf.is_file() or conf.read_text(encoding="utf-8") != text:
            conf.write_text(text, encoding="utf-8")

    def start(self) -> None:
        # Two commands may start at once (two rounds on one cluster): one at a time here,
        # or both would run initdb, pg_ctl start and the role set-up together.
        self.root.parent.mkdir(parents=True, exist_ok=True)
        lock = self.root.parent / f".{self.root.name}.start.lock"
        with open(lock, "a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            if not self.is_initialised():
                self.init()
            if not self.is_running():
                self._write_settings()
                self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data_dir),
                          "-l", str(self.log_file), "-s")
            self._ensure_database()

    def stop(self) -> None:
        if self.is_running():
            self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast", "-w", "-s")

    def _ensure_database(self) -> None:
        psql = [str(self.bindir / "psql"), "-X", "-q", "-h", str(self.socket_dir),
                "-p", str(PORT), "-U", SUPERUSER, "-d", "postgres", "-tA"]
        exists = subprocess.run(
            [*psql, "-c", f"select 1 from pg_database where datname = '{DATABASE}'"],
            check=False, capture_output=True, text=True,
        )
        if exists.returncode != 0:
            raise ClusterError(f"cannot connect to the embedded cluster in {self.root}")
        if exists.stdout.strip() != "1":
            subprocess.run([*psql, "-c", f"create database {DATABASE}"], check=True,
                           capture_output=True)
        subprocess.run([*psql, "-d", DATABASE, "-c", ROLES_SQL], check=True,
                       capture_output=True)

    def destroy(self) -> None:
        """Stop the cluster and remove its folder (data, socket and log)."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=False)


ROLES_SQL = f"""
do $$ begin
    if not exists (select from pg_roles where rolname = '{VENDOR_ROLE}') then
        create role {VENDOR_ROLE} login;
    end if;
    if not exists (select from pg_roles where rolname = '{STAFF_ROLE}') then
        create role {STAFF_ROLE} login;
    end if;
end $$;
grant connect, create, temporary on database {DATABASE} to {VENDOR_ROLE};
grant connect on database {DATABASE} to {STAFF_ROLE};
revoke all on database {DATABASE} from public;
"""


def _pointer_file() -> Path:
    return LOCAL_DIR / "pg-location"


def locate_cluster() -> Cluster:
    """Where the embedded cluster is (or will be) for this project checkout."""
    bindir = find_server_bindir()
    user = _server_user()
    pointer = _pointer_file()
    if pointer.is_file():
        recorded = Path(pointer.read_text(encoding="utf-8").strip())
        if (recorded / "data").is_dir():
            return Cluster(root=recorded, bindir=bindir, user=user)
    inside = LOCAL_DIR / "pg"
    LOCAL_DIR.mkdir(parents=True, exist_ok=True)
    if len(str(inside)) <= _SOCKET_PATH_LIMIT and _reachable_by(user, LOCAL_DIR):
        root = inside
    else:
        # One cluster per folder that owns it (NHI_LOCAL_DIR), not per checkout: two
        # such folders of one checkout must never share, let alone erase, one cluster.
        tag = hashlib.sha256(str(LOCAL_DIR).encode()).hexdigest()[:12]
        root = Path(tempfile.gettempdir()) / f"nhi-migration-{os.geteuid()}-{tag}"
    pointer.write_text(f"{root}\n", encoding="utf-8")
    return Cluster(root=root, bindir=bindir, user=user)


def forget_cluster() -> None:
    pointer = _pointer_file()
    if pointer.exists():
        pointer.unlink()
