"""The conversation socket `/ws/chat/<id>/` through the full ASGI stack."""

import json

import pytest
from channels.db import database_sync_to_async

from chat.consumers import REPLAY_LIMIT
from chat.models import Message
from chat.tests.conftest import (
    MARK,
    chat_path,
    communicator,
    connected,
    make_conversation,
    make_message,
    next_frame_after_a_mark,
    receive,
    run,
)
from conftest import make_user
from timz.input import NUL_MESSAGE

pytestmark = pytest.mark.django_db(transaction=True)


def test_anonymous_socket_is_closed_with_4401(conversation):
    comm = communicator(chat_path(conversation))

    async def scenario():
        await connected(comm)
        assert await comm.receive_output(timeout=3) == {"type": "websocket.close", "code": 4401}

    run(scenario)


def test_non_participant_socket_is_closed_with_4403(conversation, other_client):
    comm = communicator(chat_path(conversation), other_client)

    async def scenario():
        await connected(comm)
        assert await comm.receive_output(timeout=3) == {"type": "websocket.close", "code": 4403}

    run(scenario)


def test_unknown_conversation_is_closed_with_4403(client_user):
    comm = communicator("/ws/chat/999999/", client_user)

    async def scenario():
        await connected(comm)
        assert await comm.receive_output(timeout=3) == {"type": "websocket.close", "code": 4403}

    run(scenario)


def test_foreign_origin_is_refused_at_the_handshake(conversation, client_user):
    comm = communicator(chat_path(conversation), client_user, origin=b"http://evil.example")

    async def scenario():
        ok, _ = await comm.connect(timeout=3)
        assert not ok

    run(scenario)


def test_message_reaches_the_other_side_and_the_senders_other_tabs(conversation, client_user, pro):
    tab1 = communicator(chat_path(conversation), client_user)
    tab2 = communicator(chat_path(conversation), client_user)
    pro_socket = communicator(chat_path(conversation), pro.user)

    async def scenario():
        for comm in (tab1, tab2, pro_socket):
            await connected(comm)
        await tab1.send_json_to({"type": "message", "body": "  Is Saturday free?  "})
        frames = [await receive(comm) for comm in (pro_socket, tab2, tab1)]
        for comm in (tab1, tab2, pro_socket):
            await comm.disconnect()
        return frames

    frames = run(scenario)
    saved = Message.objects.get()
    for frame in frames:
        assert frame == {
            "type": "message",
            "id": saved.pk,
            "conversation": conversation.pk,
            "sender": client_user.pk,
            "sender_name": "Chloé Client",
            "body": "Is Saturday free?",
            "created_at": saved.created_at.isoformat(),
        }


def test_message_is_saved_before_it_is_delivered(conversation, client_user, pro):
    sender = communicator(chat_path(conversation), client_user)
    receiver = communicator(chat_path(conversation), pro.user)

    @database_sync_to_async
    def saved(pk):
        return Message.objects.filter(pk=pk, body="Persisted?").exists()

    async def scenario():
        await connected(sender)
        await connected(receiver)
        await sender.send_json_to({"type": "message", "body": "Persisted?"})
        frame = await receive(receiver)
        # At the moment the frame arrives the row is committed and visible to anyone.
        assert await saved(frame["id"])
        await sender.disconnect()
        await receiver.disconnect()

    run(scenario)
    conversation.refresh_from_db()
    assert conversation.last_message_at is not None


def test_pro_reply_reaches_the_client(conversation, client_user, pro):
    client_socket = communicator(chat_path(conversation), client_user)
    pro_socket = communicator(chat_path(conversation), pro.user)

    async def scenario():
        await connected(client_socket)
        await connected(pro_socket)
        await pro_socket.send_json_to({"type": "message", "body": "Yes, 10:00 works."})
        frame = await receive(client_socket)
        await client_socket.disconnect()
        await pro_socket.disconnect()
        return frame

    frame = run(scenario)
    assert frame["sender"] == pro.user.pk
    assert frame["sender_name"] == "Paula Pro"
    assert frame["body"] == "Yes, 10:00 works."


