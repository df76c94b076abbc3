"""parley_plugin.so: which topics each client may read and write (DESIGN.md, "the room
namespace"), against the real mosquitto with the plugin loaded.

A refused publish answers an MQTT 5 client with PUBACK 0x87 (not authorized); a 3.1.1 client
loses that message only and stays connected. A refused subscription gets SUBACK 0x87 (MQTT 5)
or 0x80 (3.1.1). 0x10 is "no matching subscribers": accepted, but nobody was listening.
"""
import socket
import struct

import pytest

from conftest import MqttClient, control_ok, mosquitto_pub, password

DENIED = 0x87
ACCEPTED = (0x00, 0x10)


def admin_ok(parley, commands):
    return control_ok(parley.port, "admin", password("admin"), commands)


# ---- the sender is the topic's last level -----------------------------------------------------

def test_post_as_someone_else_refused_v5(parley, login, subs):
    s = subs(parley.port, "rooms/lobby/msg/+", "carol", password("carol"))
    s.wait_subscribed()
    alice = login("alice")
    assert alice.puback_reason("rooms/lobby/msg/bob", "I am bob") == DENIED
    assert alice.puback_reason("rooms/lobby/typing/bob", "") == DENIED
    assert alice.puback_reason("rooms/lobby/msg/alice", "I am alice") == 0
    s.wait_for("rooms/lobby/msg/alice I am alice")
    assert not [m for m in s.messages() if "I am bob" in m]
    assert alice.is_connected()
    parley.wait_log("parley: denied publish of rooms/lobby/msg/bob by alice")
    assert "the topic's last level must be your own user name" in parley.log()


def test_post_as_someone_else_dropped_for_311_client_stays_connected(parley, subs):
    s = subs(parley.port, "rooms/lobby/msg/+", "carol", password("carol"))
    s.wait_subscribed()
    # the real client, 3.1.1, QoS 1: the broker acknowledges and drops the message
    r = mosquitto_pub(parley.port, "rooms/lobby/msg/bob", "forged by pub", "alice",
                      password("alice"), qos=1, protocol="mqttv311")
    assert r.returncode == 0, r.stderr
    # one paho 3.1.1 connection: the forged message, then a good one
    c = MqttClient(parley.port, "alice", password("alice"), protocol=3)
    assert c.connect() == 0
    try:
        c.publish("rooms/lobby/msg/bob", "forged by paho", qos=1)
        c.publish("rooms/lobby/msg/bob", "forged qos0", qos=0)
        c.publish("rooms/lobby/msg/alice", "after the forgery", qos=1)
        s.wait_for("rooms/lobby/msg/alice after the forgery")
        assert c.is_connected()
    finally:
        c.close()
    assert not [m for m in s.messages() if "forged" in m], s.messages()


def test_bridge_may_post_on_a_users_behalf(parley, login, subs):
    s = subs(parley.port, "rooms/lobby/msg/+", "carol", password("carol"))
    s.wait_subscribed()
    bridge = login("bridge")
    assert bridge.puback_reason("rooms/lobby/msg/alice", "relayed for alice") == 0
    s.wait_for("rooms/lobby/msg/alice relayed for alice")
    # but the bridge is still bound by the room rule for that user: not into a private room
    admin_ok(parley, [{"command": "createRoom", "room": "vault", "visibility": "private"}])
    assert bridge.puback_reason("rooms/vault/msg/alice", "not a member") == DENIED


# ---- private rooms and roles ------------------------------------------------------------------

def test_private_room_from_outside(parley, login):
    control_ok(parley.port, "alice", password("alice"),
               [{"command": "createRoom", "room": "kitchen", "visibility": "private"}])
    bob = login("bob")
    assert bob.subscribe("rooms/kitchen/msg/+") == [DENIED]
    assert bob.subscribe("rooms/kitchen/#") == [DENIED]
    assert bob.subscribe("rooms/kitchen/presence/+") == [DENIED]
    assert bob.puback_reason("rooms/kitchen/msg/bob", "let me in") == DENIED
    assert bob.is_connected()
    parley.wait_log("parley: denied subscription of rooms/kitchen/msg/+ by bob")
    assert "private room and not a member" in parley.log()
    # the owner (its creator) reads and posts
    alice = login("alice")
    assert alice.subscribe("rooms/kitchen/msg/+") == [1]
    assert alice.puback_reason("rooms/kitchen/msg/alice", "mine") == 0
    assert alice.get().payload == b"mine"


