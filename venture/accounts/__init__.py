"""People: registration, sign-in, sessions, e-mail verification, profiles."""