def test_messages_do_not_leak_to_other_conversations(conversation, client_user, pro, other_pro):
    elsewhere = make_conversation(client=client_user, pro=other_pro)
    sender = communicator(chat_path(conversation), client_user)
    outsider = communicator(chat_path(elsewhere), other_pro.user)

    async def scenario():
        await connected(sender)
        await connected(outsider)
        await sender.send_json_to({"type": "message", "body": "Private"})
        await receive(sender)  # sent to the conversation's group
        assert await next_frame_after_a_mark(outsider, conversation=elsewhere) == MARK
        await sender.disconnect()
        await outsider.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        ("not json", "Frames must be JSON objects."),
        ("[1, 2]", "Frames must be JSON objects."),
        ('"message"', "Frames must be JSON objects."),
        ("{}", 'Unknown frame type: use "message", "read" or "typing".'),
        ('{"type": ["message"]}', 'Unknown frame type: use "message", "read" or "typing".'),
        (
            '{"type": "shout", "body": "hi"}',
            'Unknown frame type: use "message", "read" or "typing".',
        ),
        ('{"type": "message"}', "The message must be text."),
        ('{"type": "message", "body": 42}', "The message must be text."),
        ('{"type": "message", "body": "   \\n  "}', "Write a message first: it cannot be empty."),
        (
            json.dumps({"type": "message", "body": "x" * 2001}),
            "A message can be at most 2000 characters (this one has 2001).",
        ),
        ('{"type": "read"}', "up_to must be a message id (a positive integer)."),
        ('{"type": "read", "up_to": "7"}', "up_to must be a message id (a positive integer)."),
        ('{"type": "read", "up_to": -1}', "up_to must be a message id (a positive integer)."),
        ('{"type": "read", "up_to": true}', "up_to must be a message id (a positive integer)."),
        ('{"type": "read", "up_to": 1.5}', "up_to must be a message id (a positive integer)."),
        ('{"type": "message", "body": "nul \\u0000 here"}', NUL_MESSAGE),
    ],
)
def test_bad_frame_gets_an_error_and_the_socket_stays_open(conversation, client_user, raw, detail):
    comm = communicator(chat_path(conversation), client_user)

    async def scenario():
        await connected(comm)
        await comm.send_to(text_data=raw)
        assert await receive(comm) == {"type": "error", "detail": detail}
        # Still open and working.
        await comm.send_json_to({"type": "message", "body": "still here"})
        frame = await receive(comm)
        await comm.disconnect()
        return frame

    frame = run(scenario)
    assert frame["body"] == "still here"
    assert list(Message.objects.values_list("body", flat=True)) == ["still here"]


def test_binary_frame_gets_an_error(conversation, client_user):
    comm = communicator(chat_path(conversation), client_user)

    async def scenario():
        await connected(comm)
        await comm.send_to(bytes_data=b"\x00\x01")
        frame = await receive(comm)
        await comm.disconnect()
        return frame

    assert run(scenario) == {"type": "error", "detail": "Frames must be JSON text."}


def test_twenty_first_message_within_ten_seconds_is_refused_and_not_saved(
    conversation, client_user
):
    comm = communicator(chat_path(conversation), client_user)

    async def scenario():
        await connected(comm)
        for n in range(20):
            await comm.send_json_to({"type": "message", "body": f"m{n}"})
            assert (await receive(comm))["type"] == "message"
        await comm.send_json_to({"type": "message", "body": "one too many"})
        frame = await receive(comm)
        await comm.disconnect()
        return frame

    assert run(scenario) == {"type": "error", "detail": "You are sending messages too fast."}
    assert Message.objects.count() == 20
    assert not Message.objects.filter(body="one too many").exists()


def test_reconnect_with_after_delivers_missed_messages_in_order_first(
    conversation, client_user, pro
):
    seen = make_message(conversation=conversation, sender=pro.user, body="seen before the drop")
    missed = [
        make_message(conversation=conversation, sender=pro.user, body=f"missed {n}")
        for n in range(3)
    ]
    mine = make_message(conversation=conversation, sender=client_user, body="from my other tab")
    comm = communicator(chat_path(conversation, after=seen.pk), client_user)
    sender = communicator(chat_path(conversation), pro.user)

    async def scenario():
        await connected(comm)
        replayed = [await receive(comm) for _ in range(4)]
        await connected(sender)
        await sender.send_json_to({"type": "message", "body": "live again"})
        live = await receive(comm)
        await comm.disconnect()
        await sender.disconnect()
        return replayed, live

    replayed, live = run(scenario)
    assert [f["id"] for f in replayed] == [m.pk for m in [*missed, mine]]
    assert [f["body"] for f in replayed] == [
        "missed 0",
        "missed 1",
        "missed 2",
        "from my other tab",
    ]
    assert all(f["type"] == "message" for f in replayed)
    assert live["body"] == "live again"


def test_connect_without_after_replays_nothing(conversation, client_user, pro):
    make_message(conversation=conversation, sender=pro.user, body="old")
    comm = communicator(chat_path(conversation), client_user)

    async def scenario():
        await connected(comm)
        assert await next_frame_after_a_mark(comm, conversation=conversation) == MARK
        await comm.disconnect()

    run(scenario)


def test_read_frame_marks_messages_and_sends_a_receipt_to_the_sender(
    conversation, client_user, pro
):
    first = make_message(conversation=conversation, sender=client_user, body="one")
    second = make_message(conversation=conversation, sender=client_user, body="two")
    later = make_message(conversation=conversation, sender=client_user, body="three")
    client_socket = communicator(chat_path(conversation), client_user)
    pro_socket = communicator(chat_path(conversation), pro.user)

    async def scenario():
        await connected(client_socket)
        await connected(pro_socket)
        await pro_socket.send_json_to({"type": "read", "up_to": second.pk})
        receipt = await receive(client_socket)
        await client_socket.disconnect()
        await pro_socket.disconnect()
        return receipt

    assert run(scenario) == {"type": "read", "up_to": second.pk, "by": pro.user.pk}
    read = set(Message.objects.filter(read_at__isnull=False).values_list("pk", flat=True))
    assert read == {first.pk, second.pk}
    assert Message.objects.get(pk=later.pk).read_at is None


