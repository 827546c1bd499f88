"""Demo data for accounts and the directory, called by `manage.py seed_demo`.

Idempotent: users are keyed on their email, pros on their user, categories on their slug,
services on (pro, name); running it twice leaves the same rows. Passwords are set only when a
user is created, and an avatar is drawn only for a pro who has none.
"""

import math
from dataclasses import dataclass, field
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import transaction

from accounts import geo
from accounts.demo_images import avatar_png
from accounts.images import AVATAR_SIDE, process_image, sizes_exist, sizes_write
from accounts.models import Category, ClientProfile, ProProfile, User
from timz import money

PASSWORD = "timz-demo-pass"
ADMIN_EMAIL = "admin@example.com"

CATEGORIES = [
    ("barbers", "Barbers"),
    ("hair-stylists", "Hair stylists"),
    ("personal-trainers", "Personal trainers"),
    ("tutors", "Tutors"),
    ("massage-therapists", "Massage therapists"),
    ("nail-artists", "Nail artists"),
]

# Who travels to clients, and how far (km); the others receive clients at their address.
TRAVEL_KM = {"personal-trainers": 15, "massage-therapists": 10, "tutors": 5}

# city -> (IANA zone, currency); coordinates come from accounts.geo.CITIES.
CITIES = {
    "Paris": ("Europe/Paris", "EUR"),
    "Lyon": ("Europe/Paris", "EUR"),
    "Berlin": ("Europe/Berlin", "EUR"),
    "London": ("Europe/London", "GBP"),
    "New York": ("America/New_York", "USD"),
}

CLIENTS = [
    ("Alice Martin", "Europe/Paris"),
    ("Ben Carter", "Europe/London"),
    ("Clara Schmidt", "Europe/Berlin"),
    ("David Nguyen", "America/New_York"),
    ("Emma Rossi", "Europe/Paris"),
]


@dataclass
class DemoPro:
    name: str
    slug: str
    category: str
    city: str
    address: str
    headline: str
    bio: str
    services: list = field(default_factory=list)  # (name, description, minutes, price major)
    long_hair: bool = False


