"""PostgreSQL plumbing: the service's pool, its own `txt2sql` schema, the embedded server."""
