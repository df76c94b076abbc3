"""parley_plugin.so: the control API on $CONTROL/parley/v1 (docs/plugin-control.md). Whole
responses are compared, so a changed word in an error shows up here."""
import json
import subprocess

import pytest

from conftest import (CONTROL_RESPONSE_TOPIC, CONTROL_TOPIC, control, control_ok, login_code,
                      password)

ADMIN = ("admin", password("admin"))


def ask(parley, user, commands):
    return control(parley.port, user, password(user), commands)


def one(parley, user, command):
    responses = ask(parley, user, [command])
    assert len(responses) == 1, responses
    return responses[0]


# ---- batches that cannot be read ----------------------------------------------------------------

@pytest.mark.parametrize("body, error", [
    ("not json", "malformed JSON at byte 0"),
    ("", "malformed JSON at byte 0"),
    ('{"commands":[', "malformed JSON at byte 12"),
    ('{"commands":[]} x', "malformed JSON at byte 16"),
    (b'\xff\xfe{"commands":[]}', "malformed JSON at byte 0"),
    ("[1,2]", 'expected {"commands":[...]}'),
    ('{"commands":{}}', 'expected {"commands":[...]}'),
    ('{"command":"listRooms"}', 'expected {"commands":[...]}'),
    ('"commands"', 'expected {"commands":[...]}'),
])
def test_malformed_batches(parley, body, error):
    assert ask(parley, "alice", body) == [{"command": "unknown", "error": error}]


def test_too_many_commands(parley):
    cmds = [{"command": "listRooms"}] * 101
    assert ask(parley, "alice", cmds) == [
        {"command": "unknown", "error": "too many commands in one batch: 101 (at most 100)"}]
    assert len(ask(parley, "alice", cmds[:100])) == 100


def test_empty_batch_and_trailing_whitespace(parley):
    assert ask(parley, "alice", '{"commands":[]}') == []
    assert ask(parley, "alice", '{"commands":[{"command":"listRooms"}]} \n') == [
        {"command": "listRooms", "data": {"rooms": [{"room": "lobby", "visibility": "public"}]}}]


# ---- commands with bad fields -------------------------------------------------------------------

def test_unknown_command_and_non_objects(parley):
    assert ask(parley, "alice", [{"command": "frob", "correlationData": "c1"}, 5, "x", None,
                                 {"nocommand": True},
                                 {"command": "listRooms", "correlationData": 7}]) == [
        {"command": "unknown", "correlationData": "c1", "error": 'unknown command "frob"'},
        {"command": "unknown", "error": "a command must be an object"},
        {"command": "unknown", "error": "a command must be an object"},
        {"command": "unknown", "error": "a command must be an object"},
        {"command": "unknown", "error": 'missing field "command" (a string)'},
        {"command": "listRooms", "error": 'field "correlationData" must be a string'},
    ]


def test_missing_and_mistyped_fields(parley):
    assert ask(parley, "alice", [
        {"command": "createRoom", "correlationData": "1"},
        {"command": "createRoom", "room": 5},
        {"command": "createRoom", "room": "k", "visibility": "secret"},
        {"command": "addMember", "room": "lobby"},
        {"command": "checkAccess", "room": "lobby", "username": "alice", "access": "exec"},
        {"command": "joinRoom"},
    ]) == [
        {"command": "createRoom", "correlationData": "1",
         "error": 'missing field "room" (a string)'},
        {"command": "createRoom", "error": 'field "room" must be a string'},
        {"command": "createRoom", "error": 'field "visibility" must be "public" or "private"'},
        {"command": "addMember", "error": 'missing field "username" (a string)'},
        {"command": "checkAccess", "error": 'field "access" must be "read" or "write"'},
        {"command": "joinRoom", "error": 'missing field "room" (a string)'},
    ]
    assert ask(parley, "admin", [
        {"command": "createUser", "username": "dave"},
        {"command": "createUser", "username": "dave", "password": ""},
        {"command": "createUser", "username": "dave", "password": "d", "admin": "yes"},
        {"command": "addMember", "room": "lobby", "username": "bob", "role": "king"},
        {"command": "setRole", "room": "lobby", "username": "bob"},
    ]) == [
        {"command": "createUser", "error": 'missing field "password" (a string)'},
        {"command": "createUser", "error": 'field "password" must not be empty'},
        {"command": "createUser", "error": 'field "admin" must be true or false'},
        {"command": "addMember", "error": 'field "role" must be "owner", "member" or "reader"'},
        {"command": "setRole",
         "error": 'missing field "role" ("owner", "member" or "reader")'},
    ]


