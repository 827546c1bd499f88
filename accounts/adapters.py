"""allauth customisation, in one place.

- sign-up stores the chosen role and creates the profiles (`accounts.services`), in the same
  transaction as the user row;
- sign-up also keeps the language the person was reading the site in (the request's active
  one: the switcher's cookie, else the browser's) as their own, so that later emails reach them
  in it;
- after login (and after sign-up + email confirmation) a pro lands on their dashboard, a client
  on the home page (an explicit `?next=` still wins, as allauth applies it before asking);
- allauth's emails (confirmation, password reset, "this account already exists") are written
  in the language of the account they go to, when it has one; else in the language of the
  request that asked for them, whose reader is, in these flows, usually the recipient.
"""

from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from accounts import languages
from accounts.models import User
from accounts.services import user_signup_complete


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        data = form.cleaned_data
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=False)
            user.role = data.get("role") or user.Role.CLIENT
            if commit:
                user_signup_complete(
                    user=user,
                    role=user.role,
                    display_name=data.get("display_name") or user.email.split("@")[0],
                    timezone=data.get("timezone"),
                    language=translation.get_language(),
                )
        # allauth asks for the sign-up redirect (used after the email is confirmed) before the
        # new user is logged in; remember who signed up so the landing can follow the role.
        request.timz_signup_user = user
        return user

    def send_mail(self, template_prefix, email, context):
        # The account the email goes to: allauth names it for some emails (confirmation,
        # password reset); others (a login code, "this account already exists") name only
        # the address, which is the account's login.
        user = context.get("user") or User.objects.filter(email=(email or "").lower()).first()
        if user is None or not languages.is_supported(user.language):
            return super().send_mail(template_prefix, email, context)
        with languages.speaking(user):
            return super().send_mail(template_prefix, email, context)

    @staticmethod
    def _landing_for(user) -> str:
        if getattr(user, "is_pro", False):
            return reverse("accounts:dashboard")
        return reverse("home")

    def get_login_redirect_url(self, request):
        return self._landing_for(request.user)

    def get_signup_redirect_url(self, request):
        return self._landing_for(getattr(request, "timz_signup_user", None) or request.user)
