"""Who may do what, where, and see which private data: the policy layer and PII masking."""
