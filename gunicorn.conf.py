"""gunicorn settings for `make serve`; every value can be overridden by the
environment (GUNICORN_CMD_ARGS) or the command line."""
import multiprocessing
import os

from gunicorn import glogging

from venture import logs

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# Sync workers: the pages are short database reads; more workers than cores
# keeps the CPU busy while one waits on the database.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
# The access log carries the request id, never query strings, tokens in paths
# (password-reset links) or client addresses: the same rules as the
# application's JSON request lines (venture/logs.py), which also name the user id.
access_log_format = '"%(m)s %(U)s" %(s)s %(b)s %(L)ss rid=%({x-request-id}o)s'


class _Logger(glogging.Logger):
    """gunicorn's logger with Venture's scrubbing on both its logs."""

    def setup(self, cfg):  # type: ignore[no-untyped-def]
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.addFilter(logs.ScrubFilter())

    def atoms(self, resp, req, environ, request_time):  # type: ignore[no-untyped-def]
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = logs.redact_path(atoms.get("U") or "")
        atoms["r"] = f"{atoms.get('m')} {atoms['U']} {atoms.get('H')}"
        atoms["q"] = "-"
        atoms["f"] = logs.redact_path(atoms.get("f") or "-")
        return atoms


logger_class = _Logger
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    """Load jieba's dictionary as the worker starts, not in its first search
    or its first indexed change: that took about a second of CPU per worker
    in the middle of the deadline rush (bench/run, py-spy)."""
    from venture.search import analysis

    analysis.jieba_tokenizer()


def on_starting(server):  # type: ignore[no-untyped-def]
    """Refuse several workers that would each keep their own rate-limit
    counters (the settings are read from the environment, as config.py does)."""
    from venture.core.ratelimit import refuse_per_process

    refuse_per_process(os.environ, server.cfg.workers)