def test_no_such_room_refused(parley, login):
    alice = login("alice")
    assert alice.subscribe("rooms/nowhere/msg/+") == [DENIED]
    assert alice.puback_reason("rooms/nowhere/msg/alice", "hello?") == DENIED
    parley.wait_log("no such room")


def test_members_readers_owners(parley, login, subs):
    control_ok(parley.port, "alice", password("alice"), [
        {"command": "createRoom", "room": "kitchen", "visibility": "private"},
        {"command": "addMember", "room": "kitchen", "username": "bob", "role": "reader"},
        {"command": "addMember", "room": "kitchen", "username": "carol"}])
    watch = subs(parley.port, "rooms/kitchen/msg/+", "bob", password("bob"))  # a reader reads
    assert watch.wait_subscribed() == [0]
    bob = login("bob")
    assert bob.puback_reason("rooms/kitchen/msg/bob", "reader speaks") == DENIED
    parley.wait_log("readers may not post")
    carol = login("carol")
    assert carol.puback_reason("rooms/kitchen/msg/carol", "member speaks") == 0
    watch.wait_for("rooms/kitchen/msg/carol member speaks")
    # promoted to member, bob may post
    control_ok(parley.port, "alice", password("alice"),
               [{"command": "setRole", "room": "kitchen", "username": "bob", "role": "member"}])
    assert bob.puback_reason("rooms/kitchen/msg/bob", "now a member") == 0
    watch.wait_for("rooms/kitchen/msg/bob now a member")
    # a reader in a public room may not post either
    admin_ok(parley, [{"command": "addMember", "room": "lobby", "username": "carol",
                       "role": "reader"}])
    assert carol.puback_reason("rooms/lobby/msg/carol", "reader in lobby") == DENIED
    assert carol.subscribe("rooms/lobby/msg/+") == [1]
    # removed from the private room, carol is outside again
    control_ok(parley.port, "alice", password("alice"),
               [{"command": "removeMember", "room": "kitchen", "username": "carol"}])
    assert carol.puback_reason("rooms/kitchen/msg/carol", "gone") == DENIED
    assert not [m for m in watch.messages() if "reader speaks" in m or "gone" in m]


def test_delivery_checked_after_removal(parley, login):
    """The read check runs per delivery: a member removed from a private room stops receiving
    even on the subscription made while a member."""
    control_ok(parley.port, "alice", password("alice"), [
        {"command": "createRoom", "room": "kitchen", "visibility": "private"},
        {"command": "addMember", "room": "kitchen", "username": "bob"}])
    bob = login("bob")
    assert bob.subscribe("rooms/kitchen/msg/+") == [1]
    alice = login("alice")
    assert alice.puback_reason("rooms/kitchen/msg/alice", "one") == 0
    assert bob.get().payload == b"one"
    control_ok(parley.port, "alice", password("alice"),
               [{"command": "removeMember", "room": "kitchen", "username": "bob"}])
    alice.puback_reason("rooms/kitchen/msg/alice", "two")
    assert bob.drain() == []


def test_banned_user_kicked_then_refused(parley, login, clients):
    bob = login("bob")
    assert bob.subscribe("rooms/lobby/msg/+") == [1]
    assert bob.puback_reason("rooms/lobby/msg/bob", "before") == 0
    admin_ok(parley, [{"command": "ban", "room": "lobby", "username": "bob"}])
    assert bob.disconnected.wait(5), "banned bob was not disconnected"
    bob.close()
    parley.wait_log("parley: cut the sessions of bob")
    again = clients(parley.port, "bob", password("bob"))
    assert again.connect() == 0  # a ban is per room: bob may still log in
    assert again.subscribe("rooms/lobby/msg/+") == [DENIED]
    assert again.puback_reason("rooms/lobby/msg/bob", "after") == DENIED
    assert "banned from the room" in parley.log()
    # unbanned, he is back
    admin_ok(parley, [{"command": "unban", "room": "lobby", "username": "bob"}])
    assert again.puback_reason("rooms/lobby/msg/bob", "unbanned") in ACCEPTED


def test_banned_owner_can_do_nothing_in_the_room(parley, login):
    control_ok(parley.port, "alice", password("alice"),
               [{"command": "createRoom", "room": "den", "visibility": "private"}])
    admin_ok(parley, [{"command": "ban", "room": "den", "username": "alice"}])
    alice = login("alice")
    assert alice.subscribe("rooms/den/msg/+") == [DENIED]
    assert alice.puback_reason("rooms/den/msg/alice", "still mine?") == DENIED


