"""Model-written SQL as untrusted input: the guard, EXPLAIN, and the read-only run."""
