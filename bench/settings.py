"""Settings of the server under benchmark: the product's, plus the ceiling route."""

from leadvibe.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
