"""Writes for users and profiles.

- Sign-up always creates a ClientProfile (a pro can book other pros as a client); a pro also gets
  a ProProfile whose slug is generated from the display name: slugified, never a reserved word,
  and made unique with a numeric suffix (`anna-lee`, `anna-lee-2`, ...).
- A slug chosen by hand must be lowercase letters, digits and single hyphens, 3 to 80 characters,
  not reserved and not taken.
- Pictures arrive already processed by `accounts.images` (a ContentFile with a generated name);
  a replaced or removed avatar file is deleted from storage once the transaction commits.

Account deletion, `account_delete(*, user, password)`: the user asks, re-entering the
password. Personal data goes; what the *other* party of a booking, a payment or a conversation
needs (and what accounting must keep) stays, attached to an anonymous shell. accounts handles
its own rows and asks every other app to handle theirs (`accounts.signals.user_deleting`, in the
same transaction, before the rows below change):

- the User row is kept (the other apps' rows point at it) but anonymised: email
  `deleted-<id>@deleted.invalid`, an unusable password, `is_active` False, groups and
  permissions cleared; the role is kept so old records still read right. allauth's EmailAddress
  and Authenticator (second factors) rows are deleted, and so is every stored session of the
  user (the unusable password also changes the session hash, so a session in any other store is
  refused anyway);
- the ClientProfile becomes "Deleted user": phone blank, zone UTC, avatar file deleted. What the
  other apps keep for the other side (messages, reviews, bookings) shows that name through it;
- a pro's ProProfile is unlisted and becomes "Former pro": headline, bio (and their versions in
  other languages), city and address blank, avatar deleted, a random slug (the old address 404s
  and can be taken by someone else);
- staff accounts cannot delete themselves (an administrator does it in the admin), a wrong
  password is refused (settings.ACCOUNT_DELETE_RATE_LIMIT, default 5 password attempts per 15
  minutes, then a pause), and a second deletion of the same account is refused.

What each app ends, anonymises or keeps of its own rows is written in its `account_data` module.
"""

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import import_module
from typing import cast

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import OuterRef, QuerySet, StringAgg, Subquery, Value
from django.utils import timezone as dj_timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import content, geo, languages, text_search
from accounts.images import stored_delete
from accounts.models import Category, ClientProfile, ProProfile, User, validate_timezone
from accounts.signals import (
    collect,
    pro_content_language_changed,
    pro_currency_changing,
    user_deleting,
    user_deletion_previewing,
)
from timz import money
from timz.ratelimit import RateLimit

# fmt: off
RESERVED_SLUGS = frozenset(
    {
        "about", "account", "accounts", "admin", "api", "book", "bookings", "dashboard",
        "edit", "healthz", "help", "login", "logout", "me", "media", "messages", "new", "p",
        "payments", "pro", "profile", "pros", "search", "settings", "signup", "static",
        "support", "timz", "www",
    }
)
# fmt: on
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MIN, SLUG_MAX = 3, 80
PHONE_RE = re.compile(r"^\+?[0-9 ().\-/]{6,32}$")
_UNSET = object()


# Slugs ---------------------------------------------------------------------------------------


