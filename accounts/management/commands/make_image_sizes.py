"""`manage.py make_image_sizes`: write the responsive sizes (accounts.images) of every stored
picture that lacks them: pictures uploaded before sizes existed, or whose sizes failed. Pages
show such a picture whole until then. Run it once after deploying, and whenever `--all` is
wanted (new widths or quality: every picture's sizes are made again)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from accounts import images


class Command(BaseCommand):
    help = "Make the responsive sizes (srcset copies) of stored avatars and service images."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="Make them again even where they exist."
        )

    def handle(self, *args, all=False, **options):
        made = present = failed = 0
        for model, field in images.picture_fields():
            names = (
                model._default_manager.exclude(**{field: ""})
                .exclude(**{f"{field}__isnull": True})
                .values_list(field, flat=True)
                .distinct()
            )
            storage = model._meta.get_field(field).storage
            for name in names.iterator():
                if not storage.exists(name):
                    failed += 1
                    self.stderr.write(f"Missing file: {name}")
                elif not all and images.sizes_exist(storage, name):
                    present += 1
                else:
                    try:
                        images.sizes_write(storage, name)
                    except (ValidationError, OSError) as exc:
                        failed += 1
                        self.stderr.write(f"Could not make the sizes of {name}: {exc}")
                    else:
                        made += 1
        self.stdout.write(
            f"Sizes made for {made} picture(s); {present} already had them; {failed} failed."
        )
