"""parley_plugin.so: presence. A user's first subscription reading one room
(rooms/{room}/msg/+ or rooms/{room}/#) makes the broker publish a retained "online" on
rooms/{room}/presence/{user}; when the user's last such subscription ends (unsubscribe or
disconnect, all sessions counted) it publishes an empty retained message there, which clears it.
"""
import pytest

from conftest import MqttClient, control_ok, password

PRESENCE = "rooms/lobby/presence/+"


@pytest.fixture
def watcher(login):
    """carol, watching lobby's presence topics live."""
    w = login("carol")
    assert w.subscribe(PRESENCE) == [1]
    assert w.drain(0.1) == []
    return w


def presence_of(msgs, user):
    return [m.payload for m in msgs if m.topic == f"rooms/lobby/presence/{user}"]


def test_first_subscription_publishes_retained_online(parley, login, subs):
    alice = login("alice")
    assert alice.subscribe("rooms/lobby/msg/+") == [1]
    # a later subscriber sees it from the retained message alone, with the real client
    s = subs(parley.port, PRESENCE, "bob", password("bob"))
    s.wait_for("rooms/lobby/presence/alice online")
    assert [l for l in s.raw if "received PUBLISH (d0, q0, r1" in l
            and "rooms/lobby/presence/alice" in l], s.raw
    # and with paho, flag and payload exactly
    late = login("bob")
    assert late.subscribe(PRESENCE) == [1]
    m = late.get()
    assert (m.topic, m.payload, m.retain) == ("rooms/lobby/presence/alice", b"online", True)


def test_second_session_does_not_duplicate(parley, login, watcher):
    a1 = login("alice")
    assert a1.subscribe("rooms/lobby/msg/+") == [1]
    assert presence_of([watcher.get()], "alice") == [b"online"]
    a2 = login("alice")
    assert a2.subscribe("rooms/lobby/msg/+") == [1]
    # the same session subscribing again, or to the room's other filters, adds nothing either
    assert a1.subscribe("rooms/lobby/msg/+") == [1]
    assert a1.subscribe("rooms/lobby/#") == [1]
    assert watcher.drain() == []


def test_unsubscribe_of_last_clears(parley, login, watcher, clients):
    alice = login("alice")
    assert alice.subscribe("rooms/lobby/msg/+") == [1]
    assert alice.subscribe("rooms/lobby/#") == [1]
    assert presence_of([watcher.get()], "alice") == [b"online"]
    alice.unsubscribe("rooms/lobby/msg/+")
    assert watcher.drain() == []  # still reading the room through rooms/lobby/#
    alice.unsubscribe("rooms/lobby/#")
    m = watcher.get()
    assert (m.topic, m.payload) == ("rooms/lobby/presence/alice", b"")
    assert alice.is_connected()
    # the empty retained message cleared the retained "online": a new subscriber gets nothing
    late = clients(parley.port, "bob", password("bob"))
    assert late.connect() == 0
    assert late.subscribe(PRESENCE) == [1]
    assert late.drain() == []
    # subscribing again makes alice online again
    assert alice.subscribe("rooms/lobby/msg/+") == [1]
    assert presence_of([watcher.get()], "alice") == [b"online"]


def test_disconnect_clears(parley, login, watcher, subs):
    alice = MqttClient(parley.port, "alice", password("alice"), protocol=3)
    assert alice.connect() == 0
    assert alice.subscribe("rooms/lobby/msg/+") == [1]
    assert presence_of([watcher.get()], "alice") == [b"online"]
    alice.close()
    m = watcher.get()
    assert (m.topic, m.payload, m.retain) == ("rooms/lobby/presence/alice", b"", False)
    # the real mosquitto_sub leaving (killed: no DISCONNECT packet) clears its presence too
    s = subs(parley.port, "rooms/lobby/msg/+", "bob", password("bob"))
    s.wait_subscribed()
    assert presence_of([watcher.get()], "bob") == [b"online"]
    s.proc.kill()
    m = watcher.get()
    assert (m.topic, m.payload) == ("rooms/lobby/presence/bob", b"")


def test_two_sessions_clear_only_when_both_are_gone(parley, login, watcher):
    a1 = login("alice")
    a2 = login("alice", protocol=3)
    assert a1.subscribe("rooms/lobby/msg/+") == [1]
    assert a2.subscribe("rooms/lobby/#") == [1]
    assert presence_of(watcher.drain(), "alice") == [b"online"]
    a1.close()
    assert watcher.drain() == []
    a2.unsubscribe("rooms/lobby/#")
    m = watcher.get()
    assert (m.topic, m.payload) == ("rooms/lobby/presence/alice", b"")


