"""The DashScope stand-in the tests script: the package's own (`txt2sql_api.llm.standin`), which
`txt2sql-api standin` also serves."""

from txt2sql_api.llm.standin import DashScopeStandIn, Script

__all__ = ["DashScopeStandIn", "Script"]
