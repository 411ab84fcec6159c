"""Applicant groups: registered organisations and grassroots groups, their members."""