def test_bad_names(parley):
    bad = "bad room name: name may only contain A-Z a-z 0-9 _ . -"
    assert ask(parley, "alice", [
        {"command": "createRoom", "room": "a/b"},
        {"command": "createRoom", "room": "a b"},
        {"command": "createRoom", "room": "+"},
        {"command": "createRoom", "room": "caf\u00e9"},
        {"command": "createRoom", "room": ""},
        {"command": "createRoom", "room": "r" * 65},
        {"command": "createRoom", "room": "r" * 64},
    ]) == [
        {"command": "createRoom", "error": bad},
        {"command": "createRoom", "error": bad},
        {"command": "createRoom", "error": bad},
        {"command": "createRoom", "error": bad},
        {"command": "createRoom", "error": "bad room name: name is empty"},
        {"command": "createRoom", "error": "bad room name: name is longer than 64 characters"},
        {"command": "createRoom"},
    ]
    assert one(parley, "admin", {"command": "createUser", "username": "x#y", "password": "p"}) == {
        "command": "createUser",
        "error": "bad user name: name may only contain A-Z a-z 0-9 _ . -"}


def test_no_such_things(parley):
    assert ask(parley, "admin", [
        {"command": "getRoom", "room": "nope"},
        {"command": "deleteUser", "username": "zed"},
        {"command": "addMember", "room": "lobby", "username": "zed"},
        {"command": "setPassword", "username": "zed", "password": "x"},
        {"command": "removeMember", "room": "lobby", "username": "bob"},
        {"command": "setRole", "room": "lobby", "username": "bob", "role": "owner"},
        {"command": "unban", "room": "lobby", "username": "bob"},
        {"command": "checkAccess", "room": "nope", "username": "bob", "access": "read"},
    ]) == [
        {"command": "getRoom", "error": 'no such room "nope"'},
        {"command": "deleteUser", "error": 'no such user "zed"'},
        {"command": "addMember", "error": 'no such user "zed"'},
        {"command": "setPassword", "error": 'no such user "zed"'},
        {"command": "removeMember", "error": '"bob" is not a member of room "lobby"'},
        {"command": "setRole", "error": '"bob" is not a member of room "lobby" (use addMember)'},
        {"command": "unban", "error": '"bob" is not banned from room "lobby"'},
        {"command": "checkAccess", "data": {"allowed": False, "reason": "no such room"}},
    ]


def test_permission_denied(parley):
    control_ok(parley.port, "alice", password("alice"),
               [{"command": "createRoom", "room": "kitchen", "visibility": "private"}])
    assert ask(parley, "bob", [
        {"command": "createUser", "username": "x", "password": "y"},
        {"command": "createUser"},  # the caller is checked before the fields
        {"command": "deleteUser", "username": "alice"},
        {"command": "listUsers"},
        {"command": "setPassword", "username": "alice", "password": "mine now"},
        {"command": "addMember", "room": "lobby", "username": "bob"},
        {"command": "deleteRoom", "room": "kitchen"},
        {"command": "getRoom", "room": "kitchen"},
        {"command": "joinRoom", "room": "kitchen"},
        {"command": "ban", "room": "kitchen", "username": "alice"},
        {"command": "checkAccess", "room": "lobby", "username": "alice", "access": "write"},
    ]) == [
        {"command": "createUser", "error": "permission denied: createUser is for admins"},
        {"command": "createUser", "error": "permission denied: createUser is for admins"},
        {"command": "deleteUser", "error": "permission denied: deleteUser is for admins"},
        {"command": "listUsers", "error": "permission denied: listUsers is for admins"},
        {"command": "setPassword",
         "error": "permission denied: setPassword for another user is for admins"},
        {"command": "addMember",
         "error": "permission denied: addMember needs an owner of the room or an admin"},
        {"command": "deleteRoom",
         "error": "permission denied: deleteRoom needs an owner of the room or an admin"},
        {"command": "getRoom", "error": "permission denied: private room and not a member"},
        {"command": "joinRoom",
         "error": 'permission denied: room "kitchen" is private; an owner must add you'},
        {"command": "ban",
         "error": "permission denied: ban needs an owner of the room or an admin"},
        {"command": "checkAccess", "error": "permission denied: checkAccess for another user is "
                                            "for admins and bridge accounts"},
    ]
    # the room and alice are untouched
    assert one(parley, "alice", {"command": "getRoom", "room": "kitchen"}) == {
        "command": "getRoom",
        "data": {"room": "kitchen", "visibility": "private",
                 "members": [{"username": "alice", "role": "owner"}], "bans": []}}
    assert login_code(parley.port, "alice", password("alice")) == 0


