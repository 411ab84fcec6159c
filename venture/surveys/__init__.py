"""Beneficiary satisfaction surveys of funded projects (满意度调查)."""
