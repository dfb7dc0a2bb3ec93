from tests.scoring.conftest import client, issued, ou  # noqa: F401 - the same fixtures