# ---- commands that work ---------------------------------------------------------------------------

def test_room_life_cycle_whole_responses(parley):
    a = ("alice", password("alice"))
    assert ask(parley, "alice", [
        {"command": "createRoom", "room": "kitchen", "visibility": "private",
         "correlationData": "7"},
        {"command": "addMember", "room": "kitchen", "username": "bob", "role": "reader"},
        {"command": "addMember", "room": "kitchen", "username": "carol"},
        {"command": "addMember", "room": "kitchen", "username": "bob"},
        {"command": "ban", "room": "kitchen", "username": "eve"},
        {"command": "getRoom", "room": "kitchen"},
        {"command": "createRoom", "room": "kitchen"},
        {"command": "checkAccess", "room": "kitchen", "username": "alice", "access": "write"},
    ]) == [
        {"command": "createRoom", "correlationData": "7"},
        {"command": "addMember"},
        {"command": "addMember"},
        {"command": "addMember",
         "error": '"bob" is already a member of room "kitchen" (as reader; use setRole)'},
        {"command": "ban"},
        {"command": "getRoom", "data": {
            "room": "kitchen", "visibility": "private",
            "members": [{"username": "alice", "role": "owner"},
                        {"username": "bob", "role": "reader"},
                        {"username": "carol", "role": "member"}],
            "bans": ["eve"]}},
        {"command": "createRoom", "error": 'room "kitchen" already exists'},
        {"command": "checkAccess", "data": {"allowed": True, "reason": "room member may post"}},
    ]
    assert ask(parley, "bob", [
        {"command": "listRooms"},
        {"command": "checkAccess", "room": "kitchen", "username": "bob", "access": "write"},
        {"command": "checkAccess", "room": "kitchen", "username": "bob", "access": "read"},
        {"command": "leaveRoom", "room": "kitchen"},
        {"command": "leaveRoom", "room": "kitchen"},
        {"command": "joinRoom", "room": "lobby"},
        {"command": "listRooms"},
    ]) == [
        {"command": "listRooms", "data": {"rooms": [
            {"room": "kitchen", "visibility": "private", "role": "reader"},
            {"room": "lobby", "visibility": "public"}]}},
        {"command": "checkAccess", "data": {"allowed": False, "reason": "readers may not post"}},
        {"command": "checkAccess", "data": {"allowed": True, "reason": "room member may read"}},
        {"command": "leaveRoom"},
        {"command": "leaveRoom", "error": 'you are not a member of room "kitchen"'},
        {"command": "joinRoom"},
        {"command": "listRooms", "data": {"rooms": [
            {"room": "lobby", "visibility": "public", "role": "member"}]}},
    ]
    # the bridge may ask about anyone; an admin sees every room
    assert one(parley, "bridge", {"command": "checkAccess", "room": "kitchen",
                                  "username": "eve", "access": "read"}) == {
        "command": "checkAccess", "data": {"allowed": False, "reason": "banned from the room"}}
    assert one(parley, "admin", {"command": "listRooms"})["data"]["rooms"] == [
        {"room": "kitchen", "visibility": "private"},
        {"room": "lobby", "visibility": "public", "role": "owner"}]
    assert control_ok(parley.port, *a, [{"command": "deleteRoom", "room": "kitchen"}]) == [
        {"command": "deleteRoom"}]
    assert one(parley, "alice", {"command": "getRoom", "room": "kitchen"}) == {
        "command": "getRoom", "error": 'no such room "kitchen"'}


def test_failing_command_does_not_stop_the_batch(parley):
    assert ask(parley, "admin", [
        {"command": "createUser", "username": "dave", "password": "davepw"},
        {"command": "createUser", "username": "dave", "password": "again"},
        {"command": "createUser", "username": "erin", "password": "erinpw", "admin": True},
    ]) == [{"command": "createUser"},
           {"command": "createUser", "error": 'user "dave" already exists'},
           {"command": "createUser"}]
    assert login_code(parley.port, "dave", "davepw") == 0
    assert login_code(parley.port, "dave", "again") != 0
    users = one(parley, "erin", {"command": "listUsers"})["data"]["users"]
    assert {"username": "erin", "admin": True} in users
    assert {"username": "dave", "admin": False} in users
    assert [u["username"] for u in users] == sorted(u["username"] for u in users)


