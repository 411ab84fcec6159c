"""Invitations by e-mail: to join a group, to organise for a body, to join an expert pool."""
