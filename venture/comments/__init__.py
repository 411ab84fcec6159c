"""Public comments on proposals, replies, reports and moderation."""
