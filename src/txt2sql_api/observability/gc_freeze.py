"""Long-lived objects out of the garbage collector's sight.

A full collection walks every object the process holds, and the schema snapshot, its relevance
index and the examples' index are hundreds of thousands of them: under load one
ran every few seconds and stopped the event loop, every stream at once, for 50-90 ms (the
single-stream bench's p99 went from 7 to 85 ms). Once they are loaded they are frozen
(`gc.freeze`): still freed by reference counting when a newer snapshot replaces them, never
walked again.
"""

from __future__ import annotations

import gc


def freeze_long_lived() -> None:
    gc.collect()
    gc.freeze()
