"""schema.org markup of a pro's public page (JSON-LD), for search engines and assistants.

The pro is a `LocalBusiness` (address, coordinates, the area they travel to, their rating)
making one `Offer` per active service: the `Service` itself, its price in major units with the
currency code, and the link to book it.
"""

import json

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from accounts.models import ProProfile
from timz import money
from timz.links import absolute_url

# What must not appear raw inside a <script> element (as django.utils.html.json_script does).
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def pro_json_ld(pro: ProProfile) -> dict:
    """The page's LocalBusiness, from a pro of accounts.selectors.pro_get_public; the pro's
    texts in the page's language (accounts.content)."""
    business: dict = {
        "@context": "https://schema.org",
        "@type": "LocalBusiness",
        "@id": absolute_url(pro.get_absolute_url()),
        "name": pro.display_name,
        "url": absolute_url(pro.get_absolute_url()),
    }
    if pro.headline:
        business["description"] = pro.localized_headline
    if pro.avatar:
        business["image"] = absolute_url(pro.avatar.url)
    if pro.city or pro.address_line:
        business["address"] = {
            "@type": "PostalAddress",
            "streetAddress": pro.address_line,
            "addressLocality": pro.city,
        }
    if pro.has_location:
        point = {
            "@type": "GeoCoordinates",
            "latitude": float(pro.latitude),
            "longitude": float(pro.longitude),
        }
        business["geo"] = point
        if pro.travel_km:
            business["areaServed"] = {
                "@type": "GeoCircle",
                "geoMidpoint": point,
                "geoRadius": pro.travel_km * 1000,  # metres
            }
    if pro.review_count and pro.rating_avg is not None:
        business["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": str(pro.rating_avg),
            "reviewCount": pro.review_count,
            "bestRating": 5,
            "worstRating": 1,
        }
    business["makesOffer"] = [
        {
            "@type": "Offer",
            "price": str(money.to_major(service.price_amount, service.currency)),
            "priceCurrency": service.currency,
            "url": absolute_url(
                reverse("bookings:book", kwargs={"slug": pro.slug, "service_id": service.pk})
            ),
            "itemOffered": {
                "@type": "Service",
                "name": service.localized_name,
                **(
                    {"description": service.localized_description}
                    if service.localized_description
                    else {}
                ),
                "provider": {"@id": business["@id"]},
            },
        }
        for service in pro.active_services
    ]
    return business


def json_ld_script_text(data: dict) -> SafeString:
    """`data` as JSON safe to place inside <script type="application/ld+json">: "<", ">" and
    "&" are written as JSON escapes, so no text of the pro's can close the element."""
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(_SCRIPT_ESCAPES))
