from tests.scoring.conftest import client  # noqa: F401 - the same fixture
