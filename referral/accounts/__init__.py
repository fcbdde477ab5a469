"""User accounts, passwords and sign-in sessions."""
