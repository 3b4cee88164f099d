"""Fixtures shared by every test: real databases (SQLite file and PostgreSQL on loopback)."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import pytest_timeout
from psycopg import sql

# After every test, nothing the Slack stand-in saw posted may carry a patient identifier.
pytest_plugins = ("tests.guard.payloads",)

POSTGRES_HOST = "127.0.0.1"
POSTGRES_PORT = 5432
POSTGRES_ADMIN = f"host={POSTGRES_HOST} port={POSTGRES_PORT} user=postgres dbname=postgres"


_IN_MEMORY = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    """Temporary folders (SQLite files, demo data) in memory where the machine has /dev/shm:
    SQLite flushes to disk at every commit, and the suite's files are thrown away."""
    shm = Path("/dev/shm")
    if (config.option.basetemp is None and not hasattr(config, "workerinput")
            and shm.is_dir() and os.access(shm, os.W_OK)):
        config.option.basetemp = Path(tempfile.mkdtemp(prefix="clinops-tests-", dir=shm))
        config.stash[_IN_MEMORY] = config.option.basetemp


def pytest_unconfigure(config: pytest.Config) -> None:
    """Memory is not a disk: the run's folders go when it ends (pytest keeps its own on disk)."""
    made = config.stash.get(_IN_MEMORY, None)
    if made is not None:
        shutil.rmtree(made, ignore_errors=True)


def _admin_connection() -> psycopg.Connection:
    try:
        return psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        # Store tests must run on PostgreSQL too: a missing server fails loudly, never skips.
        pytest.fail(
            f"PostgreSQL is not answering on {POSTGRES_HOST}:{POSTGRES_PORT} as user postgres "
            f"({error}). Start it (`make test` does) and run again.",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, uniquely named PostgreSQL database for this test session, dropped at the end."""
    name = f"clinops_test_{uuid.uuid4().hex[:12]}"
    with _admin_connection() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        # A commit need not wait for its WAL flush: the suite's database is thrown away, and
        # what is tested (transactions, locks, types) is the same. Saves a disk flush a commit.
        admin.execute(sql.SQL("ALTER DATABASE {} SET synchronous_commit TO off").format(
            sql.Identifier(name)))
    try:
        yield f"postgresql+psycopg://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"
    finally:
        with _admin_connection() as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_backend(request: pytest.FixtureRequest) -> str:
    """Each test that keeps data runs on SQLite and on PostgreSQL, production's database."""
    return request.param


@pytest.fixture
def new_database(database_backend: str, tmp_path: Path,
                 request: pytest.FixtureRequest) -> Callable[[str], str]:
    """Makes an empty database per call on this test's backend: one per service (`name`),
    since services never share a schema."""
    made: set[str] = set()

    def make(name: str) -> str:
        if name in made:
            raise ValueError(f"a second database named {name!r} in one test")
        made.add(name)
        if database_backend == "sqlite":
            return f"sqlite:///{tmp_path / 'data' / f'{name}.db'}"
        base = request.getfixturevalue("postgres_url")
        schema = f"t_{uuid.uuid4().hex[:12]}"
        database = base.rsplit("/", 1)[1]
        dsn = f"host={POSTGRES_HOST} port={POSTGRES_PORT} user=postgres dbname={database}"
        with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as connection:
            connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        # A schema per database is far cheaper than a database; search_path makes it the default.
        return f"{base}?options=-csearch_path%3D{schema}"

    return make


@pytest.fixture
def database_url(new_database: Callable[[str], str]) -> str:
    """An empty database per test: a SQLite file, or a fresh schema in the session's database."""
    return new_database("test")


# prepared_database(key, build): see the fixture.
Prepare = Callable[[str, Callable[[str], None]], str]


class Templates:
    """Migrated, populated databases built once per session and copied for each test.

    Alembic's upgrade and a fixture's inserts cost about a second per test (the demo hospital's
    seed ten times that on PostgreSQL under load); copying a SQLite file costs a millisecond, and
    CREATE DATABASE ... TEMPLATE a fraction of a second.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.made: dict[tuple[str, str], str] = {}
        self.databases: list[str] = []

    def copy(self, key: str, build: Callable[[str], None], into: Path) -> str:
        """A SQLite file holding what `build` made in the template named `key`."""
        template = self.made.get(("sqlite", key))
        if template is None:
            template = str(self.folder / f"{key}.db")
            build(f"sqlite:///{template}")
            self.made[("sqlite", key)] = template
        into.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, into)
        return f"sqlite:///{into}"

    def clone(self, key: str, build: Callable[[str], None], server: str) -> str:
        """A PostgreSQL database made from the template database named `key`."""
        template = self.made.get(("postgresql", key))
        if template is None:
            template = self._create(f"clinops_tmpl_{uuid.uuid4().hex[:12]}")
            # build() closes what it opens: a template with a session attached cannot be copied.
            build(f"{server}/{template}")
            self.made[("postgresql", key)] = template
        return f"{server}/{self._create(f'clinops_test_{uuid.uuid4().hex[:12]}', template)}"

    def _create(self, name: str, template: str | None = None) -> str:
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            # WAL_LOG copies a small database without the checkpoint FILE_COPY forces.
            statement = sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY WAL_LOG").format(
                sql.Identifier(name), sql.Identifier(template))
        with _admin_connection() as admin:
            admin.execute(statement)
            # As the session's database: a copy is not given its template's settings.
            admin.execute(sql.SQL("ALTER DATABASE {} SET synchronous_commit TO off").format(
                sql.Identifier(name)))
        self.databases.append(name)
        return name

    def drop(self, url: str) -> None:
        """Drop a database clone() made (FORCE: a test's server may still hold a connection)."""
        name = url.rsplit("/", 1)[1]
        with _admin_connection() as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
        self.databases.remove(name)

    def close(self) -> None:
        if not self.databases:
            return
        with _admin_connection() as admin:
            for name in self.databases:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)))


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    made = Templates(tmp_path_factory.mktemp("templates"))
    yield made
    made.close()


