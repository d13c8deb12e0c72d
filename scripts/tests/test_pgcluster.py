"""The embedded default database: a private cluster that starts, answers and stops."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg2
import pytest

from nhi_migration import db, dbt_runner, export, paths, pgcluster
from nhi_migration.steps import run as run_step

from conftest import run_cli


@pytest.fixture()
def private_cluster():
    """A second cluster in a fresh folder the server user can reach."""
    bindir = pgcluster.find_server_bindir()
    parent = Path(tempfile.mkdtemp(prefix="nhi-pgtest-", dir="/tmp"))
    parent.chmod(0o755)
    cluster = pgcluster.Cluster(root=parent / "pg", bindir=bindir,
                                user=pgcluster._server_user())
    yield cluster
    cluster.stop()
    shutil.rmtree(parent, ignore_errors=True)


def test_a_cluster_starts_listens_only_on_its_socket_and_stops(private_cluster):
    cluster = private_cluster
    assert not cluster.is_running()
    cluster.start()
    assert cluster.is_running()
    env = cluster.connection_env()
    connection = psycopg2.connect(host=env["PGHOST"], port=env["PGPORT"], user=env["PGUSER"],
                                  dbname=env["PGDATABASE"])
    with connection, connection.cursor() as cursor:
        cursor.execute("show listen_addresses")
        assert cursor.fetchone() == ("",)
        cursor.execute("show log_min_error_statement")
        assert cursor.fetchone() == ("panic",)
    connection.close()
    assert oct(cluster.root.stat().st_mode & 0o777) == "0o700"
    cluster.stop()
    assert not cluster.is_running()
    cluster.start()  # starts again on the same data
    assert cluster.is_running()


def test_a_cluster_made_by_an_older_version_starts_with_the_current_settings(private_cluster):
    """The settings are the tool's, not the cluster's: a cluster initialised when the
    tool had other settings (or whose file was edited) gets today's at its next start."""
    cluster = private_cluster
    cluster.start()
    cluster.stop()
    conf = cluster.data_dir / "postgresql.auto.conf"
    stale = conf.read_text(encoding="utf-8").replace(
        f"work_mem = {pgcluster.SERVER_SETTINGS['work_mem']}\n", "work_mem = 128MB\n")
    assert "work_mem = 128MB" in stale
    conf.write_text(stale + "hash_mem_multiplier = 2.0\n", encoding="utf-8")
    cluster.start()
    env = cluster.connection_env()
    connection = psycopg2.connect(host=env["PGHOST"], port=env["PGPORT"], user=env["PGUSER"],
                                  dbname=env["PGDATABASE"])
    with connection, connection.cursor() as cursor:
        cursor.execute("show work_mem")
        assert cursor.fetchone() == (pgcluster.SERVER_SETTINGS["work_mem"],)
        cursor.execute("show shared_buffers")
        assert cursor.fetchone() == (pgcluster.SERVER_SETTINGS["shared_buffers"],)
        cursor.execute("select current_setting('hash_mem_multiplier')::float8")
        assert cursor.fetchone() == (float(pgcluster.SERVER_SETTINGS["hash_mem_multiplier"]),)
    connection.close()