def test_set_password_self_and_by_admin(parley):
    assert one(parley, "bob", {"command": "setPassword", "username": "bob",
                               "password": "bob-new"}) == {"command": "setPassword"}
    assert login_code(parley.port, "bob", password("bob")) != 0
    assert login_code(parley.port, "bob", "bob-new") == 0
    assert one(parley, "admin", {"command": "setPassword", "username": "carol",
                                 "password": "carol-new"}) == {"command": "setPassword"}
    assert login_code(parley.port, "carol", "carol-new") == 0


def test_allow_room_create_false(brokers):
    from conftest import start_parley
    b = start_parley(brokers, plugin_opts={"allow_room_create": "false"})
    assert control(b.port, "alice", password("alice"),
                   [{"command": "createRoom", "room": "mine"}]) == [
        {"command": "createRoom", "error": "permission denied: only admins may create rooms here "
                                           "(allow_room_create is false)"}]
    assert control_ok(b.port, *ADMIN, [{"command": "createRoom", "room": "theirs"}]) == [
        {"command": "createRoom"}]


# ---- sessions and the control topics -------------------------------------------------------------

def test_delete_user_kicks_live_sessions(parley, clients, subs):
    bob = clients(parley.port, "bob", password("bob"))
    assert bob.connect() == 0
    assert bob.subscribe("rooms/lobby/msg/+") == [1]
    real = subs(parley.port, "rooms/lobby/msg/+", "bob", password("bob"))
    real.wait_subscribed()
    assert one(parley, "admin", {"command": "deleteUser", "username": "bob"}) == {
        "command": "deleteUser"}
    assert bob.disconnected.wait(5), "bob's paho session was not cut"
    parley.wait_log("parley: cut the sessions of bob")
    # mosquitto_sub retries, and is refused now: bob is gone
    parley.wait_log("parley: refused login of bob from 127.0.0.1: no such user")
    assert login_code(parley.port, "bob", password("bob")) != 0


def test_response_goes_only_to_the_asking_client(parley, clients):
    eaves = clients(parley.port, "carol", password("carol"))
    assert eaves.connect() == 0
    assert eaves.subscribe(CONTROL_RESPONSE_TOPIC) == [1]
    other_alice = clients(parley.port, "alice", password("alice"))  # same user, other session
    assert other_alice.connect() == 0
    assert other_alice.subscribe(CONTROL_RESPONSE_TOPIC) == [1]
    assert ask(parley, "alice", [{"command": "listRooms", "correlationData": "mine"}]) == [
        {"command": "listRooms", "correlationData": "mine",
         "data": {"rooms": [{"room": "lobby", "visibility": "public"}]}}]
    assert eaves.drain() == []
    assert other_alice.drain() == []


def test_control_topics_cannot_be_read_or_forged(parley, clients):
    c = clients(parley.port, "alice", password("alice"))
    assert c.connect() == 0
    assert c.subscribe(CONTROL_TOPIC) == [0x87]
    assert c.subscribe("$CONTROL/#") == [0x87]
    assert c.subscribe("$CONTROL/parley/+") == [0x87]
    assert c.puback_reason(CONTROL_RESPONSE_TOPIC, '{"responses":[]}') == 0x87
    parley.wait_log("control requests are not readable")
    parley.wait_log("control responses come from the broker only")
    # even an admin does not see other clients' batches
    a = clients(parley.port, *ADMIN)
    assert a.connect() == 0
    assert a.subscribe(CONTROL_TOPIC) == [0x87]


def test_control_with_mosquitto_rr(parley):
    """The real request/response client (MQTT 5): publishes the batch, prints the answer."""
    batch = json.dumps({"commands": [{"command": "getRoom", "room": "lobby",
                                      "correlationData": "rr"}]})
    r = subprocess.run(["mosquitto_rr", "-h", "127.0.0.1", "-p", str(parley.port), "-u", "bob",
                        "-P", password("bob"), "-t", CONTROL_TOPIC, "-e", CONTROL_RESPONSE_TOPIC,
                        "-m", batch, "-W", "5"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"responses": [{
        "command": "getRoom", "correlationData": "rr",
        "data": {"room": "lobby", "visibility": "public",
                 "members": [{"username": "admin", "role": "owner"}], "bans": []}}]}
