"""The model: the `LlmClient` protocol and its DashScope implementation, Qwen token counts."""
