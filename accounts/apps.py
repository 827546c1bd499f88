from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        from timz import pagecache

        # Public pages cached for visitors are invalidated by the writes they show.
        pagecache.connect_signals()