PROS = [
    DemoPro(
        "Karim Benali",
        "karim-benali",
        "barbers",
        "Paris",
        "18 rue Oberkampf, 75011",
        "Skin fades, sharp line-ups and hot-towel shaves in the 11th",
        "Twelve years behind the chair, the last five in my own small shop off Oberkampf.\n\n"
        "I take my time on every cut: a quick chat about what you want, a proper wash, and a "
        "finish you can style yourself at home. Walk-ins are rare, so book ahead.",
        [
            ("Men's haircut", "Wash, cut and style.", 30, 28),
            ("Skin fade", "Bald or zero fade, blended by hand, with a line-up.", 45, 35),
            ("Beard trim & hot towel", "Shape-up, razor edges, hot towel and oil.", 30, 22),
            ("Haircut + beard", "The full service: cut, fade and beard.", 60, 48),
        ],
    ),
    DemoPro(
        "Léa Moreau",
        "lea-moreau",
        "hair-stylists",
        "Paris",
        "7 rue de Bretagne, 75003",
        "Colour specialist: balayage, glosses and lived-in blondes",
        "I trained in London and Paris and now colour hair in a bright studio in the Marais.\n"
        "My thing is soft, low-maintenance colour that grows out beautifully.\n\n"
        "First colour appointment? Book a consultation and we'll plan it together.",
        [
            ("Cut & blow-dry", "Consultation, wash, precision cut and blow-dry.", 60, 65),
            ("Balayage", "Hand-painted highlights, toner and blow-dry.", 180, 180),
            ("Gloss treatment", "Shine and tone refresh between colours.", 45, 45),
            ("Colour consultation", "Strand test and a plan for your hair.", 20, 15),
        ],
        long_hair=True,
    ),
    DemoPro(
        "Camille Dubois",
        "camille-dubois",
        "personal-trainers",
        "Lyon",
        "Parc de la Tête d'Or, entrance Children's Gate",
        "Strength training for busy people, outdoors or at your gym",
        "Certified strength coach (BPJEPS) and former rower.\n\n"
        "Sessions are built around your schedule and goals: getting stronger, moving without "
        "pain, or training for your first race.",
        [
            ("1:1 training session", "A full coached session, plan included.", 60, 55),
            ("Intro assessment", "Movement screen, goals and a 4-week plan.", 45, 35),
            ("Outdoor bootcamp", "Small-group circuit in the park (max 6).", 60, 20),
        ],
        long_hair=True,
    ),
    DemoPro(
        "Hugo Lefèvre",
        "hugo-lefevre",
        "tutors",
        "Lyon",
        "Online or at the Part-Dieu library",
        "Maths and physics tutoring, from lycée to prépa",
        "PhD student in applied mathematics at Lyon 1.\n"
        "I help students understand the ideas instead of memorising methods.",
        [
            ("Maths lesson", "One-to-one, any level from seconde to prépa.", 60, 40),
            ("Physics lesson", "Mechanics, electricity, thermodynamics.", 60, 40),
            ("Bac exam intensive", "Past papers and exam technique.", 120, 75),
        ],
    ),
    DemoPro(
        "Sofia Rossi",
        "sofia-rossi",
        "massage-therapists",
        "Berlin",
        "Oranienstraße 24, 10999",
        "Deep tissue and sports massage in Kreuzberg",
        "Licensed massage therapist with a background in physiotherapy.\n\n"
        "Tell me where it hurts when you book and I'll focus the session there.",
        [
            ("Deep tissue massage", "Firm pressure for knots and chronic tension.", 60, 70),
            ("Sports massage", "Before or after training and races.", 45, 55),
            ("Relaxing full-body massage", "Slow, calming, with warm oils.", 90, 95),
        ],
        long_hair=True,
    ),
    DemoPro(
        "Jonas Weber",
        "jonas-weber",
        "barbers",
        "Berlin",
        "Weserstraße 51, 12045",
        "Classic cuts and modern fades in Neukölln",
        "Old-school barbering with a modern eye. Good coffee, good music, no rush.",
        [
            ("Haircut", "Classic scissor or clipper cut.", 30, 25),
            ("Fade", "Low, mid or high fade with a clean finish.", 45, 30),
            ("Beard shaping", "Trim, shape and razor line.", 20, 15),
        ],
    ),
    DemoPro(
        "Mei Tanaka",
        "mei-tanaka",
        "nail-artists",
        "Berlin",
        "Kastanienallee 12, 10435",
        "Minimal nail art and long-lasting gel in Prenzlauer Berg",
        "Clean lines, negative space and tiny details. Vegan, cruelty-free products only.",
        [
            ("Gel manicure", "Shaping, cuticle care and gel colour.", 45, 38),
            ("Nail art full set", "Gel extensions with custom art.", 90, 65),
            ("Spa pedicure", "Soak, scrub, massage and polish.", 60, 45),
        ],
        long_hair=True,
    ),
    DemoPro(
        "Amelia Clarke",
        "amelia-clarke",
        "hair-stylists",
        "London",
        "42 Redchurch Street, E2 7DP",
        "Curly and textured hair specialist in Shoreditch",
        "Curls need a different approach: cut dry, curl by curl.\n\n"
        "I'll show you a routine that works with your hair instead of against it.",
        [
            ("Curly cut", "Dry cut, curl by curl, with a styling lesson.", 75, 70),
            ("Wash & style", "Cleanse, condition and define.", 45, 40),
            ("Deep conditioning", "Intensive moisture treatment.", 30, 25),
        ],
        long_hair=True,
    ),
    DemoPro(
        "Oliver Bennett",
        "oliver-bennett",
        "personal-trainers",
        "London",
        "Victoria Park, Crown Gate West",
        "Running coach: from first 5K to marathon PBs",
        "UK Athletics coach and 2:41 marathoner.\n"
        "Technique, strength and a plan you can actually stick to.",
        [
            ("Running technique session", "Video analysis and drills.", 60, 60),
            ("Strength for runners", "Gym session to stay injury-free.", 45, 45),
            ("Training plan consultation", "A 12-week plan built with you.", 30, 30),
        ],
    ),
    DemoPro(
        "Priya Patel",
        "priya-patel",
        "tutors",
        "London",
        "Online, or in person in Islington",
        "GCSE and A-level English, essay coaching",
        "Former English teacher, now tutoring full-time.\n"
        "I help students structure arguments and write with confidence.",
        [
            ("English tutoring", "GCSE or A-level, literature or language.", 60, 45),
            ("Essay review", "Detailed feedback on one essay.", 30, 25),
            ("Exam technique workshop", "Timed practice and marking together.", 90, 65),
        ],
        long_hair=True,
    ),
    DemoPro(
        "Marcus Johnson",
        "marcus-johnson",
        "barbers",
        "New York",
        "311 Nostrand Ave, Brooklyn, NY 11216",
        "Brooklyn barber: tapers, line-ups and kids' cuts",
        "Bed-Stuy born and raised. Fifteen years cutting, and kids are always welcome.",
        [
            ("Haircut", "Any style, finished with a line-up.", 45, 45),
            ("Taper & line-up", "Fresh taper, crisp edges.", 30, 35),
            ("Kids' cut", "Under 12, patience included.", 30, 25),
            ("Cut + beard", "Haircut with beard trim and hot towel.", 60, 60),
        ],
    ),
    DemoPro(
        "Elena García",
        "elena-garcia",
        "massage-therapists",
        "New York",
        "210 W 79th St, New York, NY 10024",
        "Prenatal and Swedish massage on the Upper West Side",
        "Licensed massage therapist (NY) specialising in prenatal care.\n\n"
        "Side-lying positioning and plenty of pillows: comfort comes first.",
        [
            ("Swedish massage", "Relaxing full-body massage.", 60, 110),
            ("Prenatal massage", "Safe and soothing, from the second trimester.", 60, 120),
            ("Hot stone massage", "Warm basalt stones for deep relaxation.", 90, 160),
        ],
        long_hair=True,
    ),
    DemoPro(
        "Chloé Martin",
        "chloe-martin",
        "nail-artists",
        "Paris",
        "25 rue des Rosiers, 75004",
        "Russian manicure and delicate nail art in the Marais",
        "Precise, dry-technique manicures that last three weeks.",
        [
            ("Russian manicure", "Dry cuticle work and gel colour.", 75, 55),
            ("Semi-permanent polish", "Quick gel colour, no extensions.", 45, 40),
            ("Nail art add-on", "Hand-painted details on up to 4 nails.", 20, 15),
        ],
        long_hair=True,
    ),
    DemoPro(
        "Daniel Kim",
        "daniel-kim",
        "tutors",
        "New York",
        "Online, or at the NYPL Mid-Manhattan branch",
        "SAT math prep and Python for beginners",
        "Software engineer who tutors on weekends.\n"
        "Clear explanations, lots of practice, no judgement.",
        [
            ("SAT math prep", "Targeted practice on your weak spots.", 60, 80),
            ("Intro to Python", "Your first programs, step by step.", 60, 70),
            ("College essay feedback", "Structure and voice for your personal statement.", 45, 60),
        ],
    ),
]


