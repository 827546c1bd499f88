from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from chat import services
from chat.models import Conversation, Message
from chat.tests.conftest import make_conversation, make_message
from conftest import local_at, make_booking, make_pro, make_service, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_client(client, client_user):
    client.force_login(client_user)
    return client


@pytest.fixture
def as_pro(client, pro):
    client.force_login(pro.user)
    return client


# Inbox -------------------------------------------------------------------------------------


def test_inbox_requires_login(client):
    response = client.get(reverse("chat:inbox"))
    assert response.status_code == HTTPStatus.FOUND
    assert reverse("account_login") in response["Location"]


def test_inbox_lists_conversations_by_latest_message_with_preview_and_unread_count(
    as_client, client_user, pro, other_pro
):
    older = make_conversation(client=client_user, pro=other_pro)
    newer = make_conversation(client=client_user, pro=pro)
    make_message(conversation=older, sender=other_pro.user, body="Old news")
    make_message(conversation=newer, sender=pro.user, body="See you <b>Saturday</b>")
    make_message(conversation=newer, sender=pro.user, body="Bring the voucher")

    response = as_client.get(reverse("chat:inbox"))

    assert response.status_code == HTTPStatus.OK
    rows = response.context["rows"]
    assert [r["conversation"].pk for r in rows] == [newer.pk, older.pk]
    assert [r["conversation"].unread_count for r in rows] == [2, 1]
    assert rows[0]["other"]["name"] == "Paula Pro"
    html = response.content.decode()
    assert "Bring the voucher" in html
    assert "&lt;b&gt;" not in html or "Saturday" not in html  # only the last body is shown
    assert html.index("Paula Pro") < html.index("Otto Other")


def test_inbox_shows_the_client_to_the_pro_with_initials_and_own_last_message(
    as_pro, client_user, pro
):
    convo = make_conversation(client=client_user, pro=pro)
    make_message(conversation=convo, sender=pro.user, body="Your booking is confirmed")
    html = as_pro.get(reverse("chat:inbox")).content.decode()
    assert "Chloé Client" in html
    assert ">CC<" in html
    assert "You:" in html
    assert "unread-count" not in html


def test_inbox_escapes_previews(as_client, client_user, pro):
    convo = make_conversation(client=client_user, pro=pro)
    make_message(conversation=convo, sender=pro.user, body="<script>alert(1)</script>")
    html = as_client.get(reverse("chat:inbox")).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_empty_inbox_invites_to_find_a_pro(as_client):
    html = as_client.get(reverse("chat:inbox")).content.decode()
    assert "No conversations yet" in html


def _many_conversations(client_user, n):
    for _ in range(n):
        pro = make_pro()
        convo = make_conversation(client=client_user, pro=pro)
        make_message(conversation=convo, sender=pro.user, body="Hi")
        make_message(conversation=convo, sender=client_user, body="Hello")


@pytest.mark.parametrize("n", [3, 30])
def test_inbox_query_count_does_not_grow_with_conversations(
    as_client, client_user, n, django_assert_max_num_queries
):
    _many_conversations(client_user, n)
    # session, user, client profile (time zone), count, conversations with annotations, nav
    # unread badge, the header's display name (pro profile lookup)
    with django_assert_max_num_queries(7):
        response = as_client.get(reverse("chat:inbox"))
    assert len(response.context["rows"]) == n


# Conversation page -------------------------------------------------------------------------


def test_conversation_page_shows_messages_escaped_with_line_breaks_and_links(
    as_client, conversation, pro
):
    make_message(
        conversation=conversation,
        sender=pro.user,
        body="<i>Hi</i>\nSee https://example.com/menu?a=1&b=2.",
    )
    html = as_client.get(conversation.get_absolute_url()).content.decode()
    assert "&lt;i&gt;Hi&lt;/i&gt;<br>See " in html
    assert (
        '<a href="https://example.com/menu?a=1&amp;b=2" rel="nofollow noopener noreferrer" '
        'target="_blank">https://example.com/menu?a=1&amp;b=2</a>.'
    ) in html


def test_conversation_page_shows_the_latest_fifty_oldest_first_with_a_load_older_link(
    as_client, conversation, pro
):
    messages = [
        make_message(conversation=conversation, sender=pro.user, body=f"message {n}")
        for n in range(60)
    ]
    response = as_client.get(conversation.get_absolute_url())
    shown = response.context["chat_messages"]
    assert [m.pk for m in shown] == [m.pk for m in messages[10:]]
    assert response.context["has_older"]
    assert f'href="?before={messages[10].pk}"' in response.content.decode()


