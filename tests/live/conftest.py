"""Live tests share one `dagster dev` fixture (webserver + daemon on loopback, a private instance)."""

from tests.live.test_inbox_to_batches import dagster_dev  # noqa: F401  (the fixture, for every live test)
