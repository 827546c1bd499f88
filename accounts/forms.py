"""Forms of the accounts area: allauth's sign-up (plus role and name) and the profile editors.

The profile forms only bind and validate input; `accounts.services` writes. Pictures go through
`accounts.images.ImageUploadField`, so `cleaned_data["avatar"]` is already re-encoded.
"""

import copy
from decimal import Decimal

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.conf import settings
from django.forms.utils import pretty_name
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import content, geo
from accounts.images import AVATAR_SIDE, ImageUploadField
from accounts.models import Category, ProProfile, User, timezone_choices
from accounts.services import SLUG_MAX, pro_currency_choices, pro_slug_validate
from timz import money
from timz.widgets import LongSelect


class SignupForm(AllauthSignupForm):
    """allauth's sign-up with a role (client or pro), a display name and the browser's zone."""

    field_order = ["role", "display_name", "email", "password1", "password2"]

    role = forms.ChoiceField(
        choices=User.Role.choices,
        initial=User.Role.CLIENT,
        widget=forms.RadioSelect,
        label=_("I want to"),
        error_messages={"required": _("Choose whether you want to book or to offer services.")},
    )
    display_name = forms.CharField(
        max_length=80,
        label=_("Your name"),
        help_text=_("Shown on your bookings; pros can change their public name later."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    # Filled by static/js/accounts.js from the browser (Intl API); UTC without JavaScript.
    timezone = forms.CharField(required=False, widget=forms.HiddenInput, initial="UTC")

    ROLE_DESCRIPTIONS = {
        User.Role.CLIENT: (
            _("Book appointments"),
            _("Find pros and book them in a few taps."),
        ),
        User.Role.PRO: (
            _("Offer my services"),
            _("Get a public page, take bookings and payments."),
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "password1" in self.fields:
            # One line instead of allauth's list of every validator; the rules still apply.
            self.fields["password1"].help_text = gettext(
                "At least 8 characters, not a common password and not only digits."
            )

    def role_cards(self):
        """(radio subwidget, title, description) for the radio-card template."""
        cards = []
        for radio in self["role"]:
            title, text = self.ROLE_DESCRIPTIONS.get(radio.data["value"], (radio.choice_label, ""))
            cards.append((radio, title, text))
        return cards

    def clean_display_name(self):
        name = " ".join(self.cleaned_data["display_name"].split())
        if not name:
            raise forms.ValidationError(gettext("Please enter your name."))
        return name

    def signup(self, request, user):
        """allauth hook; the profiles are created by the adapter's save_user."""


def _timezone_field(**kwargs) -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=timezone_choices,
        widget=LongSelect,
        label=_("Time zone"),
        error_messages={"invalid_choice": _("“%(value)s” is not a known time zone.")},
        **kwargs,
    )


class _AvatarMixin(forms.Form):
    avatar = ImageUploadField(max_side=AVATAR_SIDE, square=True, required=False, label=_("Photo"))
    remove_avatar = forms.BooleanField(required=False, label=_("Remove the current photo"))


class ProfileForm(_AvatarMixin):
    display_name = forms.CharField(
        max_length=80, label=_("Name"), widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    phone = forms.CharField(
        max_length=32,
        required=False,
        label=_("Phone"),
        help_text=_("Only the pros you book can see it."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    timezone = _timezone_field(help_text=_("Times of your bookings are shown in this zone."))
    # Each language in its own name (settings.LANGUAGES); "" follows the browser.
    language = forms.ChoiceField(
        required=False,
        label=_("Language"),
        choices=[("", _("Same as my browser")), *settings.LANGUAGES],
        help_text=_("The pages of Timz and the emails it sends you are in this language."),
        error_messages={"invalid_choice": _("Choose one of the languages in the list.")},
    )

    field_order = ["display_name", "phone", "timezone", "language", "avatar", "remove_avatar"]


class VersionsForm(forms.Form):
    """A form with optional fields for a pro's versions of some texts in other languages
    (accounts.content): a copy of each of `translated_fields` per language, named
    ``<field>__<code>`` and marked with its `lang` (spelling checks in the right language).
    `version_groups()` gives the template one group per language other than the one the base
    fields are in (and any other that has text or an error); `cleaned_translations()` the
    versions to store, checked by `content.clean_translations`."""

    translated_fields: tuple[str, ...] = ()

    def add_version_fields(self, *, content_language: str, translations: dict | None) -> None:
        self.base_language = content_language
        translations = translations or {}
        for code in content.LANGUAGE_CODES:
            for name in self.translated_fields:
                base = self.fields[name]
                field = copy.deepcopy(base)
                field.required = False
                # Built with the form, in the reader's language: "Headline in German".
                field.label = gettext("%(field)s in %(language)s") % {
                    "field": base.label or pretty_name(name),
                    "language": content.language_name(code),
                }
                field.help_text = ""
                field.widget.attrs["lang"] = code
                key = version_field_name(name, code)
                self.fields[key] = field
                self.initial.setdefault(key, (translations.get(code) or {}).get(name, ""))

    def base_language_name(self) -> str:
        """The language the base fields are in, named in the active language."""
        return content.language_name(self.base_language)

    def version_groups(self) -> list[dict]:
        """[{code, legend, fields (bound), open}] for the template, in LANGUAGES order."""
        groups = []
        for code in content.LANGUAGE_CODES:
            fields = [self[version_field_name(name, code)] for name in self.translated_fields]
            written = any(f.value() for f in fields)
            errors = any(f.errors for f in fields)
            if code == self.base_language and not (written or errors):
                continue
            legend = gettext("%(language)s version (optional)") % {
                "language": content.language_name(code)
            }
            groups.append(
                {"code": code, "legend": legend, "fields": fields, "open": written or errors}
            )
        return groups

    def cleaned_translations(self, *, content_language: str) -> dict:
        """The versions typed, as `translations` stores them; a problem with them becomes a
        form error (the form is then invalid)."""
        typed = {
            code: {
                name: self.cleaned_data.get(version_field_name(name, code)) or ""
                for name in self.translated_fields
            }
            for code in content.LANGUAGE_CODES
        }
        try:
            return content.clean_translations(
                typed,
                fields={
                    name: getattr(self.fields[name], "max_length", None) or 0
                    for name in self.translated_fields
                },
                content_language=content_language,
            )
        except forms.ValidationError as exc:
            self.add_error(None, exc)
            return {}


def version_field_name(field: str, code: str) -> str:
    return f"{field}__{code}"


class ProProfileForm(VersionsForm, _AvatarMixin):
    display_name = forms.CharField(max_length=80, label=_("Public name"))
    slug = forms.CharField(
        max_length=SLUG_MAX,
        label=_("Page address"),
        help_text=_("Lowercase letters, digits and hyphens, e.g. anna-hair-studio."),
    )
    headline = forms.CharField(
        max_length=140,
        required=False,
        label=_("Headline"),
        help_text=_("One line under your name, e.g. “Fades and beard trims in Montmartre”."),
    )
    bio = forms.CharField(
        max_length=4000,
        required=False,
        label=_("About you"),
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    content_language = forms.ChoiceField(
        choices=settings.LANGUAGES,
        label=_("Language of your texts"),
        help_text=_(
            "The language of your headline, about you and your services. Visitors who read "
            "Timz in another language see your version in theirs when you wrote one, else "
            "these texts. Changing it makes your versions in that language the main texts."
        ),
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.order_by("name"),
        required=False,
        label=_("Category"),
        empty_label=_("Choose a category"),
    )
    city = forms.CharField(
        max_length=80,
        required=False,
        label=_("City"),
        help_text=_(
            "Pick a city from the list to place you on the map, or type coordinates below."
        ),
        widget=forms.TextInput(attrs={"list": "known-cities", "autocomplete": "off"}),
    )
    address_line = forms.CharField(
        max_length=200,
        required=False,
        label=_("Address"),
        help_text=_("Where clients meet you (shown on your public page)."),
    )
    business_name = forms.CharField(
        max_length=120,
        required=False,
        label=_("Business name on receipts"),
        help_text=_("Your company or trading name. Leave empty to use your public name."),
    )
    latitude = forms.DecimalField(
        required=False,
        min_value=-90,
        max_value=90,
        max_digits=9,
        decimal_places=6,
        label=_("Latitude"),
        help_text=_("From -90 to 90, e.g. 48.8566. Leave empty to use your city's centre."),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    longitude = forms.DecimalField(
        required=False,
        min_value=-180,
        max_value=180,
        max_digits=9,
        decimal_places=6,
        label=_("Longitude"),
        help_text=_("From -180 to 180, e.g. 2.3522."),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    travel_km = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=geo.MAX_TRAVEL_KM,
        label=_("I travel to clients within (km)"),
        help_text=_("Leave empty if clients come to you."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    timezone = _timezone_field(help_text=_("Your weekly hours are in this zone."))
    # A select whose options follow the city (validated in clean(), against the submitted city).
    currency = forms.CharField(
        label=_("Your prices are in"),
        max_length=3,
        widget=forms.Select,
        help_text=_("The currencies Stripe can pay you in where you work; your city's first."),
    )

    field_order = [
        "display_name",
        "slug",
        "headline",
        "bio",
        "content_language",
        "category",
        "city",
        "address_line",
        "business_name",
        "latitude",
        "longitude",
        "travel_km",
        "timezone",
        "currency",
        "avatar",
        "remove_avatar",
    ]

    known_cities = staticmethod(geo.city_names)
    translated_fields = ProProfile.TRANSLATED_FIELDS

    def __init__(self, *args, pro=None, **kwargs):
        self.pro = pro
        super().__init__(*args, **kwargs)
        self.add_version_fields(
            content_language=self.initial.get("content_language") or settings.LANGUAGE_CODE,
            translations=pro.translations if pro else None,
        )
        if self.is_bound and "content_language" not in self.data:
            # Not sent (a form from before the choice existed): it stays as it is.
            data = self.data.copy()  # type: ignore[attr-defined]  # a QueryDict
            data["content_language"] = self.base_language
            self.data = data
        city = self.data.get("city") if self.is_bound else self.initial.get("city")
        current = self.initial.get("currency") or (pro.currency if pro else None)
        self.fields["currency"].widget.choices = [
            (code, money.currency_label(code))
            for code in pro_currency_choices(city=city, current=current)
        ]

    def _clean_currency(self, data: dict) -> None:
        """The currency must be one the (new) city's country settles in. Left as it was while
        the city moved to a country that does not settle in it, or while a first city is
        chosen (the pro had none of known country), it follows the city's own currency."""
        city, old_city = data.get("city"), self.initial.get("city")
        code = data["currency"].upper()
        choices = pro_currency_choices(city=city, current=self.initial.get("currency"))
        untouched = "currency" not in self.changed_data
        follows_city = untouched and "city" in self.changed_data and geo.city_currency(city)
        if follows_city and (code not in choices or not geo.city_country(old_city)):
            code = choices[0]
        if code not in choices:
            currencies = ", ".join(choices)
            if city:
                message = gettext("Prices in %(city)s can be in %(currencies)s.") % {
                    "city": city,
                    "currencies": currencies,
                }
            else:
                message = gettext("Prices in your city can be in %(currencies)s.") % {
                    "currencies": currencies
                }
            self.add_error("currency", message)
        data["currency"] = code

    def clean_slug(self):
        return pro_slug_validate(slug=self.cleaned_data["slug"], pro=self.pro)

    def clean(self):
        """Coordinates: both or neither. Left empty, or left as they were while the city changed,
        they come from the city when the place resolver knows it (else stay empty)."""
        data = super().clean()
        # Checked against the content language the versions were typed under: a change of it
        # makes the versions in the new one the main texts (accounts.content.relabel).
        self.cleaned_data["translations"] = self.cleaned_translations(
            content_language=self.base_language
        )
        if "city" in data and "currency" in data:
            self._clean_currency(data)
        lat, lng = data.get("latitude"), data.get("longitude")
        if "latitude" in self.errors or "longitude" in self.errors:
            return data
        typed = {"latitude", "longitude"} & set(self.changed_data)
        if (lat is None) != (lng is None) and typed:
            self.add_error(
                "longitude" if lng is None else "latitude",
                gettext("Enter both the latitude and the longitude, or neither."),
            )
            return data
        city_moved = "city" in self.changed_data and not typed
        if (lat is None or city_moved) and "city" in data:
            try:
                place = geo.resolve_place(data["city"])
            except ValueError:
                place = None
            data["latitude"] = data["longitude"] = None
            if place is not None:
                data["latitude"] = round(Decimal(str(place.lat)), 6)
                data["longitude"] = round(Decimal(str(place.lng)), 6)
        return data


class AccountDeleteForm(forms.Form):
    """The last step of deleting an account: the password again and an explicit yes."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Please enter your password to confirm.")},
    )
    confirm = forms.BooleanField(
        label=_("I understand that my account is deleted for good and cannot be restored."),
        error_messages={"required": _("Please tick the box to confirm.")},
    )
