from django import forms
from django.utils.translation import gettext_lazy as _

from chat.models import BODY_MAX_LENGTH


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        max_length=BODY_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": _("Write a message…"), "maxlength": BODY_MAX_LENGTH}
        ),
        error_messages={
            "required": _("Write a message first: it cannot be empty."),
            # Django fills in %(limit_value)d.
            "max_length": _("A message can be at most %(limit_value)d characters."),
        },
    )
