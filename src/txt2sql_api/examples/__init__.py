"""Verified question→SQL pairs: their store, retrieval, JSONL, feedback and the recent answers."""
