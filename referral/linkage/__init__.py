"""Record linkage (两库合并): which records of two registries are the same person and household.

Pure: no store. `records.py` is the input and output contract; the engine links two sides (two
department registries in the benchmark, the registry and an import batch in `referral.registry`).
"""