@pytest.fixture
def prepared_database(database_backend: str, templates: Templates, tmp_path: Path,
                      request: pytest.FixtureRequest) -> Iterator[Prepare]:
    """`prepared_database(key, build)`: a database on this test's backend holding what
    `build(url)` makes (migrate and populate, closing what it opens); `key` names what is
    built, the same for every test that builds the same thing."""
    clones: list[str] = []

    def prepared(key: str, build: Callable[[str], None]) -> str:
        if database_backend == "sqlite":
            return templates.copy(key, build, tmp_path / "data" / f"{key}.db")
        server = request.getfixturevalue("postgres_url").rsplit("/", 1)[0]
        clones.append(templates.clone(key, build, server))
        return clones[-1]

    yield prepared
    for url in clones:
        templates.drop(url)


def demo_database(prepared: Prepare, service: str,
                  migrate: Callable[[str], None], open_store: Callable[[str], Any],
                  seed: Callable[[Any, Any], None], hospital: Any) -> str:
    """A service's database seeded with the demo hospital of `hospital.today`."""

    def build(url: str) -> None:
        migrate(url)
        store = open_store(url)
        try:
            seed(store, hospital)
        finally:
            store.close()

    return prepared(f"{service}-demo-{hospital.today}", build)


@pytest.hookimpl(trylast=True)
def pytest_exception_interact(node: pytest.Item | pytest.Collector) -> None:
    """Restart a failed test's clock for its teardown.

    pytest-timeout stops the clock whenever a test fails, for a debugger that might follow; so a
    teardown that hung after a failure (a gRPC server stop) hung `make test` with no stack.
    Unless --pdb is on, the teardown gets the test's whole timeout again.
    """
    if not isinstance(node, pytest.Item) or node.config.getoption("usepdb"):
        return
    settings = pytest_timeout._get_item_settings(node)  # the test's own, marker included
    if settings.timeout and not settings.func_only:
        node.config.hook.pytest_timeout_set_timer(item=node, settings=settings)


@pytest.fixture(scope="session", autouse=True)
def scheduler_credential() -> Iterator[str]:
    """One scheduler credential for the session, as a deployment sets it: the services check it,
    the scheduler and notifier present it (clinops.authz); subprocesses inherit it."""
    import os

    from clinops import authz

    credential = authz.new_scheduler_credential()
    before = os.environ.get(authz.SCHEDULER_CREDENTIAL_ENV)
    os.environ[authz.SCHEDULER_CREDENTIAL_ENV] = credential
    yield credential
    if before is None:
        os.environ.pop(authz.SCHEDULER_CREDENTIAL_ENV, None)
    else:
        os.environ[authz.SCHEDULER_CREDENTIAL_ENV] = before
