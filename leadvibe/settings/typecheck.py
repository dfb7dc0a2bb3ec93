"""Settings for mypy's Django plugin: the test settings' shape without starting any server.

The plugin imports the settings module to learn the installed apps and models. Dummy
`DATABASE_URL` / `REDIS_URL` values keep `embedded.activate()` from starting PostgreSQL and
Redis; nothing connects to them.
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://typecheck@localhost/typecheck")
os.environ.setdefault("REDIS_URL", "redis://localhost:6379/0")
os.environ.setdefault("SECRET_KEY", "typecheck-only")

from leadvibe.settings.base import *  # noqa: F403
