"""The ACS Chat quickstart flow with the OFFICIAL Python SDKs, unchanged,
against an ACS endpoint (normally the acs-chat-emulator in --tls mode).

    ACS_CONNECTION_STRING="endpoint=https://127.0.0.1:PORT/;accesskey=..." \
    REQUESTS_CA_BUNDLE=/path/to/emulator-ca.pem \
    python python_flow.py

Packages: azure-communication-chat==1.3.0, azure-communication-identity
(see requirements.txt). Exits 0 when every step passed, 1 on the first
failure (with the step, the HTTP request and the service's answer), 2 on a
usage error.
"""

import os
import re
import sys
import time
import traceback
import uuid
from datetime import datetime, timedelta, timezone

from importlib.metadata import version

from azure.core.exceptions import HttpResponseError
from azure.communication.identity import CommunicationIdentityClient
from azure.communication.chat import (
    ChatClient,
    ChatMessageType,
    ChatParticipant,
    CommunicationTokenCredential,
    CommunicationUserIdentifier,
)

PREFIX = "[python]"


class FlowError(Exception):
    """An assertion of the flow failed."""


def check(condition, message):
    if not condition:
        raise FlowError(message)


def log(message):
    print(f"{PREFIX} {message}", flush=True)


def raw_id(identifier):
    """The raw id of any CommunicationIdentifier (identity's or chat's classes)."""
    if identifier is None:
        return None
    value = getattr(identifier, "raw_id", None)
    if value:
        return value
    return identifier.properties.get("id")


def parse_time(value):
    """An RFC 3339 time as the services send it (any fraction length, Z or offset)."""
    if isinstance(value, datetime):
        return value
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", value)
    check(match is not None, f"{value!r} is not an RFC 3339 date-time")
    base, fraction, zone = match.groups()
    fraction = (fraction or "0")[:6].ljust(6, "0")
    zone = "+00:00" if zone == "Z" else zone
    return datetime.fromisoformat(f"{base}.{fraction}{zone}")


def parse_connection_string(connection_string):
    parts = {}
    for item in connection_string.split(";"):
        if "=" in item:
            key, value = item.split("=", 1)
            parts[key.strip().lower()] = value.strip()
    if "endpoint" not in parts:
        raise SystemExit(f"{PREFIX} ACS_CONNECTION_STRING has no endpoint=")
    return parts["endpoint"]


def describe_http_error(err):
    lines = [f"HttpResponseError: {err.message}"]
    response = getattr(err, "response", None)
    if response is not None:
        request = response.request
        lines.append(f"  request:  {request.method} {request.url}")
        body = getattr(request, "body", None) or getattr(request, "content", None)
        if body:
            if isinstance(body, bytes):
                body = body.decode("utf-8", "replace")
            lines.append(f"  request body: {str(body)[:2000]}")
        lines.append(f"  response: {response.status_code} {response.reason}")
        lines.append(f"  response headers: {dict(response.headers)}")
        try:
            text = response.text()
        except Exception:  # pylint: disable=broad-except
            text = "<unreadable>"
        lines.append(f"  response body: {text[:2000]}")
    return "\n".join(lines)


