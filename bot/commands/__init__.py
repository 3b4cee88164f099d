"""Slash commands, one module per command, each with `register(app)`."""
