"""The open data API: read-only JSON under ``/api/v1/`` for public calls and,
from the public notice on, their results and objections. It exposes nothing
that the public pages do not already show."""
