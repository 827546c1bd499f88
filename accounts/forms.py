from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms

from accounts.models import User


class SignupForm(AllauthSignupForm):
    role = forms.ChoiceField(
        choices=User.Role.choices,
        initial=User.Role.CLIENT,
        widget=forms.RadioSelect,
        label="I want to",
    )
    display_name = forms.CharField(max_length=80, label="Your name")
