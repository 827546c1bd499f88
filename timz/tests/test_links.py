"""timz.links: the one way a path becomes a link that works outside the site."""

from timz.links import absolute_url


def test_a_path_gets_the_sites_address_in_front(settings):
    settings.SITE_URL = "https://timz.example/"

    assert absolute_url("/bookings/3/") == "https://timz.example/bookings/3/"


def test_an_absolute_url_is_kept_as_it_is(settings):
    settings.SITE_URL = "https://timz.example"

    assert absolute_url("https://checkout.stripe.com/c/pay/cs_1") == (
        "https://checkout.stripe.com/c/pay/cs_1"
    )
