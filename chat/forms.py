from django import forms

from chat.models import BODY_MAX_LENGTH


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Message",
        max_length=BODY_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": "Write a message…", "maxlength": BODY_MAX_LENGTH}
        ),
        error_messages={
            "required": "Write a message first: it cannot be empty.",
            "max_length": f"A message can be at most {BODY_MAX_LENGTH} characters.",
        },
    )
