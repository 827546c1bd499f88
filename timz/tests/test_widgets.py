"""LongSelect writes the HTML Django's Select writes, without a template per option."""

import re

from django import forms

from accounts.forms import ProfileForm
from timz.widgets import LongSelect

CHOICES = [
    ("", "Pick one"),
    ("Fruit", [("apple", "Apple"), ("pear", "Pear & <b>co</b>")]),
    ('x"y', 'Quote\'s "value"'),
    (7, "Seven"),
]


def _django_and_ours(value, attrs=None, choices=CHOICES):
    ours = LongSelect(choices=choices, attrs=attrs).render("field", value)
    django = forms.Select(choices=choices, attrs=attrs).render("field", value)
    return _squeezed(ours), _squeezed(django)


def _squeezed(html: str) -> str:
    """The HTML with the whitespace between tags dropped (Django's templates indent)."""
    return re.sub(r">\s+<", "><", str(html)).strip()


def test_same_html_as_djangos_select_with_groups_escaping_and_the_selected_option():
    ours, django = _django_and_ours("pear", attrs={"id": "id_field", "required": True})
    assert ours == django
    assert 'value="pear" selected>Pear &amp; &lt;b&gt;co&lt;/b&gt;</option>' in ours
    assert '<optgroup label="Fruit">' in ours
    assert "x&quot;y" in ours


def test_same_html_with_nothing_selected_and_a_number_as_value():
    for value in (None, "", 7, "missing"):
        ours, django = _django_and_ours(value)
        assert ours == django


def test_the_time_zone_field_of_the_profile_form_is_a_long_select_and_renders_its_choice():
    form = ProfileForm(initial={"timezone": "America/New_York"})
    assert isinstance(form.fields["timezone"].widget, LongSelect)
    html = str(form["timezone"])
    assert html.count("<option") > 400
    assert '<option value="America/New_York" selected>America/New York</option>' in html
    assert html.count(" selected") == 1
