"""The `payops` command line."""

from __future__ import annotations

from bot.cli.app import main

__all__ = ["main"]
