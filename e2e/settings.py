"""The browser tests' servers run Timz's own settings (timz.settings, from the same environment
variables as production) with one change: a fast password hasher, as the unit tests use
(conftest.py). The production hasher (PBKDF2, 1.5 million rounds) costs about 0.6 s of CPU for
every password set or checked, and the browser tests sign people up, create accounts and log in
through the form dozens of times per run; the hashing itself is not what they test."""

from timz.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
