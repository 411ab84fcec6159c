"""Pieces every domain uses: model base, errors, permissions, time and money."""