def main():
    connection_string = os.environ.get("ACS_CONNECTION_STRING")
    if not connection_string:
        print(f"{PREFIX} set ACS_CONNECTION_STRING", file=sys.stderr)
        return 2
    endpoint = parse_connection_string(connection_string)
    log(
        f"azure-communication-chat {version('azure-communication-chat')}, "
        f"azure-communication-identity {version('azure-communication-identity')}, "
        f"azure-core {version('azure-core')}, endpoint {endpoint}"
    )

    state = {}
    step_names = []

    def step(name, fn):
        step_names.append(name)
        started = time.monotonic()
        try:
            fn()
        except Exception:
            log(f"FAIL {name}")
            raise
        log(f"ok   {name} ({(time.monotonic() - started) * 1000:.0f} ms)")

    # --- Identity -------------------------------------------------------
    def identity_users():
        identity = CommunicationIdentityClient.from_connection_string(connection_string)
        state["identity"] = identity
        alice, alice_token = identity.create_user_and_token(["chat"])
        check(raw_id(alice).startswith("8:acs:"), f"alice id {raw_id(alice)!r} is not 8:acs:...")
        check(alice_token.token.count(".") == 2, "alice token is not a JWT")
        # azure-communication-identity 1.5.0 hands expiresOn through as the
        # service's string (e.g. 2023-10-10T21:39:39.3244584+00:00).
        expires_on = parse_time(alice_token.expires_on)
        now = datetime.now(timezone.utc)
        check(
            now + timedelta(hours=23) < expires_on <= now + timedelta(hours=24, minutes=1),
            f"alice token expires_on {alice_token.expires_on} is not ~24 h from now",
        )
        bob = identity.create_user()
        bob_token = identity.get_token(bob, ["chat"])
        check(bob_token.token.count(".") == 2, "bob token is not a JWT")
        carol = identity.create_user()
        dave = identity.create_user()
        check(
            len({raw_id(alice), raw_id(bob), raw_id(carol), raw_id(dave)}) == 4,
            "create_user returned duplicate ids",
        )
        state.update(alice=alice, alice_token=alice_token, bob=bob, bob_token=bob_token, carol=carol, dave=dave)

    step("identity: create_user_and_token / create_user / get_token", identity_users)

    def identity_revoke_and_delete():
        identity = state["identity"]
        temp, _ = identity.create_user_and_token(["chat", "voip"])
        identity.revoke_tokens(temp)
        identity.delete_user(temp)
        state["gone"] = temp  # a deleted user: add_participants reports it per participant

    step("identity: revoke_tokens / delete_user", identity_revoke_and_delete)

    # --- Chat client ----------------------------------------------------
    def chat_clients():
        state["chat"] = ChatClient(endpoint, CommunicationTokenCredential(state["alice_token"].token))
        state["bob_chat"] = ChatClient(endpoint, CommunicationTokenCredential(state["bob_token"].token))

    step("ChatClient with CommunicationTokenCredential", chat_clients)

    topic = "Python SDK flow"

    def create_thread():
        token = str(uuid.uuid4())
        participants = [
            ChatParticipant(identifier=state["alice"], display_name="Alice", share_history_time=datetime.now(timezone.utc)),
            ChatParticipant(identifier=state["bob"], display_name="Bob"),
        ]
        result = state["chat"].create_chat_thread(topic, thread_participants=participants, idempotency_token=token)
        check(not result.errors, f"create_chat_thread reported participant errors: {result.errors}")
        thread = result.chat_thread
        check(thread.id, "no thread id")
        check(thread.topic == topic, f"topic {thread.topic!r} != {topic!r}")
        check(raw_id(thread.created_by) == raw_id(state["alice"]), f"created_by {raw_id(thread.created_by)} is not alice")
        check(thread.created_on is not None, "no created_on")
        state["thread_id"] = thread.id
        # The same idempotency token returns the same thread.
        again = state["chat"].create_chat_thread(topic, thread_participants=participants, idempotency_token=token)
        check(
            again.chat_thread.id == thread.id,
            f"same idempotency_token gave another thread: {again.chat_thread.id} != {thread.id}",
        )

    step("create_chat_thread (participants with display_name, idempotency_token)", create_thread)

    def thread_client():
        state["thread"] = state["chat"].get_chat_thread_client(state["thread_id"])
        state["bob_thread"] = state["bob_chat"].get_chat_thread_client(state["thread_id"])
        check(state["thread"].thread_id == state["thread_id"], "thread client has another thread id")

    step("get_chat_thread_client", thread_client)

    def send_messages():
        thread = state["thread"]
        text = thread.send_message(
            "Hello from Python!", sender_display_name="Alice", metadata={"origin": "python", "step": "send"}
        )
        check(text.id, "no message id for the text message")
        html = thread.send_message(
            "<p>Hello <b>HTML</b></p>", chat_message_type=ChatMessageType.HTML, sender_display_name="Alice"
        )
        check(html.id and html.id != text.id, "bad id for the html message")
        reply = state["bob_thread"].send_message("Hi Alice, Bob here.", sender_display_name="Bob")
        state.update(text_id=text.id, html_id=html.id, reply_id=reply.id)

    step("send_message text (sender_display_name, metadata) + html", send_messages)

    def get_message():
        thread = state["thread"]
        message = thread.get_message(state["text_id"])
        check(message.id == state["text_id"], f"id {message.id} != {state['text_id']}")
        check(message.type == ChatMessageType.TEXT, f"type {message.type!r} is not text")
        check(message.content.message == "Hello from Python!", f"content {message.content.message!r}")
        check(message.sender_display_name == "Alice", f"sender_display_name {message.sender_display_name!r}")
        check(raw_id(message.sender) == raw_id(state["alice"]), f"sender {raw_id(message.sender)} is not alice")
        check(message.metadata == {"origin": "python", "step": "send"}, f"metadata {message.metadata!r}")
        check(message.created_on is not None and message.sequence_id and message.version, "missing created_on/sequence_id/version")
        html = thread.get_message(state["html_id"])
        check(html.type == ChatMessageType.HTML, f"html type {html.type!r}")
        check(html.content.message == "<p>Hello <b>HTML</b></p>", f"html content {html.content.message!r}")

    step("get_message (content, type, sender, metadata read back)", get_message)

    def list_messages():
        thread = state["thread"]
        for i in range(3):
            thread.send_message(f"filler {i}", sender_display_name="Alice")
        pages = []
        for page in thread.list_messages(results_per_page=2).by_page():
            items = list(page)
            check(len(items) <= 2, f"a page has {len(items)} messages with results_per_page=2")
            pages.append(items)
        messages = [m for page in pages for m in page]
        check(len(pages) >= 3, f"expected >= 3 pages of 2, got {len(pages)} pages")
        by_id = {m.id: m for m in messages}
        for key in ("text_id", "html_id", "reply_id"):
            check(state[key] in by_id, f"message {state[key]} ({key}) missing from list_messages")
        check(len(by_id) == len(messages), "list_messages returned a message twice")
        created = [m.created_on for m in messages]
        check(created == sorted(created, reverse=True), "list_messages is not newest first")
        # The system messages of the thread's creation, through the SDK's models.
        topic_updates = [m for m in messages if m.type == ChatMessageType.TOPIC_UPDATED]
        check(topic_updates and topic_updates[-1].content.topic == topic, "no topicUpdated message with the topic")
        check(raw_id(topic_updates[-1].content.initiator) == raw_id(state["alice"]), "topicUpdated initiator is not alice")
        added = [m for m in messages if m.type == ChatMessageType.PARTICIPANT_ADDED]
        check(added, "no participantAdded message")
        added_ids = {raw_id(p.identifier) for m in added for p in m.content.participants}
        check(raw_id(state["bob"]) in added_ids, f"bob is not in the participantAdded messages: {added_ids}")
        kinds = sorted({str(getattr(m.type, "value", m.type)) for m in messages})
        log(f"     list_messages: {len(messages)} messages in {len(pages)} pages, types {kinds}")

    step("list_messages(results_per_page=2).by_page()", list_messages)

    def update_message():
        thread = state["thread"]
        thread.update_message(state["text_id"], content="Hello from Python (edited)", metadata={"origin": "python", "step": "update"})
        message = thread.get_message(state["text_id"])
        check(message.content.message == "Hello from Python (edited)", f"edited content {message.content.message!r}")
        check(message.edited_on is not None, "edited_on not set after update_message")
        check(message.metadata == {"origin": "python", "step": "update"}, f"metadata after update {message.metadata!r}")

    step("update_message", update_message)

    def delete_message():
        thread = state["thread"]
        thread.delete_message(state["html_id"])
        try:
            message = thread.get_message(state["html_id"])
            check(message.deleted_on is not None, "deleted message has no deleted_on")
        except HttpResponseError as err:
            check(err.status_code == 404, f"get_message of a deleted message: {err.status_code}")
        for message in thread.list_messages():
            if message.id == state["html_id"]:
                check(message.deleted_on is not None, "deleted message listed without deleted_on")

    step("delete_message", delete_message)

    def add_participants():
        thread = state["thread"]
        errors = thread.add_participants(
            [
                ChatParticipant(identifier=state["carol"], display_name="Carol", share_history_time=datetime.now(timezone.utc)),
                ChatParticipant(identifier=state["dave"], display_name="Dave"),
                ChatParticipant(identifier=state["gone"], display_name="Deleted user"),
            ]
        )
        for participant, error in errors:
            log(
                f"     add_participants error for {raw_id(participant.identifier)}: "
                f"code={error.code!r} message={error.message!r} target={error.target!r}"
            )
        failed = {raw_id(participant.identifier) for participant, _ in errors}
        check(
            failed <= {raw_id(state["gone"])},
            f"add_participants failed for valid users: {sorted(failed - {raw_id(state['gone'])})}",
        )
        for participant, error in errors:
            check(error.target == raw_id(participant.identifier), f"error target {error.target!r} is not the participant")
        state["gone_rejected"] = bool(failed)
        log(f"     the deleted user was {'rejected' if failed else 'added'}")

    step("add_participants (per-participant errors shown)", add_participants)

    def list_participants():
        thread = state["thread"]
        participants = list(thread.list_participants())
        names = {raw_id(p.identifier): p.display_name for p in participants}
        expected = {
            raw_id(state["alice"]): "Alice",
            raw_id(state["bob"]): "Bob",
            raw_id(state["carol"]): "Carol",
            raw_id(state["dave"]): "Dave",
        }
        if not state["gone_rejected"]:
            expected[raw_id(state["gone"])] = "Deleted user"
        check(names == expected, f"participants {names} != {expected}")
        pages = [list(page) for page in thread.list_participants(results_per_page=3).by_page()]
        sizes = [len(p) for p in pages]
        check(sizes == [3, len(expected) - 3], f"participant pages of 3: sizes {sizes}")

    step("list_participants (paged by 3)", list_participants)

    def remove_participant():
        thread = state["thread"]
        if not state["gone_rejected"]:
            thread.remove_participant(state["gone"])
        thread.remove_participant(state["dave"])
        ids = {raw_id(p.identifier) for p in thread.list_participants()}
        check(raw_id(state["dave"]) not in ids and len(ids) == 3, f"after remove_participant: {sorted(ids)}")
        # A participant given as the chat package's own identifier class works too.
        thread.remove_participant(CommunicationUserIdentifier(raw_id(state["carol"])))
        ids = {raw_id(p.identifier) for p in thread.list_participants()}
        check(ids == {raw_id(state["alice"]), raw_id(state["bob"])}, f"after removing carol: {sorted(ids)}")

    step("remove_participant", remove_participant)

    def typing():
        state["thread"].send_typing_notification(sender_display_name="Alice")
        state["bob_thread"].send_typing_notification()

    step("send_typing_notification (sender_display_name)", typing)

    def read_receipts():
        state["thread"].send_read_receipt(state["reply_id"])
        state["bob_thread"].send_read_receipt(state["text_id"])
        receipts = list(state["thread"].list_read_receipts())
        by_sender = {raw_id(r.sender): r for r in receipts}
        alice_receipt = by_sender.get(raw_id(state["alice"]))
        check(alice_receipt is not None, f"no read receipt of alice in {list(by_sender)}")
        check(alice_receipt.chat_message_id == state["reply_id"], f"alice read {alice_receipt.chat_message_id}")
        check(alice_receipt.read_on is not None, "read receipt without read_on")
        bob_receipt = by_sender.get(raw_id(state["bob"]))
        check(bob_receipt is not None and bob_receipt.chat_message_id == state["text_id"], "bob's read receipt missing or wrong")
        paged = [list(p) for p in state["thread"].list_read_receipts(results_per_page=1).by_page()]
        check(sum(len(p) for p in paged) == len(receipts) and all(len(p) <= 1 for p in paged), "read receipt paging")

    step("send_read_receipt / list_read_receipts", read_receipts)

    new_topic = "Python SDK flow (renamed)"

    def update_topic():
        state["thread"].update_topic(topic=new_topic)

    step("update_topic", update_topic)

    def get_properties():
        props = state["thread"].get_properties()
        check(props.id == state["thread_id"], f"properties id {props.id}")
        check(props.topic == new_topic, f"topic after update_topic: {props.topic!r}")
        check(raw_id(props.created_by) == raw_id(state["alice"]), "created_by changed")
        bob_props = state["bob_thread"].get_properties()
        check(bob_props.topic == new_topic, "bob sees another topic")

    step("get_properties (topic changed)", get_properties)

    def list_threads():
        second = state["chat"].create_chat_thread("Python SDK flow, second thread")
        state["second_thread_id"] = second.chat_thread.id
        threads = []
        pages = 0
        for page in state["chat"].list_chat_threads(results_per_page=1).by_page():
            items = list(page)
            check(len(items) <= 1, f"a thread page has {len(items)} items with results_per_page=1")
            threads.extend(items)
            pages += 1
        by_id = {t.id: t for t in threads}
        check(state["thread_id"] in by_id, "the thread is missing from list_chat_threads")
        check(state["second_thread_id"] in by_id, "the second thread is missing from list_chat_threads")
        check(by_id[state["thread_id"]].topic == new_topic, f"listed topic {by_id[state['thread_id']].topic!r}")
        bob_ids = {t.id for t in state["bob_chat"].list_chat_threads()}
        check(state["thread_id"] in bob_ids, "bob does not see the thread")
        check(state["second_thread_id"] not in bob_ids, "bob sees alice's private thread")

    step("list_chat_threads (paged by 1)", list_threads)

    def delete_thread():
        chat = state["chat"]
        chat.delete_chat_thread(state["thread_id"])
        chat.delete_chat_thread(state["second_thread_id"])
        for item in chat.list_chat_threads():
            if item.id in (state["thread_id"], state["second_thread_id"]):
                check(item.deleted_on is not None, f"deleted thread {item.id} listed without deleted_on")

    step("delete_chat_thread", delete_thread)

    state["chat"].close()
    state["bob_chat"].close()
    log(f"PASS: all {len(step_names)} steps")
    return 0


def run():
    try:
        return main()
    except HttpResponseError as err:
        print(f"{PREFIX} FAIL: {describe_http_error(err)}", file=sys.stderr)
        traceback.print_exc()
    except FlowError as err:
        print(f"{PREFIX} FAIL: assertion: {err}", file=sys.stderr)
        traceback.print_exc()
    except Exception as err:  # pylint: disable=broad-except
        print(f"{PREFIX} FAIL: {type(err).__name__}: {err}", file=sys.stderr)
        traceback.print_exc()
    return 1


if __name__ == "__main__":
    sys.exit(run())
