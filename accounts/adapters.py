"""allauth customisation, in one place.

- sign-up stores the chosen role and creates the profiles (`accounts.services`), in the same
  transaction as the user row;
- after login (and after sign-up + email confirmation) a pro lands on their dashboard, a client
  on the home page (an explicit `?next=` still wins, as allauth applies it before asking).
"""

from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction
from django.urls import reverse

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
                )
        # allauth asks for the sign-up redirect (used after the email is confirmed) before the
        # new user is logged in; remember who signed up so the landing can follow the role.
        request.timz_signup_user = user
        return user

    @staticmethod
    def _landing_for(user) -> str:
        if getattr(user, "is_pro", False):
            return reverse("accounts:dashboard")
        return reverse("home")

    def get_login_redirect_url(self, request):
        return self._landing_for(request.user)

    def get_signup_redirect_url(self, request):
        return self._landing_for(getattr(request, "timz_signup_user", None) or request.user)
