"""Matching needs to resources, explained; batch assignment; the one-household plan (一户一策)."""
