from http import HTTPStatus

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import languages, services
from accounts import selectors as directory
from accounts.access import pro_required
from accounts.data_export import account_export
from accounts.forms import AccountDeleteForm, ProfileForm, ProProfileForm
from accounts.models import ClientProfile
from accounts.search import DirectorySearchForm, matching_services_first, viewer_currency
from accounts.structured_data import json_ld_script_text, pro_json_ld
from timz import pagecache
from timz.links import absolute_url, next_url
from timz.pagecache import cache_public_page

HOME_PAGE_SIZE = 12


# The default currency of an anonymous visitor comes from Accept-Language: part of the key.
@cache_public_page(key_of=viewer_currency, vary=("Accept-Language",))
def home(request):
    """The directory: hero search form, category chips, paginated results (12 per page); pros
    priced in the chosen currency first, the others under their own heading."""
    categories = list(directory.categories_all())
    form = DirectorySearchForm(
        request.GET or None,
        categories=categories,
        cities=directory.cities_all(),
        default_currency=viewer_currency(request, city=request.GET.get("city")),
    )
    if form.is_bound:
        form.is_valid()  # invalid fields are shown as errors and ignored; the rest still filter
    filters = form.filters()
    paginator = Paginator(directory.pro_search(**filters), HOME_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    pros = matching_services_first(page.object_list, filters["q"])
    response = render(
        request,
        "accounts/home.html",
        {
            "form": form,
            "filters": filters,
            "is_filtered": form.is_filtered(),
            "categories": categories,
            "page_obj": page,
            "pros": pros,
            "pros_in_currency": [p for p in pros if not p.other_currency],
            "pros_other_currency": [p for p in pros if p.other_currency],
        },
    )
    patch_vary_headers(response, ("Accept-Language",))
    return response


@cache_public_page(pro_slug="slug")
def pro_detail(request, slug):
    """A pro's public page: profile, active services with a Book button each, latest reviews."""
    pro = directory.pro_get_public(slug=slug)
    pagecache.pro_slug_seen(slug=slug, pro_id=pro.pk)
    reviews = directory.pro_latest_reviews(pro=pro)
    return render(
        request,
        "accounts/pro_detail.html",
        {"pro": pro, "reviews": reviews, "json_ld": json_ld_script_text(pro_json_ld(pro))},
    )


# Profile editing and the pro dashboard ------------------------------------------------------


def _apply_service_errors(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: per field when it names fields."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
def profile(request):
    """The signed-in user's own client profile: name, phone, time zone, language, photo."""
    client_profile = ClientProfile.objects.filter(user=request.user).first()
    if client_profile is not None:
        request.user.client_profile = client_profile  # the header's display name reuses it
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.profile_update(
                    user=request.user,
                    display_name=data["display_name"],
                    phone=data["phone"],
                    timezone=data["timezone"],
                    language=data["language"],
                    avatar=data["avatar"],
                    remove_avatar=data["remove_avatar"],
                )
            except ValidationError as exc:
                _apply_service_errors(form, exc)
            else:
                # The message is read on the next page: in the language just chosen (a blank
                # choice follows the switcher's cookie, else the browser).
                translation.activate(
                    request.user.language or translation.get_language_from_request(request)
                )
                messages.success(request, _("Your profile is saved."))
                return redirect("accounts:profile")
    else:
        initial = {"timezone": "UTC", "language": request.user.language}
        if client_profile:
            initial |= {
                "display_name": client_profile.display_name,
                "phone": client_profile.phone,
                "timezone": client_profile.timezone,
            }
        form = ProfileForm(initial=initial)
    return render(
        request, "accounts/profile.html", {"form": form, "client_profile": client_profile}
    )


@pro_required
def pro_profile_edit(request, *, pro):
    """The pro's public profile: name, page address, headline, bio (and their versions in
    other languages), category, place, photo."""
    initial = {
        "display_name": pro.display_name,
        "slug": pro.slug,
        "headline": pro.headline,
        "bio": pro.bio,
        "content_language": pro.content_language,
        "category": pro.category_id,
        "city": pro.city,
        "address_line": pro.address_line,
        "business_name": pro.business_name,
        "latitude": pro.latitude,
        "longitude": pro.longitude,
        "travel_km": pro.travel_km,
        "timezone": pro.timezone,
        "currency": pro.currency,
    }
    if request.method == "POST":
        # `initial` tells the form what changed (a new city moves untouched coordinates).
        form = ProProfileForm(request.POST, request.FILES, pro=pro, initial=initial)
        if form.is_valid():
            data = form.cleaned_data
            try:
                pro = services.pro_profile_update(
                    pro=pro,
                    display_name=data["display_name"],
                    slug=data["slug"],
                    headline=data["headline"],
                    bio=data["bio"],
                    content_language=data["content_language"],
                    translations=data["translations"],
                    category=data["category"],
                    city=data["city"],
                    address_line=data["address_line"],
                    business_name=data["business_name"],
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                    travel_km=data["travel_km"],
                    timezone=data["timezone"],
                    currency=data["currency"],
                    avatar=data["avatar"],
                    remove_avatar=data["remove_avatar"],
                )
            except ValidationError as exc:
                _apply_service_errors(form, exc)
            else:
                messages.success(request, _("Your public profile is saved."))
                if pro.currency_change:
                    messages.info(request, _currency_change_message(pro))
                return redirect("accounts:pro_profile_edit")
    else:
        form = ProProfileForm(pro=pro, initial=initial)
    share_url = absolute_url(reverse("share_link", kwargs={"slug": pro.slug}))
    return render(
        request,
        "accounts/pro_profile_edit.html",
        {"form": form, "pro": pro, "share_url": share_url},
    )


def _currency_change_message(pro) -> str:
    relabelled = pro.currency_change.summary.get("services_relabelled", 0)
    if not relabelled:
        return _("Your prices are now in %(currency)s.") % {"currency": pro.currency}
    return ngettext(
        "Your prices are now in %(currency)s: %(count)s service relabelled, amounts unchanged. "
        "Check it on your Services page.",
        "Your prices are now in %(currency)s: %(count)s services relabelled, amounts unchanged. "
        "Check them on your Services page.",
        relabelled,
    ) % {"currency": pro.currency, "count": relabelled}


def dashboard_checklist(pro) -> list[dict]:
    """What a pro still has to fill in before the public page looks complete (2 queries)."""
    edit = reverse("accounts:pro_profile_edit")
    has_service = pro.services.filter(is_active=True).exists()
    has_hours = pro.weekly_hours.exists()
    return [
        {"label": _("Add a photo"), "done": bool(pro.avatar), "url": edit},
        {"label": _("Write a headline"), "done": bool(pro.headline), "url": edit},
        {"label": _("Tell clients about you"), "done": bool(pro.bio), "url": edit},
        {"label": _("Pick a category"), "done": pro.category_id is not None, "url": edit},
        {"label": _("Say where you work"), "done": bool(pro.city), "url": edit},
        {
            "label": _("Offer at least one service"),
            "done": has_service,
            "url": reverse("bookings:services"),
        },
        {
            "label": _("Set your weekly hours"),
            "done": has_hours,
            "url": reverse("bookings:schedule"),
        },
    ]


@pro_required
def dashboard(request, *, pro):
    """The pro's overview: how complete the profile is, and the way to every pro page."""
    checklist = dashboard_checklist(pro)
    done = sum(1 for item in checklist if item["done"])
    return render(
        request,
        "accounts/dashboard.html",
        {
            "pro": pro,
            "checklist": checklist,
            "done_count": done,
            "total_count": len(checklist),
            "complete": done == len(checklist),
        },
    )


# Your data: export and account deletion --------------------------------------------------------


@login_required
@require_GET
def export_data(request):
    """The user's own data as a JSON download (see accounts.data_export)."""
    data = account_export(user=request.user)
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="timz-data-{stamp}.json"'
    response["Cache-Control"] = "no-store, private"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request):
    """Warning page and the confirmation form; on success the user is logged out."""
    allowed = services.account_can_self_delete(request.user)
    status = HTTPStatus.OK
    form = AccountDeleteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not allowed:
            status = HTTPStatus.FORBIDDEN
            form = AccountDeleteForm()
        elif form.is_valid():
            try:
                result = services.account_delete(
                    user=request.user, password=form.cleaned_data["password"]
                )
            except ValidationError as exc:
                _apply_service_errors(form, exc)
                limited = getattr(exc, "code", None) == "rate_limited"
                status = HTTPStatus.TOO_MANY_REQUESTS if limited else HTTPStatus.BAD_REQUEST
            else:
                logout(request)
                messages.success(request, _account_deleted_message(result))
                return redirect("home")
        else:
            status = HTTPStatus.BAD_REQUEST
    return render(
        request,
        "accounts/delete_account.html",
        {
            "form": form,
            "allowed": allowed,
            **services.account_deletion_preview(user=request.user),
        },
        status=status,
    )


def _account_deleted_message(result) -> str:
    ended = result.summary.get("bookings_ended", 0)
    if not ended:
        return _("Your account is deleted. Goodbye!")
    return ngettext(
        "Your account is deleted. %(count)s upcoming booking was cancelled. Goodbye!",
        "Your account is deleted. %(count)s upcoming bookings were cancelled. Goodbye!",
        ended,
    ) % {"count": ended}


@csrf_exempt
@require_POST
def language_set(request):
    """The language switcher: remember the choice in a cookie, and on a signed-in user's account
    so that emails follow it too; then back to the page it was made on.

    A visitor's choice only sets a cookie in their own browser, so their form carries no CSRF
    token: a token would set the CSRF cookie on every page and keep pages out of the visitors'
    cache (timz.pagecache). A signed-in user's choice writes to their account: CSRF-checked."""
    if request.user.is_authenticated:
        return _language_set_checked(request)
    return _language_set(request)


def _language_set(request):
    code = request.POST.get("language", "")
    if not languages.is_supported(code):
        return render(
            request,
            "bookings/bad_request.html",
            {
                "message": _("Choose one of the languages in the list."),
                "back": next_url(request, reverse("home"), or_referer=True),
            },
            status=HTTPStatus.BAD_REQUEST,
        )
    if request.user.is_authenticated:
        services.user_language_set(user=request.user, language=code)
    response = redirect(next_url(request, reverse("home"), or_referer=True))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 24 * 3600,
        samesite="Lax",
        secure=request.is_secure(),
        httponly=True,
    )
    return response


_language_set_checked = csrf_protect(_language_set)