@dataclass
class SeedResult:
    admin: User
    clients: list
    pros: list  # ProProfile objects, in PROS order
    created_users: int = 0


def demo_coordinates(city: str, n: int) -> tuple[Decimal, Decimal]:
    """A point a few km from the city's centre, the same for the same `n` (so that the demo
    pros of one city are at different distances from it)."""
    place = geo.CITIES[city]
    angle = n * 2.399963  # the golden angle: neighbours spread around the centre
    radius = 0.01 + 0.006 * (n % 5)  # degrees: about 1 to 3.5 km
    lat = Decimal(str(round(place.lat + radius * math.sin(angle), 6)))
    lng = Decimal(str(round(place.lng + radius * math.cos(angle), 6)))
    return lat, lng


def _users(specs, *, password_hash: str, result: SeedResult) -> dict[str, User]:
    """The demo users by email, from (email, fields) pairs: the missing ones created in one
    insert (with the demo password), the others given back their fields where they drifted;
    each with one verified, primary email address."""
    users = User.objects.in_bulk([email for email, _ in specs], field_name="email")
    missing = [
        User(email=email, password=password_hash, **fields)
        for email, fields in specs
        if email not in users
    ]
    for user in User.objects.bulk_create(missing):
        users[user.email] = user
    result.created_users += len(missing)
    for email, fields in specs:
        user = users[email]
        changed = {k: v for k, v in fields.items() if getattr(user, k) != v}
        if changed:
            for key, value in changed.items():
                setattr(user, key, value)
            user.save(update_fields=list(changed))
    addresses = EmailAddress.objects.filter(user__in=users.values())
    have = set(addresses.values_list("user_id", "email"))
    addresses.exclude(verified=True, primary=True).update(verified=True, primary=True)
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=email, verified=True, primary=True)
        for email, user in users.items()
        if (user.pk, email) not in have
    )
    return users


def _upsert(model, key: tuple[str, ...], rows: list[dict], *, signals=False) -> dict:
    """`model` rows keyed on the `key` fields: missing ones inserted in one query (one by one
    with `signals`, so that post_save receivers run), existing ones given back the rows' other
    fields in one more. Returns {key values: instance}."""
    wanted = {tuple(row[k] for k in key): row for row in rows}
    fields = [name for name in rows[0] if name not in key]
    lookup = {f"{key[0]}__in": [k[0] for k in wanted]}
    found = {tuple(getattr(obj, k) for k in key): obj for obj in model.objects.filter(**lookup)}
    found = {k: obj for k, obj in found.items() if k in wanted}
    for k, obj in found.items():
        for name in fields:
            setattr(obj, name, wanted[k][name])
    if found:
        model.objects.bulk_update(list(found.values()), fields)
    missing = [model(**row) for k, row in wanted.items() if k not in found]
    if signals:
        for obj in missing:
            obj.save(force_insert=True)
        created = missing
    else:
        created = model.objects.bulk_create(missing)
    found.update({tuple(getattr(obj, k) for k in key): obj for obj in created})
    return found


