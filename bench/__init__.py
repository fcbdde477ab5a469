"""Benchmarks: fixed seeds and sizes, figures printed (never asserted in tests)."""
