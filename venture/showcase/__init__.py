"""The public showcase of submitted proposals: pages, listings, support, feeds."""
