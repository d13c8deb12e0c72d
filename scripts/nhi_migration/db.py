"""Which database a command uses, and connections to it.

Every tool (psycopg2, dbt's profile, Great Expectations) reads the same libpq
variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE). When none is set, the
embedded cluster is started and its variables are put in the environment.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg2
import psycopg2.extensions

from . import paths, pgcluster

_embedded: pgcluster.Cluster | None = None


def embedded_cluster() -> pgcluster.Cluster | None:
    """The embedded cluster this process started or joined, None for a server of your own."""
    return _embedded


def ensure_server() -> str:
    """Make sure a server is reachable; return a one-line description of which one."""
    global _embedded
    if _embedded is not None:
        return f"embedded cluster in {_embedded.root}"
    if pgcluster.external_server_configured():
        host = os.environ.get("PGHOST", "localhost")
        port = os.environ.get("PGPORT", "5432")
        name = os.environ.get("PGDATABASE", os.environ.get("PGUSER", ""))
        return f"configured server {host}:{port} database {name}"
    cluster = pgcluster.locate_cluster()
    cluster.start()
    os.environ.update(cluster.connection_env())
    _embedded = cluster
    return f"embedded cluster in {cluster.root}"


@contextmanager
def connect() -> Iterator[psycopg2.extensions.connection]:
    """A connection from the libpq variables; committed on success, rolled back on error."""
    connection = psycopg2.connect("", application_name="nhi-migration")
    try:
        yield connection
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    finally:
        connection.close()


SERVER_STOPPED = ("the database server stopped or cannot be reached (it was shut down, "
                  "crashed, or the machine is short of memory or disk); nothing was "
                  "exported. Start it again (`migrate.py db start` for the embedded cluster) "
                  "and rerun the round: rerunning is safe, each step replaces what the "
                  "last one left")


def server_stopped(exc: BaseException) -> bool:
    """True when the error is the server going away (stopped, crashed, killed)."""
    return isinstance(exc, psycopg2.OperationalError) and exc.pgcode in (None, "57P01",
                                                                         "57P02", "57P03")


def server_answers() -> bool:
    """True when the database server still accepts a connection and a query."""
    try:
        with connect() as connection, connection.cursor() as cursor:
            cursor.execute("select 1")
        return True
    except psycopg2.OperationalError:
        return False


def fetch_one(cursor: psycopg2.extensions.cursor) -> tuple[Any, ...]:
    """The one row a query always returns (a count, an exists): a missing row is a bug."""
    row = cursor.fetchone()
    if row is None:
        raise RuntimeError("a query that always returns one row returned none")
    return row


def schema_name(round_id: str, layer: str) -> str:
    """The schema of one layer of one round: ``test01_raw``, ``test01_marts`` …"""
    return f"{paths.check_round(round_id).lower()}_{layer}"


def round_schema_pattern(round_id: str) -> str:
    """A LIKE pattern matching this round's schemas and no other round's.

    ``_`` is a LIKE wildcard and may stand in a round name (TEST_1): escaped, so that
    the pattern of TEST_1 never matches TESTA1's schemas.
    """
    prefix = paths.check_round(round_id).lower().replace("_", "\\_")
    return f"{prefix}\\_%"


def round_schemas(round_id: str) -> list[str]:
    """The schemas of one round on the server (every layer, the loader's too)."""
    with connect() as connection, connection.cursor() as cursor:
        cursor.execute("select nspname from pg_namespace where nspname like %s order by 1",
                       (round_schema_pattern(round_id),))
        return [name for (name,) in cursor.fetchall()]