def test_presence_per_room_and_only_for_room_readers(parley, login, watcher):
    control_ok(parley.port, "admin", password("admin"),
               [{"command": "createRoom", "room": "garden", "visibility": "public"}])
    g = login("bob")
    assert g.subscribe("rooms/garden/presence/+") == [1]
    alice = login("alice")
    assert alice.subscribe("rooms/garden/msg/+") == [1]
    m = g.get()
    assert (m.topic, m.payload) == ("rooms/garden/presence/alice", b"online")
    assert watcher.drain() == []  # nothing in lobby
    # reading only presence, typing, one sender or an inbox is not being in the room
    for f in ("rooms/lobby/presence/+", "rooms/lobby/typing/+", "rooms/lobby/msg/bob",
              "users/alice/inbox/+"):
        assert alice.subscribe(f) == [1], f
    assert watcher.drain() == []
    # a refused subscription makes no one present
    control_ok(parley.port, "admin", password("admin"),
               [{"command": "createRoom", "room": "vault", "visibility": "private"}])
    v = login("admin")
    assert v.subscribe("rooms/vault/presence/+") == [1]
    assert alice.subscribe("rooms/vault/msg/+") == [0x87]
    assert v.drain() == []


def test_privileged_wildcards_make_no_presence(parley, login, watcher):
    bridge = login("bridge")
    assert bridge.subscribe("rooms/+/msg/+") == [1]
    assert bridge.subscribe("#") == [1]
    assert presence_of(watcher.drain(), "bridge") == []


def test_kicked_session_clears_presence(parley, login, watcher):
    bob = login("bob")
    assert bob.subscribe("rooms/lobby/msg/+") == [1]
    assert presence_of([watcher.get()], "bob") == [b"online"]
    control_ok(parley.port, "admin", password("admin"),
               [{"command": "ban", "room": "lobby", "username": "bob"}])
    assert bob.disconnected.wait(5)
    msgs = [watcher.get()]
    assert presence_of(msgs, "bob") == [b""]


def test_removed_from_private_room_goes_offline_and_deleted_room_clears(parley, login):
    """A member removed from a private room cannot read it any more, so the plugin clears their
    presence there at once (they stay connected); deleting a room clears everyone's."""
    admin = ("admin", password("admin"))
    control_ok(parley.port, *admin, [
        {"command": "createRoom", "room": "lab", "visibility": "private"},
        {"command": "addMember", "room": "lab", "username": "alice"},
        {"command": "addMember", "room": "lab", "username": "bob"},
        {"command": "addMember", "room": "lab", "username": "carol"}])
    watch = login("carol")
    assert watch.subscribe("rooms/lab/presence/+") == [1]
    alice, bob = login("alice"), login("bob")
    assert alice.subscribe("rooms/lab/msg/+") == [1]
    assert bob.subscribe("rooms/lab/msg/+") == [1]
    got = {(m.topic, m.payload) for m in [watch.get(), watch.get()]}
    assert got == {("rooms/lab/presence/alice", b"online"), ("rooms/lab/presence/bob", b"online")}

    control_ok(parley.port, *admin, [{"command": "removeMember", "room": "lab",
                                       "username": "alice"}])
    m = watch.get()
    assert (m.topic, m.payload) == ("rooms/lab/presence/alice", b"")
    assert alice.is_connected()
    # a late subscriber now sees only bob
    late = login("admin")
    assert late.subscribe("rooms/lab/presence/+") == [1]
    assert [(m.topic, m.payload) for m in late.drain()] == [("rooms/lab/presence/bob", b"online")]

    control_ok(parley.port, *admin, [{"command": "deleteRoom", "room": "lab"}])
    # The room is gone, so nobody may read the clearing message live: the retained store is what
    # matters. A room made again under the name starts with nobody present, though bob is still
    # connected with his old subscription.
    control_ok(parley.port, *admin, [{"command": "createRoom", "room": "lab",
                                       "visibility": "public"}])
    fresh = login("carol")
    assert fresh.subscribe("rooms/lab/presence/+") == [1]
    assert fresh.drain() == []
    assert bob.is_connected()
    bob.close()  # and his disconnect publishes nothing more for the old room
    assert fresh.drain() == []


def test_privileged_member_removed_from_private_room_stays_present(parley, login):
    """An admin or bridge account removed from a private room still reads every room, so its
    presence there stays; an ordinary member's goes (above)."""
    admin = ("admin", password("admin"))
    control_ok(parley.port, *admin, [
        {"command": "createRoom", "room": "ops", "visibility": "private"},
        {"command": "addMember", "room": "ops", "username": "bridge"},
        {"command": "addMember", "room": "ops", "username": "carol"}])
    watch = login("carol")
    assert watch.subscribe("rooms/ops/presence/+") == [1]
    bridge = login("bridge")
    assert bridge.subscribe("rooms/ops/msg/+") == [1]
    m = watch.get()
    assert (m.topic, m.payload) == ("rooms/ops/presence/bridge", b"online")
    control_ok(parley.port, *admin, [{"command": "removeMember", "room": "ops",
                                       "username": "bridge"}])
    assert watch.drain() == []  # no clearing message
    late = login("admin")
    assert late.subscribe("rooms/ops/presence/+") == [1]
    got = [(m.topic, m.payload) for m in late.drain()]
    assert got == [("rooms/ops/presence/bridge", b"online")]