def test_load_older_shows_the_previous_messages(as_client, conversation, pro):
    messages = [
        make_message(conversation=conversation, sender=pro.user, body=f"message {n}")
        for n in range(60)
    ]
    response = as_client.get(conversation.get_absolute_url(), {"before": messages[10].pk})
    assert [m.pk for m in response.context["chat_messages"]] == [m.pk for m in messages[:10]]
    assert not response.context["has_older"]
    assert "Load older messages" not in response.content.decode()
    assert 'data-live="false"' in response.content.decode()


def test_bad_before_parameter_shows_the_latest_messages(as_client, conversation, pro):
    make_message(conversation=conversation, sender=pro.user, body="latest")
    response = as_client.get(conversation.get_absolute_url(), {"before": "nope"})
    assert response.status_code == HTTPStatus.OK
    assert [m.body for m in response.context["chat_messages"]] == ["latest"]


def test_viewing_the_conversation_marks_the_other_sides_messages_read(
    as_client, conversation, client_user, pro
):
    theirs = make_message(conversation=conversation, sender=pro.user, body="read me")
    mine = make_message(conversation=conversation, sender=client_user, body="mine")
    as_client.get(conversation.get_absolute_url())
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.read_at is not None
    assert mine.read_at is None


def test_viewing_older_messages_does_not_mark_anything_read(as_client, conversation, pro):
    messages = [make_message(conversation=conversation, sender=pro.user) for _ in range(3)]
    as_client.get(conversation.get_absolute_url(), {"before": messages[-1].pk})
    assert not Message.objects.filter(read_at__isnull=False).exists()


def test_seen_marks_the_last_own_message_the_other_side_read(
    as_client, conversation, client_user, pro
):
    make_message(conversation=conversation, sender=client_user, body="a", read_at=timezone.now())
    seen = make_message(
        conversation=conversation, sender=client_user, body="b", read_at=timezone.now()
    )
    make_message(conversation=conversation, sender=client_user, body="c")
    response = as_client.get(conversation.get_absolute_url())
    assert response.context["seen_id"] == seen.pk
    assert response.content.decode().count("data-seen") == 1


@pytest.mark.parametrize("n", [3, 30])
def test_conversation_page_query_count_does_not_grow_with_messages(
    as_client, conversation, client_user, pro, n, django_assert_max_num_queries
):
    for i in range(n):
        make_message(conversation=conversation, sender=pro.user if i % 2 else client_user)
    # session, user, conversation (with both people), messages, mark read (savepoint, max,
    # update, release), the booking it is about, nav unread badge, the header's display name
    # (two profile lookups)
    with django_assert_max_num_queries(12):
        response = as_client.get(conversation.get_absolute_url())
    assert len(response.context["chat_messages"]) == n


def test_posting_the_form_saves_and_redirects_without_javascript(as_client, conversation):
    response = as_client.post(conversation.get_absolute_url(), {"body": "  Without JS \n"})
    message = Message.objects.get()
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"{conversation.get_absolute_url()}#m{message.pk}"
    assert message.body == "Without JS"
    page = as_client.get(response["Location"]).content.decode()
    assert "Without JS" in page


@pytest.mark.parametrize(
    ("body", "error"),
    [("   ", "cannot be empty"), ("x" * 2001, "at most 2000 characters")],
)
def test_posting_a_bad_message_shows_the_error(as_client, conversation, body, error):
    response = as_client.post(conversation.get_absolute_url(), {"body": body})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert error in response.content.decode()
    assert not Message.objects.exists()


def test_posting_too_fast_is_refused_with_429(as_client, conversation, client_user):
    for n in range(20):
        services.message_send(conversation=conversation, sender=client_user, body=f"m{n}")
    response = as_client.post(conversation.get_absolute_url(), {"body": "again"})
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "You are sending messages too fast." in response.content.decode()
    assert Message.objects.count() == 20


def test_conversation_page_loads_the_chat_script_and_data_attributes(as_client, conversation):
    html = as_client.get(conversation.get_absolute_url()).content.decode()
    assert "js/chat.js" in html
    assert f'data-conversation-id="{conversation.pk}"' in html
    assert "css/chat.css" in html
    assert "<script>" not in html  # no inline script (CSP)


