# gunicorn settings for a production web node: threads suit I/O-bound Django views.
bind = "127.0.0.1:8000"
workers = 3
threads = 4
timeout = 30
graceful_timeout = 20
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
# No query strings in the access log: they may carry search terms typed by citizens.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'
