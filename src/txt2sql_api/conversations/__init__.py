"""Conversations: follow-up questions that see the turns before them."""
