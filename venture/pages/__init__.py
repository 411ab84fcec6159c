"""The home page and pages that belong to no domain."""
