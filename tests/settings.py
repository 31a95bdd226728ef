"""The settings the test suite runs with: the project's, in development.

With no POSTGOV_ENV the project runs as production (and refuses to start without its
secrets). pytest-django reads the settings before any conftest.py is imported, so the
suite says "development" here, in the settings module pytest is configured with
(pyproject.toml), before the project's settings are read. Processes the tests start
inherit it.
"""

import os

os.environ.setdefault("POSTGOV_ENV", "development")

from postgov.settings import *  # noqa: E402, F403