def test_configured_server_is_used_and_no_cluster_is_started(monkeypatch, tmp_path):
    monkeypatch.setenv("PGHOST", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("PGPORT", "6543")
    monkeypatch.setenv("PGDATABASE", "wardtest")
    monkeypatch.setattr(db, "_embedded", None)
    monkeypatch.setattr(pgcluster, "locate_cluster",
                        lambda: pytest.fail("must not look for the embedded cluster"))
    assert db.ensure_server() == f"configured server {tmp_path / 'elsewhere'}:6543 database wardtest"


def test_without_server_binaries_the_message_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("NHI_PG_BINDIR", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(pgcluster, "SEARCH_ROOTS", ())
    with pytest.raises(pgcluster.ClusterError) as caught:
        pgcluster.find_server_bindir()
    message = str(caught.value)
    assert "no PostgreSQL server is configured" in message
    assert "apt-get install postgresql" in message
    assert "PGHOST" in message


def test_cli_help_and_one_line_refusals(tmp_path, server):
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("run", "load", "build", "db"):
        assert command in result.stdout
    result = run_cli("load", "--input", str(tmp_path / "nowhere"), "--round", "TEST01")
    assert result.returncode == 1
    refusal = [line for line in result.stderr.splitlines() if line.startswith("REFUSED")]
    assert len(refusal) == 1 and "no such extract directory" in refusal[0]
    result = run_cli("build", "--round", "TOOLONG1", "--as-of", "2017-11-10",
                     "--expected-households", "1")
    assert result.returncode == 1 and "exactly 6 characters" in result.stderr
    result = run_cli("build", "--round", "TEST01", "--as-of", "2017-02-30",
                     "--expected-households", "1")
    assert result.returncode == 1 and "real date" in result.stderr
    # a round never loaded: one line that says to load it, before dbt starts
    result = run_cli("build", "--round", "PYNONE", "--as-of", "2017-11-10",
                     "--expected-households", "1")
    refusal = [line for line in result.stderr.splitlines() if line.startswith("REFUSED")]
    assert result.returncode == 1 and len(refusal) == 1, result.stderr
    assert refusal[0] == ("REFUSED: round PYNONE has not been loaded (no schema pynone_raw): "
                          "run `migrate.py load --input EXTRACT_DIR --round PYNONE` first")
    assert "[build]" not in result.stdout and not paths.round_work_dir("PYNONE").exists()


def test_two_folders_of_one_checkout_never_share_a_cluster(tmp_path, server):
    """A checkout in a private folder puts its cluster in the temporary folder: one per
    folder that owns it (NHI_LOCAL_DIR), so that erasing one never erases another's."""
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    roots = []
    for name in ("a", "b"):
        env = {**os.environ, "NHI_LOCAL_DIR": str(private / name)}
        result = subprocess.run(
            [sys.executable, "-c",
             "from nhi_migration import pgcluster; print(pgcluster.locate_cluster().root)"],
            cwd=paths.PROJECT_DIR, env=env, capture_output=True, text=True, check=True)
        roots.append(result.stdout.strip())
    suite = db.embedded_cluster()
    assert roots[0] != roots[1]
    if suite is not None:
        assert str(suite.root) not in roots


def test_dbt_on_the_embedded_cluster_leaves_the_cores_to_its_threads(monkeypatch, server):
    """Each dbt thread's statement runs without parallel workers when the threads take
    every core (2 and 2 here); with cores to spare it gets its share; a server of the
    user's own, or a malformed NHI_DBT_THREADS (dbt refuses it), is left alone."""
    monkeypatch.setenv(pgcluster.EMBEDDED_MARKER, os.environ.get(pgcluster.EMBEDDED_MARKER)
                       or "/embedded")
    monkeypatch.setenv("PGOPTIONS", "-c statement_timeout=0")
    monkeypatch.setenv("NHI_DBT_THREADS", "2")
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    env = dbt_runner.dbt_environment()
    assert env["PGOPTIONS"] == "-c statement_timeout=0 -c max_parallel_workers_per_gather=0"
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert dbt_runner.dbt_environment()["PGOPTIONS"].endswith("max_parallel_workers_per_gather=3")
    monkeypatch.delenv("NHI_DBT_THREADS")  # the profile's default, 2
    assert dbt_runner.dbt_environment()["PGOPTIONS"].endswith("max_parallel_workers_per_gather=3")
    monkeypatch.setenv("NHI_DBT_THREADS", "two")
    assert dbt_runner.dbt_environment()["PGOPTIONS"] == "-c statement_timeout=0"
    monkeypatch.setenv("NHI_DBT_THREADS", "2")
    monkeypatch.delenv(pgcluster.EMBEDDED_MARKER)
    assert dbt_runner.dbt_environment()["PGOPTIONS"] == "-c statement_timeout=0"
    # libpq (psycopg2, as dbt-postgres connects without options of its own) applies it
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setenv(pgcluster.EMBEDDED_MARKER, "/embedded")
    monkeypatch.setenv("PGOPTIONS", dbt_runner.dbt_environment()["PGOPTIONS"])
    connection = psycopg2.connect("")
    with connection, connection.cursor() as cursor:
        cursor.execute("show max_parallel_workers_per_gather")
        assert cursor.fetchone() == ("0",)
    connection.close()


def test_runs_validation_and_export_sessions_take_no_parallel_workers(monkeypatch, server):
    """While `run` validates and exports at once (the export's connections and GX's),
    this process's sessions on the embedded cluster get no parallel workers on 2 cores,
    one each on 8; PGOPTIONS is as it was afterwards; a server of the user's own keeps
    its settings."""
    monkeypatch.setenv(pgcluster.EMBEDDED_MARKER, os.environ.get(pgcluster.EMBEDDED_MARKER)
                       or "/embedded")
    monkeypatch.setenv("PGOPTIONS", "-c statement_timeout=0")
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    statements = export.EXPORT_CONNECTIONS + 1
    assert dbt_runner.with_parallel_workers(dict(os.environ), statements)["PGOPTIONS"] == (
        "-c statement_timeout=0 -c max_parallel_workers_per_gather=1")
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    with run_step.sessions_environment(dbt_runner.with_parallel_workers(dict(os.environ),
                                                                        statements)):
        connection = psycopg2.connect("")
        with connection, connection.cursor() as cursor:
            cursor.execute("show max_parallel_workers_per_gather")
            assert cursor.fetchone() == ("0",)
        connection.close()
    assert os.environ["PGOPTIONS"] == "-c statement_timeout=0"
    monkeypatch.delenv(pgcluster.EMBEDDED_MARKER)
    assert dbt_runner.with_parallel_workers(dict(os.environ), statements)["PGOPTIONS"] == (
        "-c statement_timeout=0")