# ---- wildcards across rooms -------------------------------------------------------------------

CROSS_ROOM = ["#", "rooms/+/msg/+", "rooms/#", "+/lobby/msg/+", "rooms/+/presence/+",
              "+/#", "users/+/inbox/+"]


def test_cross_room_wildcards_refused_for_plain_user(parley, login, subs):
    alice = login("alice")
    for f in CROSS_ROOM:
        assert alice.subscribe(f) == [DENIED], f
    # the real mosquitto_sub (MQTT 3.1.1 by default) sees the refusal in its SUBACK: 0x80
    s = subs(parley.port, ["#", "rooms/+/msg/+"], "bob", password("bob"))
    assert s.wait_subscribed() == [0x80, 0x80]
    mosquitto_pub(parley.port, "rooms/lobby/msg/carol", "across", "carol", password("carol"))
    parley.wait_log("parley: denied subscription of rooms/+/msg/+ by bob")
    assert "wildcards across rooms are for admin and bridge accounts" in parley.log()
    assert s.messages() == ["All subscription requests were denied."]


@pytest.mark.parametrize("user", ["bridge", "admin"])
def test_cross_room_wildcards_allowed_for_bridge_and_admin(parley, login, subs, user):
    s = subs(parley.port, "rooms/+/msg/+", user, password(user))
    assert s.wait_subscribed() == [0]
    c = login(user)
    for f in CROSS_ROOM:
        assert c.subscribe(f) == [1], f
    control_ok(parley.port, "alice", password("alice"),
               [{"command": "createRoom", "room": "attic", "visibility": "private"}])
    alice = login("alice")
    alice.puback_reason("rooms/attic/msg/alice", "private but seen")
    alice.puback_reason("rooms/lobby/msg/alice", "public")
    s.wait_for("rooms/attic/msg/alice private but seen")
    s.wait_for("rooms/lobby/msg/alice public")


def test_single_room_wildcards_allowed_for_plain_user(parley, login):
    alice = login("alice")
    for f in ("rooms/lobby/msg/+", "rooms/lobby/#", "rooms/lobby/+/+", "rooms/lobby/msg/bob",
              "rooms/lobby/presence/+", "rooms/lobby/typing/+"):
        assert alice.subscribe(f) == [1], f


# ---- direct messages --------------------------------------------------------------------------

def test_inbox_only_readable_by_its_owner(parley, login, subs):
    mine = subs(parley.port, "users/bob/inbox/+", "bob", password("bob"))
    assert mine.wait_subscribed() == [0]
    alice = login("alice")
    assert alice.subscribe("users/bob/inbox/+") == [DENIED]
    assert alice.subscribe("users/bob/inbox/alice") == [DENIED]
    assert alice.subscribe("users/bob/#") == [DENIED]
    assert alice.subscribe("users/alice/inbox/+") == [1]
    assert alice.puback_reason("users/bob/inbox/alice", "psst bob") == 0
    mine.wait_for("users/bob/inbox/alice psst bob")
    # no sending as someone else, no retained direct messages
    assert alice.puback_reason("users/bob/inbox/carol", "from carol?") == DENIED
    info = alice.c.publish("users/bob/inbox/alice", "kept", qos=1, retain=True)
    info.wait_for_publish(5)
    assert alice.drain() == []
    assert not [m for m in mine.messages() if "from carol?" in m or "kept" in m]
    parley.wait_log("only the inbox's owner may read it")


# ---- outside the namespace, bad names -----------------------------------------------------------

@pytest.mark.parametrize("topic", ["foo/bar", "rooms", "rooms/lobby", "rooms/lobby/msg",
                                   "rooms/lobby/other/alice", "rooms/lobby/msg/alice/extra",
                                   "users/alice", "$SYS/broker/uptime", "lobby/msg/alice",
                                   "/rooms/lobby/msg/alice", "rooms//msg/alice"])
def test_topics_outside_the_namespace_refused(parley, login, topic):
    alice = login("alice")
    assert alice.puback_reason(topic, "x") == DENIED
    assert alice.subscribe(topic) == [DENIED]
    assert alice.is_connected()


def test_subscriptions_outside_the_namespace_refused(parley, login):
    alice = login("alice")
    for f in ("foo/#", "$SYS/#", "rooms/lobby/msg/+/+", "$CONTROL/#", "users/+/inbox/alice"):
        assert alice.subscribe(f) == [DENIED], f


