"""Logs with the request id, Prometheus metrics, and the garbage collector's tuning."""
