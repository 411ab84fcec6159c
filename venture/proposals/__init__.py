"""Proposals (项目申报书): drafts, budgets, attachments, submission and receipts."""
