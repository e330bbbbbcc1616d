"""The `txt2sql-api` command line."""