def test_reading_your_own_messages_changes_nothing(conversation, client_user, pro):
    mine = make_message(conversation=conversation, sender=client_user, body="mine")
    comm = communicator(chat_path(conversation), client_user)

    async def scenario():
        await connected(comm)
        await comm.send_json_to({"type": "read", "up_to": mine.pk})
        # The socket's frames are handled in order: a receipt for the read would be sent to the
        # group before this message, which comes back to its sender.
        await comm.send_json_to({"type": "message", "body": "after the read"})
        assert (await receive(comm))["body"] == "after the read"
        await comm.disconnect()

    run(scenario)
    assert Message.objects.get(pk=mine.pk).read_at is None


def test_typing_is_relayed_to_the_other_side_only(conversation, client_user, pro):
    typist = communicator(chat_path(conversation), client_user)
    typists_other_tab = communicator(chat_path(conversation), client_user)
    pro_socket = communicator(chat_path(conversation), pro.user)

    async def scenario():
        for comm in (typist, typists_other_tab, pro_socket):
            await connected(comm)
        await typist.send_json_to({"type": "typing"})
        frame = await receive(pro_socket)  # sent to the conversation's group
        for own_side in (typist, typists_other_tab):
            assert await next_frame_after_a_mark(own_side, conversation=conversation) == MARK
        for comm in (typist, typists_other_tab, pro_socket):
            await comm.disconnect()
        return frame

    assert run(scenario) == {"type": "typing", "by": client_user.pk}
    assert Message.objects.count() == 0


def test_a_pro_messaging_another_pro_as_client_is_routed_by_role(pro, other_pro):
    # A pro can also be a client of another pro: the names follow the role in the conversation.
    convo = make_conversation(client=pro.user, pro=other_pro)
    as_client = communicator(chat_path(convo), pro.user)
    as_pro = communicator(chat_path(convo), other_pro.user)

    async def scenario():
        await connected(as_client)
        await connected(as_pro)
        await as_client.send_json_to({"type": "message", "body": "Booking you for a trim"})
        frame = await receive(as_pro)
        await as_client.disconnect()
        await as_pro.disconnect()
        return frame

    assert run(scenario)["sender_name"] == "Paula Pro"


def test_inactive_user_session_is_treated_as_anonymous(conversation):
    user = make_user(email="gone@example.com")
    convo = make_conversation(client=user, pro=conversation.pro)
    comm = communicator(chat_path(convo), user)
    user.is_active = False
    user.save()

    async def scenario():
        await connected(comm)
        assert await comm.receive_output(timeout=3) == {"type": "websocket.close", "code": 4401}

    run(scenario)


def test_typing_is_relayed_at_most_once_a_second_per_socket(conversation, client_user, pro):
    typist = communicator(chat_path(conversation), client_user)
    pro_socket = communicator(chat_path(conversation), pro.user)

    async def scenario():
        await connected(typist)
        await connected(pro_socket)
        for _ in range(5):
            await typist.send_json_to({"type": "typing"})
        first = await receive(pro_socket)
        # The typist's frames are handled in order: a second relay would reach the group before
        # this message.
        await typist.send_json_to({"type": "message", "body": "after the typing"})
        assert (await receive(pro_socket))["body"] == "after the typing"
        await typist.disconnect()
        await pro_socket.disconnect()
        return first

    assert run(scenario) == {"type": "typing", "by": client_user.pk}


def test_reconnect_replays_at_most_one_page_then_asks_for_a_resync(conversation, client_user, pro):
    seen = make_message(conversation=conversation, sender=pro.user, body="seen")
    Message.objects.bulk_create(
        Message(conversation=conversation, sender=pro.user, body=f"missed {n}")
        for n in range(REPLAY_LIMIT + 5)
    )
    comm = communicator(chat_path(conversation, after=seen.pk), client_user)

    async def scenario():
        await connected(comm)
        frames = [await receive(comm) for _ in range(REPLAY_LIMIT + 1)]
        assert await next_frame_after_a_mark(comm, conversation=conversation) == MARK
        await comm.disconnect()
        return frames

    frames = run(scenario)
    assert [f["body"] for f in frames[:REPLAY_LIMIT]] == [
        f"missed {n}" for n in range(REPLAY_LIMIT)
    ]
    assert frames[-1] == {"type": "resync"}


@pytest.mark.parametrize("after", ["-5", "0", "abc", "1e3", "9" * 40, "%D9%A3"])
def test_an_after_that_is_not_a_message_id_replays_nothing(conversation, client_user, pro, after):
    make_message(conversation=conversation, sender=pro.user, body="old")
    comm = communicator(chat_path(conversation, after=after), client_user)

    async def scenario():
        await connected(comm)
        assert await next_frame_after_a_mark(comm, conversation=conversation) == MARK
        await comm.disconnect()

    run(scenario)
