"""gunicorn settings for `make serve`; every value can be overridden by the
environment (GUNICORN_CMD_ARGS) or the command line."""
import multiprocessing
import os

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
# The access log carries the request id, never query strings (they may hold tokens).
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss rid=%({x-request-id}o)s'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
