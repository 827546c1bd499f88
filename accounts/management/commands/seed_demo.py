"""`manage.py seed_demo`: idempotent demo data for a newcomer (`make run` calls it with --if-empty).

The accounts part (categories, users, pros, services, avatars) comes from accounts.demo; then
each app that has a `<app>/demo.py` module adds its own data through
`seed(*, stdout, pros, clients, **options)`, in APP_DEMOS order.
"""

import importlib
import importlib.util

from django.core.management.base import BaseCommand

from accounts import demo, services
from accounts.models import User

# Apps adding demo data after accounts, in order (bookings first: payments and chat build on it).
APP_DEMOS = ["bookings.demo", "chat.demo", "payments.demo"]


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # the parent package itself is missing
        return False


class Command(BaseCommand):
    help = "Create (or refresh) the demo data: categories, pros with services, clients, staff."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when any user exists (used by `make run`).",
        )
        parser.add_argument(
            "--scale",
            type=int,
            default=None,
            metavar="N",
            help="Also build N benchmark pros with ~100 bookings each (bookings.demo).",
        )

    def app_demo_options(self, options) -> dict:
        """Keyword arguments passed to every app's demo.seed besides stdout, pros and clients.

        `scale` is None unless an option of that name is added to add_arguments (bookings'
        benchmark data); every app's seed accepts it."""
        return {"scale": options.get("scale")}

    def handle(self, *args, **options):
        if options["if_empty"] and User.objects.exists():
            self.stdout.write("seed_demo: users already exist, nothing to do (--if-empty).")
            return
        result = demo.seed(stdout=self.stdout)
        extra = self.app_demo_options(options)
        for module_name in APP_DEMOS:
            if not _module_exists(module_name):
                continue
            module = importlib.import_module(module_name)
            module.seed(stdout=self.stdout, pros=result.pros, clients=result.clients, **extra)
        # Pros and services were bulk-written (no signals): every search document at once.
        services.pro_search_documents_refresh()
        self.print_logins()

    def print_logins(self):
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {demo.PASSWORD})"))
        for who, email in demo.logins():
            self.stdout.write(f"  {email:<22} {who}")
