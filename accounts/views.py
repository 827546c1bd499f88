from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts import selectors as directory
from accounts import services
from accounts.access import pro_required
from accounts.data_export import account_export
from accounts.forms import AccountDeleteForm, ProfileForm, ProProfileForm
from accounts.models import ClientProfile
from accounts.search import DirectorySearchForm, matching_services_first
from accounts.structured_data import json_ld_script_text, pro_json_ld
from timz import pagecache
from timz.links import absolute_url
from timz.pagecache import cache_public_page

HOME_PAGE_SIZE = 12


@cache_public_page()
def home(request):
    """The directory: hero search form, category chips, paginated results (12 per page)."""
    categories = list(directory.categories_all())
    form = DirectorySearchForm(
        request.GET or None, categories=categories, cities=directory.cities_all()
    )
    if form.is_bound:
        form.is_valid()  # invalid fields are shown as errors and ignored; the rest still filter
    filters = form.filters()
    paginator = Paginator(directory.pro_search(**filters), HOME_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/home.html",
        {
            "form": form,
            "filters": filters,
            "is_filtered": form.is_filtered(),
            "categories": categories,
            "page_obj": page,
            "pros": matching_services_first(page.object_list, filters["q"]),
        },
    )


@cache_public_page(pro_id_of=pagecache.pro_id_for_slug)
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
    """The signed-in user's own client profile: name, phone, time zone, photo."""
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
                    avatar=data["avatar"],
                    remove_avatar=data["remove_avatar"],
                )
            except ValidationError as exc:
                _apply_service_errors(form, exc)
            else:
                messages.success(request, "Your profile is saved.")
                return redirect("accounts:profile")
    else:
        initial = {"timezone": "UTC"}
        if client_profile:
            initial = {
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
    """The pro's public profile: name, page address, headline, bio, category, place, photo."""
    initial = {
        "display_name": pro.display_name,
        "slug": pro.slug,
        "headline": pro.headline,
        "bio": pro.bio,
        "category": pro.category_id,
        "city": pro.city,
        "address_line": pro.address_line,
        "business_name": pro.business_name,
        "latitude": pro.latitude,
        "longitude": pro.longitude,
        "travel_km": pro.travel_km,
        "timezone": pro.timezone,
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
                    category=data["category"],
                    city=data["city"],
                    address_line=data["address_line"],
                    business_name=data["business_name"],
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                    travel_km=data["travel_km"],
                    timezone=data["timezone"],
                    avatar=data["avatar"],
                    remove_avatar=data["remove_avatar"],
                )
            except ValidationError as exc:
                _apply_service_errors(form, exc)
            else:
                messages.success(request, "Your public profile is saved.")
                return redirect("accounts:pro_profile_edit")
    else:
        form = ProProfileForm(pro=pro, initial=initial)
    share_url = absolute_url(reverse("share_link", kwargs={"slug": pro.slug}))
    return render(
        request,
        "accounts/pro_profile_edit.html",
        {"form": form, "pro": pro, "share_url": share_url},
    )


def dashboard_checklist(pro) -> list[dict]:
    """What a pro still has to fill in before the public page looks complete (2 queries)."""
    edit = reverse("accounts:pro_profile_edit")
    has_service = pro.services.filter(is_active=True).exists()
    has_hours = pro.weekly_hours.exists()
    return [
        {"label": "Add a photo", "done": bool(pro.avatar), "url": edit},
        {"label": "Write a headline", "done": bool(pro.headline), "url": edit},
        {"label": "Tell clients about you", "done": bool(pro.bio), "url": edit},
        {"label": "Pick a category", "done": pro.category_id is not None, "url": edit},
        {"label": "Say where you work", "done": bool(pro.city), "url": edit},
        {
            "label": "Offer at least one service",
            "done": has_service,
            "url": reverse("bookings:services"),
        },
        {
            "label": "Set your weekly hours",
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
                ended = result.summary.get("bookings_ended", 0)
                note = (
                    f" {ended} upcoming booking{'s were' if ended != 1 else ' was'} cancelled."
                    if ended
                    else ""
                )
                messages.success(request, "Your account is deleted." + note + " Goodbye!")
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