def test_a_pro_who_writes_to_another_pro_reads_times_in_their_own_pro_zone(client, pro):
    writer = make_pro(timezone="America/New_York")
    writer.user.client_profile.timezone = "Asia/Tokyo"
    writer.user.client_profile.save()
    conversation = make_conversation(client=writer.user, pro=pro)
    client.force_login(writer.user)
    for page in (conversation.get_absolute_url(), reverse("chat:inbox")):
        assert client.get(page).context["tz"].key == "America/New_York"


# Starting conversations --------------------------------------------------------------------


def test_client_starts_a_conversation_from_a_pros_page(as_client, client_user, pro):
    response = as_client.post(reverse("chat:start_with_pro", args=[pro.slug]))
    conversation = Conversation.objects.get()
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == conversation.get_absolute_url()
    assert (conversation.client, conversation.pro) == (client_user, pro)


def test_start_with_pro_get_asks_to_confirm(as_client, pro):
    response = as_client.get(reverse("chat:start_with_pro", args=[pro.slug]))
    assert response.status_code == HTTPStatus.OK
    assert "Start the conversation" in response.content.decode()
    assert not Conversation.objects.exists()


def test_start_with_pro_goes_to_the_existing_conversation(as_client, conversation, pro):
    response = as_client.post(reverse("chat:start_with_pro", args=[pro.slug]))
    assert response["Location"] == conversation.get_absolute_url()
    assert Conversation.objects.count() == 1


def test_pro_cannot_start_a_conversation_with_themselves(as_pro, pro):
    response = as_pro.post(reverse("chat:start_with_pro", args=[pro.slug]))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Conversation.objects.exists()


def test_start_with_unknown_pro_is_404(as_client):
    response = as_client.post(reverse("chat:start_with_pro", args=["nobody"]))
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_pro_starts_a_conversation_with_a_client_who_booked_them(as_pro, client_user, service):
    make_booking(client=client_user, service=service, starts_at=local_at(3, 10))
    response = as_pro.post(reverse("chat:start_with_client", args=[client_user.pk]))
    conversation = Conversation.objects.get()
    assert response["Location"] == conversation.get_absolute_url()
    assert conversation.client == client_user


def test_pro_without_a_booking_with_that_client_is_refused(as_pro, client_user, pro, other_pro):
    make_booking(client=client_user, service=make_service(pro=other_pro), starts_at=local_at(3, 10))
    response = as_pro.post(reverse("chat:start_with_client", args=[client_user.pk]))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "clients who have booked you" in response.content.decode()
    assert not Conversation.objects.exists()


def test_client_cannot_use_the_pro_start_endpoint(as_client, other_client):
    response = as_client.post(reverse("chat:start_with_client", args=[other_client.pk]))
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_start_with_client_is_post_only(as_pro, client_user):
    response = as_pro.get(reverse("chat:start_with_client", args=[client_user.pk]))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_booking_button_opens_the_pairs_conversation_for_both_sides(
    client, client_user, pro, service
):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(3, 10))
    client.force_login(client_user)
    first = client.post(reverse("chat:for_booking", args=[booking.pk]))
    conversation = Conversation.objects.get()
    assert first["Location"] == conversation.get_absolute_url()
    client.force_login(pro.user)
    second = client.post(reverse("chat:for_booking", args=[booking.pk]))
    assert second["Location"] == conversation.get_absolute_url()
    assert Conversation.objects.count() == 1


def test_booking_link_followed_with_get_creates_no_conversation(client, client_user, pro, service):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(3, 10))
    client.force_login(client_user)
    url = reverse("chat:for_booking", args=[booking.pk])
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    assert f'<form method="post" action="{url}"' in response.content.decode()
    assert not Conversation.objects.exists()


def test_booking_link_goes_to_an_existing_conversation(client, client_user, pro, service):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(3, 10))
    conversation = make_conversation(client=client_user, pro=pro)
    client.force_login(pro.user)
    response = client.get(reverse("chat:for_booking", args=[booking.pk]))
    assert response["Location"] == conversation.get_absolute_url()


def test_booking_page_offers_the_conversation_as_a_post_button(client, client_user, pro, service):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(3, 10))
    client.force_login(client_user)
    html = client.get(reverse("bookings:detail", args=[booking.pk])).content.decode()
    url = reverse("chat:for_booking", args=[booking.pk])
    assert f'<form method="post" action="{url}"' in html
    assert f'href="{url}"' not in html


