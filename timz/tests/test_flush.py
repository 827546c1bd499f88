"""A flush (the end of every transactional test) leaves the database as migrate left it."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from accounts.models import User
from conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def _migrated():
    return (
        list(ContentType.objects.order_by("pk").values_list("pk", "app_label", "model")),
        list(Permission.objects.order_by("pk").values_list("pk", "content_type", "codename")),
    )


def test_a_flush_empties_the_tables_and_puts_back_the_content_types_and_permissions():
    migrated = _migrated()
    make_user()

    call_command("flush", interactive=False, verbosity=0)

    assert not User.objects.exists()
    assert migrated[0] and migrated[1]
    assert _migrated() == migrated
