# gunicorn settings for a production web node.
import multiprocessing

bind = "127.0.0.1:8000"
# Processes, not threads: PostGov's views are CPU-bound Python (forms, the ORM, PDFs). On
# 2 cores bench/intake sealed 56 intakes/s with 4 workers of 1 thread against 48 with 3
# workers of 2 threads and 44 with 2 workers of 4.
workers = multiprocessing.cpu_count() * 2
threads = 1
timeout = 30
graceful_timeout = 20
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
# No query strings in the access log: they may carry search terms typed by citizens.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'