@pytest.mark.parametrize("method", ["get", "post"])
def test_booking_conversation_is_404_for_outsiders(
    client, client_user, pro, service, other_client, staff_user, method
):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(3, 10))
    for outsider in (other_client, staff_user):
        client.force_login(outsider)
        response = getattr(client, method)(reverse("chat:for_booking", args=[booking.pk]))
        assert response.status_code == HTTPStatus.NOT_FOUND
    assert not Conversation.objects.exists()


# Navigation badge --------------------------------------------------------------------------


def test_nav_badge_shows_the_unread_count(as_client, conversation, pro):
    for _ in range(3):
        make_message(conversation=conversation, sender=pro.user)
    html = as_client.get(reverse("chat:inbox")).content.decode()
    assert '<span class="nav-badge" data-unread-badge data-count="3">3</span>' in html
    assert "js/notifications.js" in html


def test_nav_badge_costs_one_query(rf, client_user, django_assert_num_queries):
    from chat.context_processors import unread_messages

    request = rf.get("/")
    request.user = client_user
    with django_assert_num_queries(1):
        assert str(unread_messages(request)["chat_unread_count"]) == "0"


def test_visitors_get_no_badge_and_no_notification_script(client, pro):
    html = client.get(reverse("home")).content.decode()
    assert "data-unread-badge" not in html
    assert "notifications.js" not in html


def test_pro_sees_unread_from_clients_in_the_badge(as_pro, client_user, pro):
    convo = make_conversation(client=client_user, pro=pro)
    make_message(conversation=convo, sender=client_user)
    other = make_user()
    make_message(conversation=make_conversation(client=other, pro=pro), sender=other)
    html = as_pro.get(reverse("chat:inbox")).content.decode()
    assert 'data-unread-badge data-count="2">2<' in html


def test_inbox_pages_thirty_conversations_at_a_time(as_client, client_user):
    _many_conversations(client_user, 31)
    first = as_client.get(reverse("chat:inbox"))
    second = as_client.get(reverse("chat:inbox"), {"page": 2})
    assert len(first.context["rows"]) == 30
    assert len(second.context["rows"]) == 1
    assert "?page=2" in first.content.decode()


def test_inbox_with_a_bad_page_number_shows_a_page(as_client, client_user):
    _many_conversations(client_user, 2)
    response = as_client.get(reverse("chat:inbox"), {"page": "nope"})
    assert response.status_code == HTTPStatus.OK
    assert len(response.context["rows"]) == 2


def test_existing_conversation_with_a_hidden_pro_stays_reachable(as_client, conversation, pro):
    pro.is_listed = False
    pro.save()
    response = as_client.post(reverse("chat:start_with_pro", args=[pro.slug]))
    assert response["Location"] == conversation.get_absolute_url()


# The booking a conversation is about ---------------------------------------------------------


def test_conversation_shows_the_pairs_next_booking_with_a_link_in_the_viewers_zone(
    as_client, conversation, client_user, pro, service, other_pro
):
    from zoneinfo import ZoneInfo

    client_user.client_profile.timezone = "Asia/Tokyo"
    client_user.client_profile.save()
    make_booking(client=client_user, service=service, starts_at=local_at(-5, 10))  # past
    later = make_booking(client=client_user, service=service, starts_at=local_at(9, 10))
    soon = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    make_booking(  # with another pro: another conversation's booking
        client=client_user, service=make_service(pro=other_pro), starts_at=local_at(2, 10)
    )
    html = as_client.get(conversation.get_absolute_url()).content.decode()
    tokyo = soon.starts_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert f'href="{reverse("bookings:detail", args=[soon.pk])}"' in html
    assert f"{soon.service_name}, {tokyo:%a %-d %b, %H:%M} JST</a>" in html
    assert reverse("bookings:detail", args=[later.pk]) not in html


def test_conversation_without_an_upcoming_booking_shows_the_latest_one(
    as_pro, conversation, client_user, service
):
    make_booking(client=client_user, service=service, starts_at=local_at(-9, 10))
    last = make_booking(
        client=client_user, service=service, starts_at=local_at(-2, 10), status="completed"
    )
    html = as_pro.get(conversation.get_absolute_url()).content.decode()
    assert f'href="{reverse("bookings:detail", args=[last.pk])}"' in html
    assert ">Completed</span>" in html


def test_conversation_about_no_booking_shows_none(as_client, conversation):
    response = as_client.get(conversation.get_absolute_url())
    assert response.context["booking"] is None
    assert 'data-testid="chat-booking"' not in response.content.decode()
