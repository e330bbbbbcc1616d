"""What the answer pipeline needs of a model: the `LlmClient` protocol, the pieces a streamed
answer arrives in, and `UpstreamError` for every way a call fails. The pipeline never knows
which provider it talks to."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar, cast

from txt2sql_api.errors import ServiceError
from txt2sql_api.observability.metrics import ThreadCounts
from txt2sql_api.shutdown import ShutdownSignal

Messages = Sequence[dict[str, str]]
Piece = TypeVar("Piece")


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int
    total_tokens: int
    request_id: str


LlmChunk = TextDelta | ReasoningDelta | Usage


class UpstreamError(ServiceError):
    """The model call failed; `code` is ours (docs/api.md, Errors), `upstream_code` theirs."""

    def __init__(
        self, code: str, message: str, *, retryable: bool, upstream_code: str | None = None
    ) -> None:
        super().__init__(code, message, retryable=retryable)
        self.upstream_code = upstream_code


def missing_api_key(variable: str = "DASHSCOPE_API_KEY") -> UpstreamError:
    return UpstreamError(
        "missing_api_key",
        f"{variable} is not set: put it in the environment or .env and restart the service.",
        retryable=False,
    )


def shutting_down() -> UpstreamError:
    return UpstreamError(
        "shutting_down", "the server is shutting down; ask again in a moment", retryable=True
    )


class LlmClient(Protocol):
    """A chat model streamed as `LlmChunk`s: text and reasoning as they arrive, usage last;
    closing the stream early ends the call."""

    model: str

    @property
    def threads(self) -> ThreadCounts:
        """The threads its calls run on, for the metrics (none for a client on the event loop)."""
        ...

    def unusable(self) -> UpstreamError | None:
        """Why no call can be made at all (a missing key), checked before any work starts."""
        ...

    def stream(
        self, messages: Messages, shutdown: ShutdownSignal | None = None
    ) -> AsyncGenerator[LlmChunk, None]:
        """Raises `UpstreamError` for every failure, before or during the stream."""
        ...

    async def aclose(self) -> None:
        """Closes its connections (the lifespan's end)."""
        ...


class NoThreads:
    """The thread counts of a client whose calls run on the event loop."""

    busy = 0
    alive = 0


def coalesced(pieces: Iterable[Piece]) -> list[Piece]:
    """Adjacent text pieces of one kind joined (anything else kept as it is): what arrived
    together goes out as one event, and a parse compares equal however it was chunked."""
    out: list[Piece] = []
    for piece in pieces:
        last = out[-1] if out else None
        if isinstance(piece, TextDelta | ReasoningDelta) and type(last) is type(piece):
            assert isinstance(last, TextDelta | ReasoningDelta)
            out[-1] = cast(Piece, type(piece)(last.text + piece.text))
        else:
            out.append(piece)
    return out
