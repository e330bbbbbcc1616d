"""Settings as the environment names them."""

from __future__ import annotations

from txt2sql_api.config import env_name

__all__ = ["env_name"]
