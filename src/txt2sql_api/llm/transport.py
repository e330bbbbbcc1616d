"""The HTTP under the DashScope SDK: `requests` sessions whose sockets the event loop can shut.

Why our own `requests.Session`s, one per live call: their sockets are tracked, so cancelling a
stream shuts them down and the thread's blocked read returns at once (the upstream then sees the
connection close and stops generating tokens we would pay for); and a call gives its session back
when it ends, so the next call reuses its kept-alive connection instead of a new TCP and TLS
handshake.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class SocketTracker:
    """The sockets one model call uses, so the event loop's thread can shut them down."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.aborted = False

    def track(self, sock: socket.socket) -> None:
        with self._lock:
            if self.aborted:
                _shutdown(sock)
                raise ConnectionAbortedError("stream cancelled")
            self._sockets.append(sock)

    def abort(self) -> None:
        with self._lock:
            self.aborted = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shutdown(sock)

    def release(self) -> None:
        """The call is over: its kept-alive sockets go back to the session pool for another
        call, which an abort that comes after this must not touch."""
        with self._lock:
            self._sockets = []


def _shutdown(sock: socket.socket) -> None:
    # shutdown(), unlike close(), wakes a recv() blocked in another thread.
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


_current = threading.local()


def _track_current(sock: socket.socket | None) -> None:
    pooled: PooledSession | None = getattr(_current, "pooled", None)
    tracker: SocketTracker | None = getattr(_current, "tracker", None)
    if sock is not None and pooled is not None:
        pooled.sockets = [*pooled.open_sockets(), sock]
    if sock is not None and tracker is not None:
        tracker.track(sock)


class _TrackedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _track_current(self.sock)


class _TrackedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _track_current(self.sock)


class _TrackedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _TrackedHTTPConnection


class _TrackedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection


class _TrackedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _TrackedHTTPPool,
            "https": _TrackedHTTPSPool,
        }


def _tracked_session(base_url: str | None) -> requests.Session:
    import dashscope

    session = requests.Session()
    adapter = _TrackedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    # What requests would read from the environment on every call (a scan of os.environ for
    # proxies and the CA bundle, two file checks for ~/.netrc), read once per session: the API
    # key is our own header, so netrc never applies, and every call goes to the same base URL.
    environment = session.merge_environment_settings(
        base_url or dashscope.base_http_api_url, {}, None, None, None
    )
    session.proxies.update(environment["proxies"])
    session.verify = environment["verify"]
    session.trust_env = False
    return session


@dataclass
class PooledSession:
    session: requests.Session
    sockets: list[socket.socket] = field(default_factory=list)

    def open_sockets(self) -> list[socket.socket]:
        return [sock for sock in self.sockets if sock.fileno() != -1]


class SessionPool:
    """Sessions between calls, most recently used first (its connection is the likeliest to
    be still open); at most `keep` of them wait, the rest are closed."""

    def __init__(self, keep: int, base_url: str | None = None) -> None:
        self._keep = keep
        self._base_url = base_url
        self._lock = threading.Lock()
        self._idle: list[PooledSession] = []

    def take(self) -> PooledSession:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return PooledSession(_tracked_session(self._base_url))

    def give(self, pooled: PooledSession) -> None:
        with self._lock:
            if len(self._idle) < self._keep:
                self._idle.append(pooled)
                return
        pooled.session.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for pooled in idle:
            pooled.session.close()


def bind_to_thread(tracker: SocketTracker, pooled: PooledSession) -> None:
    """The connections this thread opens from now on belong to this call and this session."""
    _current.tracker, _current.pooled = tracker, pooled


def unbind_from_thread() -> None:
    _current.tracker = _current.pooled = None