def test_over_long_names_in_topics_refused(parley, login):
    room64, room65 = "r" * 64, "r" * 65
    admin_ok(parley, [{"command": "createRoom", "room": room64}])
    alice = login("alice")
    assert alice.puback_reason(f"rooms/{room64}/msg/alice", "64 is fine") in ACCEPTED
    assert alice.subscribe(f"rooms/{room64}/msg/+") == [1]
    assert alice.puback_reason(f"rooms/{room65}/msg/alice", "65 is not") == DENIED
    assert alice.subscribe(f"rooms/{room65}/msg/+") == [DENIED]
    assert alice.puback_reason("rooms/lobby/msg/" + "a" * 65, "x") == DENIED
    assert alice.subscribe("users/" + "a" * 65 + "/inbox/+") == [DENIED]
    parley.wait_log("malformed room or user topic")


def test_non_ascii_utf8_names_in_topics_refused(parley, login):
    alice = login("alice")
    assert alice.puback_reason("rooms/caf\u00e9/msg/alice", "x") == DENIED
    assert alice.subscribe("rooms/caf\u00e9/msg/+") == [DENIED]
    assert alice.puback_reason("rooms/lobby/msg/al\u00efce", "x") == DENIED
    assert alice.puback_reason("rooms/lo by/msg/alice", "x") == DENIED


def mqtt_string(b):
    return struct.pack("!H", len(b)) + b


def raw_311_session(port, user, pw):
    """A bare socket, logged in with MQTT 3.1.1; returns it after CONNACK 0."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    var = mqtt_string(b"MQTT") + bytes([4, 0xC2]) + struct.pack("!H", 30)
    payload = mqtt_string(b"raw-utf8-test") + mqtt_string(user.encode()) + mqtt_string(pw.encode())
    body = var + payload
    s.sendall(bytes([0x10, len(body)]) + body)
    assert s.recv(4) == b"\x20\x02\x00\x00"
    return s


def test_non_utf8_topic_refused_connection_dropped(parley, subs):
    watch = subs(parley.port, "rooms/lobby/msg/+", "carol", password("carol"))
    watch.wait_subscribed()
    s = raw_311_session(parley.port, "alice", password("alice"))
    try:
        topic = b"rooms/lobby/msg/al\xffce"
        body = mqtt_string(topic) + b"bad bytes"
        s.sendall(bytes([0x30, len(body)]) + body)
        # Mosquitto itself treats a topic that is not UTF-8 as a protocol error and closes
        s.settimeout(5)
        assert s.recv(16) == b""
    finally:
        s.close()
    mosquitto_pub(parley.port, "rooms/lobby/msg/alice", "clean", "alice", password("alice"))
    watch.wait_for("rooms/lobby/msg/alice clean")
    assert not [m for m in watch.messages() if "bad bytes" in m]


# ---- retained and presence ----------------------------------------------------------------------

def test_retained_room_messages_refused(parley, login, clients):
    alice = login("alice")
    info = alice.c.publish("rooms/lobby/msg/alice", "keep me", qos=1, retain=True)
    info.wait_for_publish(5)
    parley.wait_log("retained messages are not allowed in rooms")
    r = mosquitto_pub(parley.port, "rooms/lobby/msg/alice", "keep me too", "alice",
                      password("alice"), qos=1, protocol="mqttv5", extra=["-r", "-d"])
    assert b"RC:135" in r.stdout, r.stdout
    late = clients(parley.port, "bob", password("bob"))
    assert late.connect() == 0
    assert late.subscribe("rooms/lobby/msg/+") == [1]
    assert late.drain() == []


def test_presence_topic_publish_refused(parley, login, clients):
    alice = login("alice")
    assert alice.puback_reason("rooms/lobby/presence/alice", "online") == DENIED
    info = alice.c.publish("rooms/lobby/presence/bob", "online", qos=1, retain=True)
    info.wait_for_publish(5)
    parley.wait_log("presence is published by the broker only")
    bridge = login("bridge")
    assert bridge.puback_reason("rooms/lobby/presence/alice", "online") == DENIED
    late = clients(parley.port, "carol", password("carol"))
    assert late.connect() == 0
    assert late.subscribe("rooms/lobby/presence/+") == [1]
    assert late.drain() == []


def test_subscribe_refused_for_311_client_is_0x80(parley, clients):
    c = clients(parley.port, "alice", password("alice"), protocol=3)
    assert c.connect() == 0
    assert c.subscribe("#") == [0x80]
    assert c.subscribe("rooms/lobby/msg/+") == [1]
    assert c.is_connected()
