from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import dashscope
import httpx
import pytest
from asgi_lifespan import LifespanManager

from tests.helpers.app import TEST_API_KEY, ClientFactory, demo_server_env
from tests.helpers.pg import Databases, admin_dsn, new_demo_database
from tests.helpers.processes import SESSION_DIRS, alive_children, describe, postgres_servers
from tests.helpers.redis_server import redis_url
from tests.helpers.serve_process import serve
from tests.helpers.standin.dashscope_server import DashScopeStandIn
from tests.helpers.standin.openai_server import OpenAIStandIn
from txt2sql_api.app import create_app
from txt2sql_api.config import Settings


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[str]:
    with admin_dsn() as dsn:
        yield dsn


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """The URL of a Redis for tests of shared quotas; each test uses a key prefix of its own."""
    with redis_url() as url:
        yield url


@pytest.fixture(scope="session")
async def databases(pg_admin: str) -> AsyncIterator[Databases]:
    dbs = Databases(pg_admin)
    yield dbs
    await dbs.drop_all()


@pytest.fixture(scope="session")
async def demo_db(databases: Databases) -> str:
    """The demo database, loaded once per session; tests must not change it."""
    return await new_demo_database(databases)


@pytest.fixture(scope="session")
def standin_server() -> Iterator[DashScopeStandIn]:
    with DashScopeStandIn(api_key=TEST_API_KEY) as server:
        yield server


@pytest.fixture
def standin(standin_server: DashScopeStandIn) -> Iterator[DashScopeStandIn]:
    """The DashScope stand-in, with the real SDK pointed at it and a clean script queue."""
    standin_server.reset()
    previous = dashscope.base_http_api_url
    dashscope.base_http_api_url = standin_server.base_url
    try:
        yield standin_server
    finally:
        dashscope.base_http_api_url = previous


@pytest.fixture(scope="session")
def openai_standin_server() -> Iterator[OpenAIStandIn]:
    with OpenAIStandIn(api_key=TEST_API_KEY) as server:
        yield server


@pytest.fixture
def openai_standin(openai_standin_server: OpenAIStandIn) -> OpenAIStandIn:
    """The OpenAI-compatible stand-in, with a clean script queue (the client is given its URL)."""
    openai_standin_server.reset()
    return openai_standin_server


@pytest.fixture
def make_client() -> ClientFactory:
    """`async with make_client(settings) as client:` runs the app's lifespan around a client."""

    @asynccontextmanager
    async def factory(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(settings)
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver", timeout=30
            ) as client:
                yield client

    return factory


@pytest.fixture(scope="session")
def demo_server(demo_db: str, standin_server: DashScopeStandIn) -> Iterator[str]:
    """A real `txt2sql-api serve` process on the demo database, answering through the stand-in;
    tests script it with the `standin` fixture."""
    with serve(demo_server_env(demo_db, standin_server)) as base_url:
        yield base_url


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The session fails if any process it started outlives it: a server of `serve`, an
    embedded PostgreSQL left behind (by a command that missed its clean-up), a Redis. They are
    ended, and named."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    dirs = [*SESSION_DIRS, *([factory.getbasetemp()] if factory else [])]
    leftovers = postgres_servers(dirs) + alive_children()
    if not leftovers:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write("\n")  # after the progress of the last test file
    for process in leftovers:
        if reporter is not None:
            reporter.write_line(f"left running by the tests: {describe(process)}", red=True)
        process.kill()
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
