"""Demo conversations for `manage.py seed_demo` (called after accounts and bookings).

Idempotent: one conversation per (client, pro) pair, and its messages are written only when the
conversation has none, so running it twice leaves the same rows. The last message of some
conversations is left unread so that the badges have something to show.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from chat.models import Conversation, Message

# (client index, pro index, [(from "client"|"pro", minutes ago, body)], read up to (count))
SCRIPTS = [
    (
        0,
        0,
        [
            ("client", 60 * 26, "Hi! Do you also do beard trims, or only haircuts?"),
            ("pro", 60 * 25, "Hello Alice, yes: a beard trim takes 20 minutes, or 45 with a cut."),
            ("client", 60 * 25 - 5, "Perfect. Is Saturday morning usually busy?"),
            (
                "pro",
                60 * 3,
                "Saturdays fill up fast. Book a day ahead and you'll be fine.\n"
                "Directions: https://maps.example.com/timz-studio",
            ),
            ("pro", 60 * 3 - 1, "See you soon!"),
        ],
        3,
    ),
    (
        0,
        1,
        [
            ("client", 60 * 50, "Can I bring a photo of the colour I'd like?"),
            ("pro", 60 * 49, "Please do, it helps a lot. Natural light photos work best."),
            ("client", 60 * 48, "Great, thank you!"),
        ],
        3,
    ),
    (
        1,
        0,
        [
            ("client", 35, "Running 10 minutes late, sorry!"),
            ("client", 34, "Traffic on the bridge."),
        ],
        0,
    ),
    (
        2,
        2,
        [
            ("client", 60 * 30, "Is the first session OK for a complete beginner?"),
            ("pro", 60 * 29, "Absolutely. We start with a short assessment and go from there."),
            ("client", 12, "Do I need to bring anything?"),
        ],
        2,
    ),
]


def seed(*, stdout, pros, clients, **options) -> None:
    now = timezone.now()
    created_messages = 0
    with transaction.atomic():
        for client_index, pro_index, lines, read_count in SCRIPTS:
            if client_index >= len(clients) or pro_index >= len(pros):
                continue
            client, pro = clients[client_index], pros[pro_index]
            conversation, _ = Conversation.objects.get_or_create(
                client=client,
                pro=pro,
                defaults={"pro_user_id": pro.user_id, "created_at": now - timedelta(days=3)},
            )
            if conversation.messages.exists():
                continue
            for position, (who, minutes_ago, body) in enumerate(lines):
                at = now - timedelta(minutes=minutes_ago)
                Message.objects.create(
                    conversation=conversation,
                    sender=client if who == "client" else pro.user,
                    body=body,
                    created_at=at,
                    read_at=at + timedelta(minutes=1) if position < read_count else None,
                )
                created_messages += 1
            conversation.last_message_at = now - timedelta(minutes=lines[-1][1])
            conversation.save(update_fields=["last_message_at"])
    stdout.write(
        f"chat: {Conversation.objects.count()} conversations ({created_messages} messages added)"
    )
