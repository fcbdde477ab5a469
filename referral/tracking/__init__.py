"""Tracking: queues, completion figures and the assistance chain (一户一条帮扶链)."""
