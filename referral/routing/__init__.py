"""Routing through the three-level alliance: needs, referrals, hops as tasks, claims, escalation."""
