"""How gunicorn serves carereview: `make serve`, the tests that run a real server, and
production alike (`gunicorn --config gunicorn.conf.py`; README, "Deploying").

Threads, not one request per process: a synchronous worker is held for the whole of a
request, so two clients that trickle their headers or read an export slowly would hold two
workers, and with them the whole site. A threaded worker waits for a connection's first
bytes in its event loop and then gives each request a thread of its own, so a slow client
holds one thread of many. Its main loop tells the arbiter it is alive every second however
long its threads take, so `timeout` only restarts a worker that is stuck, and an export
that takes minutes to download still finishes. Command-line options (`--workers`,
`--bind`) override these.

What threads do not do: gunicorn has no limit on the time a request's headers take once
their first byte has come (a connection that sends nothing waits up to 5 s in a thread,
then in the loop), so as many trickling clients as there are threads would still hold
them all. In production the proxy (deploy/nginx.conf) passes on only whole requests.
"""

import os

wsgi_app = "carereview.wsgi"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
# Processes: about one per core. Threads share a process's interpreter lock, so more
# processes use more cores, and more threads carry more slow clients at once.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Each thread keeps its own database connection (CONN_MAX_AGE): workers × threads of them
# per app server, all of which PostgreSQL's max_connections must allow.
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Seconds a worker may go without reporting to the arbiter before it is restarted: with
# threads, a stuck worker, never a long request.
timeout = 30
graceful_timeout = 30
# Seconds an idle kept-alive connection is held, waiting in the event loop, not a thread.
keepalive = 5
# gunicornc's control socket is one path per user by default, which two servers on one
# machine (or the tests' servers) would fight over; nothing here uses it.
control_socket_disable = True
