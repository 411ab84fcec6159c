"""gunicorn's threaded worker, noting when each connection was accepted.

A sync worker takes a connection only when it is free, so under a rush a
request waits in the kernel's queue and its arrival is noted late. This
worker's main thread accepts connections as they come and notes the moment;
the thread that later handles the request hands it to the application
(``venture.core.arrival``), which judges deadlines by it. Use with
``--worker-class venture.arrival_worker.ArrivalThreadWorker --threads N``.
"""
from __future__ import annotations

import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from venture.core import arrival


class ArrivalThreadWorker(ThreadWorker):
    def accept(self, listener: Any) -> None:
        moment = time.time()
        original = self.enqueue_req

        def enqueue(conn: Any) -> None:
            conn.venture_arrived = moment
            original(conn)

        self.enqueue_req = enqueue  # type: ignore[method-assign]
        try:
            super().accept(listener)
        finally:
            self.enqueue_req = original  # type: ignore[method-assign]

    def on_client_socket_readable(self, conn: Any, client: Any) -> None:
        conn.venture_arrived = time.time()  # the next request on a kept-alive connection
        super().on_client_socket_readable(conn, client)

    def handle_request(self, req: Any, conn: Any) -> Any:
        arrival.note_accepted(getattr(conn, "venture_arrived", None))
        try:
            return super().handle_request(req, conn)
        finally:
            arrival.note_accepted(None)
