"""An app demo module for test_seed_demo: seed_demo imports it like `bookings.demo`."""

from accounts.tests.test_seed_demo import seed_hook as seed  # noqa: F401