def pro_slug_generate(*, display_name: str, exclude_pk: int | None = None) -> str:
    """A free, valid slug derived from a display name."""
    # Names without any Latin letter or digit (e.g. 李小龍) slugify to "": use a neutral base.
    base = slugify(display_name)[: SLUG_MAX - 6].strip("-") or "timz-pro"
    if len(base) < SLUG_MIN or base in RESERVED_SLUGS:
        base = f"{base}-pro"
    taken = set(
        ProProfile.objects.filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    candidate, n = base, 2
    while candidate in taken or candidate in RESERVED_SLUGS or len(candidate) < SLUG_MIN:
        candidate = f"{base}-{n}"
        n += 1
    return candidate


def pro_slug_validate(*, slug: str, pro: ProProfile | None = None) -> str:
    """The normalised slug, or ValidationError saying why it cannot be used."""
    slug = (slug or "").strip().lower()
    if not SLUG_MIN <= len(slug) <= SLUG_MAX:
        raise ValidationError(
            _("The address must be %(min)s to %(max)s characters long.")
            % {"min": SLUG_MIN, "max": SLUG_MAX},
            code="slug_length",
        )
    if not SLUG_RE.match(slug):
        raise ValidationError(
            _("Use only lowercase letters, digits and single hyphens (e.g. anna-hair-studio)."),
            code="slug_invalid",
        )
    if slug in RESERVED_SLUGS:
        raise ValidationError(
            _("This address is reserved; please choose another."), code="reserved"
        )
    clash = ProProfile.objects.filter(slug=slug)
    if pro is not None:
        clash = clash.exclude(pk=pro.pk)
    if clash.exists():
        raise ValidationError(_("This address is already taken."), code="slug_taken")
    return slug


# Sign-up -------------------------------------------------------------------------------------


def user_language_set(*, user: User, language: str) -> None:
    """Remember the language `user` reads Timz and their emails in ("" follows the browser)."""
    if language and not languages.is_supported(language):
        raise ValidationError(
            _("“%(language)s” is not a language Timz speaks.") % {"language": language[:16]}
        )
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language


def _clean_timezone(value: str | None) -> str:
    try:
        validate_timezone(value or "")
    except ValidationError:
        return "UTC"
    return value


def user_signup_complete(
    *,
    user: User,
    role: str,
    display_name: str,
    timezone: str | None = "UTC",
    language: str | None = None,
) -> User:
    """Finish a new account: role, ClientProfile, and for pros a ProProfile with a unique slug.

    The user may be unsaved (allauth's adapter hands it over before the first save). An unknown
    time zone (it comes from the browser) silently falls back to UTC. `language` is the one the
    person was reading the site in: it becomes theirs (`User.language`, which their emails
    follow) unless they have one already; one Timz does not speak is ignored.
    """
    if role not in User.Role.values:
        raise ValidationError({"role": _("Choose whether you book or offer services.")})
    display_name = (display_name or "").strip()
    if not display_name:
        raise ValidationError({"display_name": _("Please enter your name.")})
    tz = _clean_timezone(timezone)
    with transaction.atomic():
        user.role = role
        if language and not user.language and languages.is_supported(language):
            user.language = language
        user.save()
        ClientProfile.objects.create(user=user, display_name=display_name, timezone=tz)
        if role == User.Role.PRO:
            _pro_profile_create(user=user, display_name=display_name, timezone=tz)
    return user


def _pro_profile_create(*, user: User, display_name: str, timezone: str) -> ProProfile:
    # Two simultaneous sign-ups with the same name can pick the same slug; the unique index
    # decides, and the loser retries with the next free suffix.
    for _attempt in range(5):
        slug = pro_slug_generate(display_name=display_name)
        try:
            with transaction.atomic():
                return ProProfile.objects.create(
                    user=user,
                    display_name=display_name,
                    slug=slug,
                    timezone=timezone,
                    # What they write is in their language until they say otherwise.
                    content_language=languages.language_of(user),
                )
        except IntegrityError:
            continue
    raise ValidationError(_("Could not reserve a public address; please try again."))


def pro_profile_create(*, user: User, display_name: str = "", timezone: str = "UTC") -> ProProfile:
    """Turn an existing user into a pro (used by seed data and staff tooling)."""
    display_name = (display_name or user.display_name).strip()
    with transaction.atomic():
        if user.role != User.Role.PRO:
            user.role = User.Role.PRO
            user.save(update_fields=["role"])
        existing = ProProfile.objects.filter(user=user).first()
        if existing:
            return existing
        return _pro_profile_create(
            user=user, display_name=display_name, timezone=_clean_timezone(timezone)
        )


# Profile editing -----------------------------------------------------------------------------


def _replace_avatar(profile, *, avatar, remove_avatar: bool) -> None:
    """Store a new avatar (already processed) or clear it; delete the old file after commit."""
    old = profile.avatar.name if profile.avatar else ""
    if avatar is not None:
        profile.avatar.save(avatar.name, avatar, save=False)
    elif remove_avatar:
        profile.avatar = ""
    else:
        return
    if old and old != profile.avatar.name:
        storage = profile.avatar.storage
        transaction.on_commit(lambda: stored_delete(storage, old))


def _validate_phone(phone: str) -> str:
    phone = " ".join((phone or "").split())
    if phone and (not PHONE_RE.match(phone) or sum(c.isdigit() for c in phone) < 6):
        raise ValidationError({"phone": _("Enter a phone number such as +33 6 12 34 56 78.")})
    return phone


def profile_update(
    *,
    user: User,
    display_name=_UNSET,
    phone=_UNSET,
    timezone=_UNSET,
    language=_UNSET,
    avatar=None,
    remove_avatar: bool = False,
) -> ClientProfile:
    """Update the user's client profile; only the given fields change. Creates it if missing.
    `language` is the user's own (`user_language_set`), saved in the same transaction."""
    with transaction.atomic():
        profile, _created = ClientProfile.objects.select_for_update().get_or_create(user=user)
        if display_name is not _UNSET:
            display_name = (display_name or "").strip()
            if not display_name:
                raise ValidationError({"display_name": _("Please enter your name.")})
            profile.display_name = display_name
        if phone is not _UNSET:
            profile.phone = _validate_phone(phone)
        if timezone is not _UNSET:
            profile.timezone = timezone
        profile.full_clean(exclude=["user", "avatar"])
        _replace_avatar(profile, avatar=avatar, remove_avatar=remove_avatar)
        profile.save()
        if language is not _UNSET and (language or "") != user.language:
            user_language_set(user=user, language=language or "")
    return profile


def pro_profile_update(
    *,
    pro: ProProfile,
    display_name=_UNSET,
    slug=_UNSET,
    headline=_UNSET,
    bio=_UNSET,
    content_language=_UNSET,
    translations=_UNSET,
    category=_UNSET,
    city=_UNSET,
    address_line=_UNSET,
    business_name=_UNSET,
    latitude=_UNSET,
    longitude=_UNSET,
    travel_km=_UNSET,
    timezone=_UNSET,
    currency=_UNSET,
    avatar=None,
    remove_avatar: bool = False,
) -> ProProfile:
    """Update a pro's public profile; only the given fields change.

    `translations` replaces the versions of headline and bio in other languages (checked by
    `accounts.content.clean_translations`). A new `content_language` relabels the texts as
    `accounts.content.relabel` says, the profile's here and every service's through
    `accounts.signals.pro_content_language_changed`, in the same transaction.

    A new `currency` goes through `pro_currency_change` in the same transaction, after the city
    (whose country decides the allowed currencies): refused, nothing is saved. What it did is
    on the returned profile's `currency_change` (None when the currency stayed)."""
    with transaction.atomic():
        pro = ProProfile.objects.select_for_update().get(pk=pro.pk)
        errors: dict[str, list] = {}
        if display_name is not _UNSET:
            pro.display_name = (display_name or "").strip()
            if not pro.display_name:
                errors["display_name"] = [_("Please enter the name clients will see.")]
        if slug is not _UNSET:
            try:
                pro.slug = pro_slug_validate(slug=slug, pro=pro)
            except ValidationError as exc:
                errors["slug"] = exc.messages
        for name, value in (
            ("headline", headline),
            ("bio", bio),
            ("city", city),
            ("address_line", address_line),
            ("business_name", business_name),
        ):
            if value is not _UNSET:
                setattr(pro, name, " ".join((value or "").split()) if name != "bio" else value)
        if category is not _UNSET:
            if category in ("", None):
                category = None
            elif not isinstance(category, Category):
                category = Category.objects.filter(pk=category).first()
                if category is None:
                    errors["category"] = [_("Choose a category from the list.")]
            if "category" not in errors:
                pro.category = category
        for name, value in (
            ("latitude", latitude),
            ("longitude", longitude),
            ("travel_km", travel_km),
        ):
            if value is not _UNSET:
                setattr(pro, name, value)
        if (pro.latitude is None) != (pro.longitude is None):
            errors["latitude"] = [_("Enter both the latitude and the longitude, or neither.")]
        if timezone is not _UNSET:
            pro.timezone = timezone
        if translations is not _UNSET:
            pro.translations = translations if translations is not None else {}
        old_language = pro.content_language
        if content_language is not _UNSET and content_language != old_language:
            if not languages.is_supported(content_language):
                errors["content_language"] = [_("Choose one of the languages in the list.")]
            else:
                pro.content_language = content_language
                content.relabel(
                    pro, ProProfile.TRANSLATED_FIELDS, old=old_language, new=content_language
                )
        if errors:
            raise ValidationError(errors)
        pro.full_clean(exclude=["user", "avatar", "slug"])
        _replace_avatar(pro, avatar=avatar, remove_avatar=remove_avatar)
        try:
            with transaction.atomic():
                pro.save()
        except IntegrityError:
            raise ValidationError({"slug": [_("This address is already taken.")]}) from None
        if pro.content_language != old_language:
            pro_content_language_changed.send(
                sender=ProProfile, pro=pro, old=old_language, new=pro.content_language
            )
        pro.currency_change = None
        if currency is not _UNSET and currency and currency.upper() != pro.currency:
            pro.currency_change = pro_currency_change(pro=pro, currency=currency)
            pro.currency = pro.currency_change.new
    return pro


# Currency ------------------------------------------------------------------------------------


def pro_currency_choices(*, city: str | None, current: str | None = None) -> list[str]:
    """The currencies a pro in `city` may price in: Stripe's settlement currencies of the city's
    country, its own first (`timz.money.settlement_currencies`). For a city of unknown country,
    every currency some country settles in, after the pro's current one."""
    choices = list(money.settlement_currencies(geo.city_country(city)))
    if not choices:
        choices = list(money.all_settlement_currencies())
        if current in choices:
            choices.remove(current)
            choices.insert(0, current)
    return choices


@dataclass(frozen=True, slots=True)
class CurrencyChange:
    """What pro_currency_change did: the codes, and the counts the receivers returned
    (``services_relabelled``...)."""

    old: str
    new: str
    summary: dict[str, int]


def pro_currency_change(*, pro: ProProfile, currency: str) -> CurrencyChange:
    """Price `pro`'s services in `currency` from now on.

    The currency must be one a Stripe account in the pro's city can settle in
    (`pro_currency_choices`). The other apps are asked in the same transaction
    (`accounts.signals.pro_currency_changing`): bookings refuses while the pro has upcoming
    active bookings and otherwise relabels the services (the amounts stay as typed: 30 EUR
    becomes 30 GBP); payments refuses while a payment is pending. Raises ValidationError
    ({"currency": message}) when refused; changing to the same currency does nothing.
    """
    code = (currency or "").strip().upper()
    with transaction.atomic():
        pro = ProProfile.objects.select_for_update().get(pk=pro.pk)
        old = pro.currency
        if code == old:
            return CurrencyChange(old=old, new=code, summary={})
        allowed = pro_currency_choices(city=pro.city, current=old)
        if code not in allowed:
            values = {"city": pro.city, "currencies": ", ".join(allowed), "code": code}
            if geo.city_country(pro.city):
                message = _("Prices in %(city)s can be in %(currencies)s; not “%(code)s”.")
            else:
                message = _("Prices on Timz can be in %(currencies)s; not “%(code)s”.")
            raise ValidationError({"currency": message % values}, code="currency_not_settled")
        summary: dict[str, int] = {}
        try:
            for _receiver, response in pro_currency_changing.send(
                sender=ProProfile, pro=pro, old=old, new=code
            ):
                summary.update(response or {})
        except ValidationError as exc:
            raise ValidationError({"currency": exc.messages}) from None
        pro.currency = code
        pro.save(update_fields=["currency", "updated_at"])
    return CurrencyChange(old=old, new=code, summary=summary)


# The directory's search document ------------------------------------------------------------


def pro_search_documents_refresh(*, pro_ids: Iterable[int] | QuerySet | None = None) -> int:
    """Rewrite `ProProfile.search_document` of these pros (every pro for None) from their
    current name, headline, category and active services (`accounts.text_search`), headlines
    and service names with their versions in other languages (`accounts.content`); one UPDATE.
    Returns the number of pros written. Nothing to do, and 0, without PostgreSQL.

    Called by every write that changes a document's input (accounts.receivers,
    bookings.receivers, bookings.services.pro_offer_withdraw, seed_demo) and by
    `manage.py search_reindex`. A queryset update: no signal, no page cache bump of its own
    (the write that called it bumped already).
    """
    if connection.vendor != "postgresql":
        return 0
    # The reverse relation, not an import: accounts never imports bookings.
    services = ProProfile._meta.get_field("services").related_model
    names = (
        services.objects.filter(pro=OuterRef("pk"), is_active=True)
        .order_by()
        .values("pro")
        .annotate(names=StringAgg(content.with_versions("name"), Value(" ")))
        .values("names")
    )
    category = Category.objects.filter(pk=OuterRef("category_id")).values("name")
    config = text_search.SEARCH_CONFIG
    document = (
        SearchVector("display_name", weight="A", config=config)
        + SearchVector("headline", *content.version_columns("headline"), weight="B", config=config)
        + SearchVector(Subquery(category), Subquery(names), weight="C", config=config)
    )
    pros = ProProfile.objects.all()
    if pro_ids is not None:
        pros = pros.filter(pk__in=pro_ids)
    return pros.update(search_document=document)


# Account deletion ----------------------------------------------------------------------------

DELETED_CLIENT_NAME = "Deleted user"
DELETED_PRO_NAME = "Former pro"
DELETED_EMAIL_DOMAIN = "deleted.invalid"
# Every password check counts, and the right password deletes the account, so in effect this
# limits wrong passwords: a stolen session must not become a way to guess the password.
DELETE_ATTEMPTS = RateLimit(
    scope="account-delete-passwords",
    setting="ACCOUNT_DELETE_RATE_LIMIT",
    # Lazy: read when a refusal is written, in the reader's language; RateLimit fills `{wait}`
    # ("15 minutes") with str.format, which the lazy text passes on.
    message=cast(str, gettext_lazy("Too many wrong passwords. Please wait {wait} and try again.")),
)


@dataclass(frozen=True, slots=True)
class AccountDeletion:
    """What account_delete did, for the confirmation message: the counts that the other apps'
    `user_deleting` receivers returned, by the names they chose."""

    summary: dict[str, int]


def deleted_email(user_pk: int) -> str:
    return f"deleted-{user_pk}@{DELETED_EMAIL_DOMAIN}"


def account_can_self_delete(user: User) -> bool:
    return user.is_authenticated and user.is_active and not (user.is_staff or user.is_superuser)


def account_deletion_preview(*, user: User) -> dict[str, int]:
    """What deleting `user`'s account would end in the other apps (their
    `user_deletion_previewing` receivers' numbers), for the warning page. Only reads; it sits
    beside account_delete so that the page and the deletion read as one contract."""
    return collect(user_deletion_previewing, user=user)


def account_delete(*, user: User, password: str) -> AccountDeletion:
    """Delete the user's account as the module docstring describes; one transaction.

    Raises ValidationError: staff account (code "staff"), already deleted ("inactive"), wrong
    password (``{"password": ...}``, code "wrong_password"), and timz.ratelimit.RateLimited
    (code "rate_limited") past settings.ACCOUNT_DELETE_RATE_LIMIT password attempts.
    """
    if user.is_staff or user.is_superuser:
        raise ValidationError(
            _("Staff accounts cannot be deleted from here; please ask an administrator."),
            code="staff",
        )
    if not user.is_active:
        raise ValidationError(_("This account is already deleted."), code="inactive")
    # Counted before the check, so racing guesses cannot all pass a count read before any of
    # them is added.
    DELETE_ATTEMPTS.hit(user.pk)
    if not password or not user.check_password(password):
        raise ValidationError(
            {"password": ValidationError(_("The password is not correct."), code="wrong_password")}
        )
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.is_active:
            raise ValidationError(_("This account is already deleted."), code="inactive")
        summary = collect(user_deleting, user=locked)
        _anonymise_profiles(user=locked)
        _anonymise_user(user=locked)
        _sessions_delete(user_pk=locked.pk)
    # The caller's object reflects the new state (a view logs it out next).
    user.email, user.is_active, user.password = locked.email, False, locked.password
    return AccountDeletion(summary=summary)


def file_delete_on_commit(field) -> None:
    """Delete the file of a FieldFile (and a picture's responsive sizes) from its storage once
    the transaction commits (a rollback keeps the file); nothing for an empty field."""
    if field:
        storage, name = field.storage, field.name
        transaction.on_commit(lambda: stored_delete(storage, name))


def _anonymise_profiles(*, user: User) -> None:
    client_profile = ClientProfile.objects.select_for_update().filter(user=user).first()
    if client_profile is None:
        client_profile = ClientProfile(user=user)
    file_delete_on_commit(client_profile.avatar)
    client_profile.display_name = DELETED_CLIENT_NAME
    client_profile.phone = ""
    client_profile.timezone = "UTC"
    client_profile.avatar = ""
    client_profile.save()

    pro = ProProfile.objects.select_for_update().filter(user=user).first()
    if pro is None:
        return
    file_delete_on_commit(pro.avatar)
    pro.display_name = DELETED_PRO_NAME
    pro.headline = pro.bio = pro.city = pro.address_line = pro.business_name = ""
    pro.translations = {}
    pro.avatar = ""
    pro.is_listed = False
    pro.slug = _random_slug()
    pro.save()


def _random_slug() -> str:
    while True:
        slug = f"former-pro-{secrets.token_hex(6)}"
        if not ProProfile.objects.filter(slug=slug).exists():
            return slug


def _anonymise_user(*, user: User) -> None:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    user.email = deleted_email(user.pk)
    user.set_unusable_password()
    user.is_active = False
    user.save(update_fields=["email", "password", "is_active"])
    user.groups.clear()
    user.user_permissions.clear()


def _sessions_delete(*, user_pk: int) -> int:
    """Delete the user's stored sessions (database-backed session engines).

    Sessions do not record their user in a column, so the live ones are decoded one by one;
    deletion is rare and this keeps the session store standard. Other engines (cache, signed
    cookies) are covered by the changed password hash, which Django checks on every request.
    """
    from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
    from django.contrib.sessions.models import Session

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not issubclass(store_class, DatabaseStore):  # db, cached_db, timz.sessions
        return 0
    wanted = str(user_pk)
    deleted = 0
    live = Session.objects.filter(expire_date__gt=dj_timezone.now())
    for session in live.iterator(chunk_size=500):
        if str(session.get_decoded().get(SESSION_KEY)) == wanted:
            store_class().delete(session.session_key)
            deleted += 1
    return deleted
