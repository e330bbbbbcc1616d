"""Who may call /v1: API keys, stream tokens and per-caller quotas."""
