"""Multi-factor sign-in (django-allauth's `allauth.mfa`): who must have a second factor.

- Pros and clients may add an authenticator app, recovery codes and passkeys (the Security
  page, `mfa_index`); nothing changes for them until they do.
- Staff must: a signed-in staff member without an authenticator app or a passkey is sent to the
  Security page, with a message, from every page that is not one of allauth's own (sign-out,
  email, password, MFA setup), and the API answers 403. The admin's own login form is replaced by
  allauth's (timz/urls.py), so the second factor is asked at every staff sign-in.
- Staff cannot remove their last authenticator app or passkey (`MFAAdapter` and
  `remove_webauthn`, as allauth's passkey removal does not ask the adapter).

Recovery codes are a fallback, not a factor of their own: allauth deletes them with the last
real authenticator, and they do not satisfy the staff requirement.
"""

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.mfa.webauthn.views import RemoveWebAuthnView
from django.contrib import messages
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext_lazy as _

STAFF_SETUP_MESSAGE = _(
    "Staff accounts need two-factor sign-in. Add an authenticator app or a passkey to continue."
)
LAST_FACTOR_MESSAGE = _(
    "Staff accounts need two-factor sign-in: add another authenticator app or passkey before "
    "removing this one."
)
# The kinds of authenticator that count as a second factor on their own.
FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
API_NAMESPACE = "api-v1"


def needs_mfa(user) -> bool:
    """Whether `user` must hold a second factor before using the site: staff only."""
    return bool(getattr(user, "is_authenticated", False) and user.is_staff)


def has_factor(user) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type__in=FACTOR_TYPES).exists()


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": LAST_FACTOR_MESSAGE,
    }

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Anyone may remove a factor, except staff their last one."""
        user = authenticator.user
        if not needs_mfa(user) or authenticator.type not in FACTOR_TYPES:
            return True
        others = Authenticator.objects.filter(user_id=user.pk, type__in=FACTOR_TYPES)
        return others.exclude(pk=authenticator.pk).exists()


class GuardedRemoveWebAuthnView(RemoveWebAuthnView):
    """allauth's passkey removal, asking the adapter first as its authenticator-app form does."""

    def form_valid(self, form):
        authenticator = self.get_object()
        if not MFAAdapter().can_delete_authenticator(authenticator):
            messages.error(self.request, LAST_FACTOR_MESSAGE)
            return HttpResponseRedirect(reverse("mfa_list_webauthn"))
        return super().form_valid(form)


remove_webauthn = GuardedRemoveWebAuthnView.as_view()


def _is_allauth_page(match) -> bool:
    view = match.func
    module = getattr(getattr(view, "view_class", view), "__module__", "")
    return module.startswith("allauth.")


class StaffMFARequiredMiddleware:
    """Send staff without a second factor to set one up before anything else (see module doc).

    One query per request of a signed-in staff member; none for anybody else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if needs_mfa(request.user):
            try:
                match = resolve(request.path_info)
            except Resolver404:
                match = None
            if match is not None and not _is_allauth_page(match) and not has_factor(request.user):
                if API_NAMESPACE in match.namespaces:
                    return JsonResponse({"detail": STAFF_SETUP_MESSAGE}, status=403)
                messages.warning(request, STAFF_SETUP_MESSAGE)
                return HttpResponseRedirect(reverse("mfa_index"))
        return self.get_response(request)
