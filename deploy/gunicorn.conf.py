# gunicorn settings for a production web node.
import multiprocessing
import os

# The systemd socket (deploy/systemd/postgov-web.socket) hands gunicorn its listening
# socket; otherwise it binds here (the container image sets 0.0.0.0:8000).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Processes, not threads: PostGov's views are CPU-bound Python (forms, the ORM, PDFs). On
# 2 cores bench/intake sealed 56 intakes/s with 4 workers of 1 thread against 48 with 3
# workers of 2 threads and 44 with 2 workers of 4.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
threads = 1
timeout = 30
graceful_timeout = 20
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
# No query strings in the access log: they may carry search terms typed by citizens.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss %({x-request-id}o)s'


def on_starting(server):
    # Metrics of several processes (postgov/ops/metrics.py): a directory emptied at start.
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.remove(os.path.join(directory, name))


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
