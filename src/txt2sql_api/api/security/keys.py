"""API keys and the short-lived stream tokens signed with them.

A key is never kept or compared as given: callers are told apart by a fingerprint (safe to log,
to count in metrics and to name a rate-limit bucket), and a presented key is matched by comparing
SHA-256 digests in constant time against every configured key. A stream token is for a browser's
EventSource, which cannot send headers: `<fingerprint>.<expiry>.<HMAC of both under the key>`,
so revoking a key revokes its tokens, and no extra secret has to be shared between instances.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass

_FINGERPRINT_LABEL = b"txt2sql-api key id"
_TOKEN_LABEL = b"txt2sql-api stream token:"
# The caller's name when no keys are configured: everyone is this one caller.
OPEN_CALLER = "open"


def fingerprint(key: str) -> str:
    return hmac.new(_FINGERPRINT_LABEL, key.encode(), hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class StreamToken:
    token: str
    expires_at: int


class KeyRing:
    def __init__(self, keys: Iterable[str], token_seconds: int) -> None:
        self._digests = {fingerprint(key): hashlib.sha256(key.encode()).digest() for key in keys}
        self._token_seconds = token_seconds
        # Open mode still hands out tokens, so a page written for keys works unchanged; they are
        # signed with a secret of this process only, since there is no key to sign with.
        self._open_secret = secrets.token_bytes(32)

    @property
    def open(self) -> bool:
        return not self._digests

    def identify(self, presented: str) -> str | None:
        """The fingerprint of the configured key that matches, in constant time; else None."""
        digest = hashlib.sha256(presented.encode()).digest()
        found = None
        for key_id, known in self._digests.items():
            # No early exit: the time taken must not tell which key was close.
            if hmac.compare_digest(digest, known):
                found = key_id
        return found

    def issue(self, key_id: str, now: float | None = None) -> StreamToken:
        expires_at = int(now if now is not None else time.time()) + self._token_seconds
        payload = f"{key_id}.{expires_at}"
        return StreamToken(f"{payload}.{self._signature(key_id, payload)}", expires_at)

    def verify(self, token: str, now: float | None = None) -> str | None:
        """The fingerprint a valid, unexpired token was issued to; else None."""
        key_id, _, rest = token.partition(".")
        expiry, _, signature = rest.partition(".")
        if key_id not in self._digests or not expiry.isdigit():
            return None
        expected = self._signature(key_id, f"{key_id}.{expiry}")
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            return None
        if int(expiry) < (now if now is not None else time.time()):
            return None
        return key_id

    def _signature(self, key_id: str, payload: str) -> str:
        secret = self._digests.get(key_id, self._open_secret)
        mac = hmac.new(secret, _TOKEN_LABEL + payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