def _avatar(pro: ProProfile, spec: DemoPro) -> None:
    """The pro's demo portrait and its responsive sizes (made for one kept from before)."""
    if pro.avatar and pro.avatar.storage.exists(pro.avatar.name):
        if not sizes_exist(pro.avatar.storage, pro.avatar.name):
            sizes_write(pro.avatar.storage, pro.avatar.name)
        return
    picture = process_image(
        ContentFile(avatar_png(spec.slug, long_hair=spec.long_hair)),
        max_side=AVATAR_SIDE,
        square=True,
    )
    pro.avatar.save(picture.name, picture, save=True)


def seed(*, stdout) -> SeedResult:
    """Create or update the demo categories, users, pro profiles and services, a few queries per
    kind of row (bulk inserts and updates), whatever is already there."""
    from bookings.models import Service

    password_hash = make_password(PASSWORD)  # hashed once, used for every new demo user
    pro_emails = [f"pro{n}@example.com" for n in range(1, len(PROS) + 1)]
    client_emails = [f"client{n}@example.com" for n in range(1, len(CLIENTS) + 1)]
    with transaction.atomic():
        categories = _upsert(
            Category,
            ("slug",),
            [{"slug": slug, "name": name} for slug, name in CATEGORIES],
        )
        result = SeedResult(admin=None, clients=[], pros=[])
        users = _users(
            [(ADMIN_EMAIL, {"role": User.Role.CLIENT, "is_staff": True, "is_superuser": True})]
            + [(email, {"role": User.Role.CLIENT}) for email in client_emails]
            + [(email, {"role": User.Role.PRO}) for email in pro_emails],
            password_hash=password_hash,
            result=result,
        )
        result.admin = users[ADMIN_EMAIL]
        result.clients = [users[email] for email in client_emails]
        pro_users = [users[email] for email in pro_emails]
        if not ClientProfile.objects.filter(user=result.admin).exists():
            ClientProfile.objects.create(user=result.admin, display_name="Timz Admin")
        _upsert(
            ClientProfile,
            ("user_id",),
            [
                {"user_id": user.pk, "display_name": name, "timezone": zone}
                for user, (name, zone) in zip(result.clients, CLIENTS, strict=True)
            ]
            + [
                {"user_id": user.pk, "display_name": spec.name, "timezone": CITIES[spec.city][0]}
                for user, spec in zip(pro_users, PROS, strict=True)
            ],
        )
        coordinates = [demo_coordinates(spec.city, n) for n, spec in enumerate(PROS, start=1)]
        pros = _upsert(
            ProProfile,
            ("user_id",),
            [
                {
                    "user_id": user.pk,
                    "display_name": spec.name,
                    "slug": spec.slug,
                    "headline": spec.headline,
                    "bio": spec.bio,
                    "category": categories[(spec.category,)],
                    "city": spec.city,
                    "address_line": spec.address,
                    "latitude": coordinates[n][0],
                    "longitude": coordinates[n][1],
                    "travel_km": TRAVEL_KM.get(spec.category),
                    "timezone": CITIES[spec.city][0],
                    "currency": CITIES[spec.city][1],
                    "is_listed": True,
                }
                for n, (user, spec) in enumerate(zip(pro_users, PROS, strict=True))
            ],
            signals=True,  # a new pro gets their booking rules (bookings.receivers)
        )
        result.pros = [pros[(user.pk,)] for user in pro_users]
        _upsert(
            Service,
            ("pro_id", "name"),
            [
                {
                    "pro_id": pro.pk,
                    "name": name,
                    "description": description,
                    "duration_minutes": minutes,
                    "price_amount": money.to_minor(price, CITIES[spec.city][1]),
                    "currency": CITIES[spec.city][1],
                    "position": position,
                    "is_active": True,
                }
                for pro, spec in zip(result.pros, PROS, strict=True)
                for position, (name, description, minutes, price) in enumerate(spec.services)
            ],
        )
    # Pictures are files: drawn outside the transaction, only for pros who have none.
    for pro, spec in zip(result.pros, PROS, strict=True):
        _avatar(pro, spec)
    stdout.write(
        f"accounts: {len(CATEGORIES)} categories, {len(result.clients)} clients, "
        f"{len(result.pros)} pros, 1 admin ({result.created_users} users created)"
    )
    return result


def logins() -> list[tuple[str, str]]:
    """(who, email) rows printed at the end of seed_demo."""
    rows = [("staff (admin; sets up two-factor sign-in at first login)", ADMIN_EMAIL)]
    rows += [
        (f"client: {name}", f"client{n}@example.com") for n, (name, _) in enumerate(CLIENTS, 1)
    ]
    rows += [
        (f"pro: {spec.name} ({spec.city})", f"pro{n}@example.com") for n, spec in enumerate(PROS, 1)
    ]
    return rows
