"""Streaming text-to-SQL over PostgreSQL with Qwen on DashScope."""
