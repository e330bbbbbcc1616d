"""What every log line of a request carries: its id, and the caller once identified."""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
# The caller's key fingerprint, once access control has identified it (api.security.auth).
caller_var: ContextVar[str] = ContextVar("caller", default="-")
