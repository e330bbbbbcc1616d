"""One base for every failure the service tells a client about: a stable `code` (the error
table of docs/api.md), a message for people, and whether asking again may help. The pipeline
turns any of them into an `error` event, and a route into an HTTP error, in one place each."""

from __future__ import annotations


class ServiceError(Exception):
    def __init__(self, code: str, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable
