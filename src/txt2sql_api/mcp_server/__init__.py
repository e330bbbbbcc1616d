"""The service as a Model Context Protocol server, for AI agents: `/mcp` over Streamable HTTP
(`http.py`, behind the same API keys as `/v1`) and `txt2sql-api mcp` over stdio, with the same
tools and resources (`server.py`). It answers through the same pipeline as `/v1/ask`: it reads
the typed events the SSE route reads (`results.py`), and adds no path of its own to the
database."""
