"""Local stand-ins for the services txt2sql-api calls; the real SDKs talk to them over HTTP."""
