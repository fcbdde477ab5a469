"""Imports of department exports: files in, one source record per row, staged for linkage."""
