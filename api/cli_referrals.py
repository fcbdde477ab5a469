"""CLI commands of the referral workflow (referrals), added to the `zhulian` app by `register`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main CLI."""
