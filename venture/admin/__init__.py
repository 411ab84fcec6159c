"""The site admin's pages."""
