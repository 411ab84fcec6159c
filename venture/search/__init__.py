"""Full-text search over public calls, proposals and comments (Whoosh + jieba). The database is the truth; the index is derived."""
