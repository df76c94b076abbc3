"""parley_plugin.so: the state on disk (docs/plugin-control.md, "The state on disk"): it survives
a restart, a hand-edited snapshot is taken up on SIGHUP, a broken one is refused and the old state
kept, and a changed password_file is re-imported on SIGHUP."""
import base64
import hashlib
import json
import stat
import subprocess

import pytest

from conftest import control, control_ok, login_code, mint_jwt, password, wait_until

ADMIN = ("admin", password("admin"))


def journal_of(broker):
    return broker.state_file.with_name(broker.state_file.name + ".journal")


def last_seq(broker):
    """The highest seq in the snapshot and the journal on disk."""
    seqs = [json.loads(broker.state_file.read_text()).get("seq", 0)]
    j = journal_of(broker)
    if j.exists():
        seqs += [json.loads(l)["seq"] for l in j.read_text().splitlines() if l.strip()]
    return max(seqs)


def view(broker):
    """Everything the control API tells an admin about the state."""
    rooms = control_ok(broker.port, *ADMIN, [{"command": "listRooms"}])[0]["data"]["rooms"]
    out = control_ok(broker.port, *ADMIN,
                     [{"command": "listUsers"}] +
                     [{"command": "getRoom", "room": r["room"]} for r in rooms])
    return [r["data"] for r in out]


def reload(broker):
    """SIGHUP, and wait for the plugin's word that the reload is done."""
    n = broker.log().count("parley: reloaded:")
    broker.sighup()
    wait_until(lambda: broker.log().count("parley: reloaded:") > n, what="parley: reloaded")


def populate(b):
    control_ok(b.port, *ADMIN, [
        {"command": "createUser", "username": "dave", "password": "davepw"},
        {"command": "createUser", "username": "ops", "password": "opspw", "admin": True},
        {"command": "createRoom", "room": "kitchen", "visibility": "private"},
        {"command": "addMember", "room": "kitchen", "username": "dave", "role": "reader"},
        {"command": "addMember", "room": "kitchen", "username": "alice", "role": "owner"},
        {"command": "ban", "room": "lobby", "username": "eve"},
        {"command": "setPassword", "username": "bob", "password": "bob-new"},
    ])
    control_ok(b.port, "carol", password("carol"), [{"command": "joinRoom", "room": "lobby"}])


def test_state_survives_restart(parley, clients):
    populate(parley)
    before = view(parley)
    assert {"username": "dave", "role": "reader"} in before[-2]["members"]  # kitchen
    parley.restart()
    assert view(parley) == before
    assert login_code(parley.port, "dave", "davepw") == 0
    # the rules follow the restored state
    dave = clients(parley.port, "dave", "davepw")
    assert dave.connect() == 0
    assert dave.subscribe("rooms/kitchen/msg/+") == [1]
    assert dave.puback_reason("rooms/kitchen/msg/dave", "reader") == 0x87
    dave.close()  # before the next restart, so its reconnect loop does not hold the teardown
    ops = control_ok(parley.port, "ops", "opspw", [{"command": "listUsers"}])
    assert {"username": "ops", "admin": True} in ops[0]["data"]["users"]
    # a change after the restart is kept by the next restart too (journal sequence goes on)
    control_ok(parley.port, *ADMIN, [{"command": "removeMember", "room": "kitchen",
                                      "username": "dave"}])
    after = view(parley)
    parley.restart()
    assert view(parley) == after
    assert {"username": "dave", "role": "reader"} not in after[-2]["members"]


def test_set_password_survives_restart_for_user_from_password_file(parley):
    """bob comes from the password file; his password set through the control API since must
    not be undone by importing the same, unchanged file again at the next start or SIGHUP."""
    control_ok(parley.port, *ADMIN, [{"command": "setPassword", "username": "bob",
                                      "password": "bob-new"}])
    assert login_code(parley.port, "bob", "bob-new") == 0
    parley.restart()
    assert login_code(parley.port, "bob", "bob-new") == 0
    assert login_code(parley.port, "bob", password("bob")) != 0
    reload(parley)
    assert login_code(parley.port, "bob", "bob-new") == 0


def test_state_files_private_and_journal_lines(parley):
    populate(parley)
    j = journal_of(parley)
    for f in (parley.state_file, j):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    snap = json.loads(parley.state_file.read_text())
    assert snap["version"] == 1
    lines = [json.loads(l) for l in j.read_text().splitlines()]
    seqs = [l["seq"] for l in lines]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert all(s > snap.get("seq", 0) for s in seqs)
    ops = [l["op"] for l in lines]
    assert {"user_put", "room_put", "member_set", "ban_set"} <= set(ops)
    # no clear-text password anywhere on disk
    text = parley.state_file.read_text() + j.read_text()
    assert "davepw" not in text and "bob-new" not in text


def sha512_hash(pw, salt=b"saltsaltsalt"):
    d = hashlib.sha512(pw.encode() + salt).digest()
    return f"$6${base64.b64encode(salt).decode()}${base64.b64encode(d).decode()}"


def test_hand_edited_snapshot_reloaded_on_sighup(parley, clients):
    populate(parley)
    seq = last_seq(parley)
    hashes = dict(l.split(":", 1) for l in parley.password_file.read_text().split())
    users = [{"username": u, "password": hashes[u], "admin": False}
             for u in ("admin", "alice", "bob", "bridge", "carol")]
    users += [{"username": "erin", "password": None, "admin": True},
              {"username": "frank", "password": sha512_hash("frankpw")}]
    rooms = [
        {"room": "garden", "visibility": "private",
         "members": [{"username": "alice", "role": "owner"}, {"username": "bob", "role": "reader"}],
         "bans": ["carol"]},
        {"room": "lobby", "visibility": "public", "members": [], "bans": []},
    ]
    snapshot = {"version": 1, "seq": seq, "users": users, "rooms": rooms}
    parley.state_file.write_text(json.dumps(snapshot))
    journal_of(parley).unlink()
    reload(parley)
    assert "parley: reloaded: 7 users, 2 rooms," in parley.log()
    assert control(parley.port, "alice", password("alice"), [
        {"command": "getRoom", "room": "garden"}, {"command": "getRoom", "room": "kitchen"}]) == [
        {"command": "getRoom", "data": {"room": "garden", "visibility": "private",
                                        "members": [{"username": "alice", "role": "owner"},
                                                    {"username": "bob", "role": "reader"}],
                                        "bans": ["carol"]}},
        {"command": "getRoom", "error": 'no such room "kitchen"'}]
    # users: dave is gone, frank logs in with his $6$ hash, erin is a token-only admin
    assert login_code(parley.port, "dave", "davepw") != 0
    assert login_code(parley.port, "frank", "frankpw") == 0
    assert login_code(parley.port, "erin", "anything") != 0
    listed = control_ok(parley.port, "erin", mint_jwt("erin"), [{"command": "listUsers"}])
    assert {"username": "erin", "admin": True} in listed[0]["data"]["users"]
    # the new rules hold for live clients at once
    carol = clients(parley.port, "carol", password("carol"))
    assert carol.connect() == 0
    assert carol.subscribe("rooms/garden/msg/+") == [0x87]
    bob = clients(parley.port, "bob", password("bob"))  # the snapshot has the file's bob again
    assert bob.connect() == 0
    assert bob.subscribe("rooms/garden/msg/+") == [1]
    assert bob.puback_reason("rooms/garden/msg/bob", "reader") == 0x87
    carol.close()
    bob.close()
    # changes after the reload go on the journal and survive a restart with the new snapshot
    control_ok(parley.port, *ADMIN, [{"command": "createRoom", "room": "after"}])
    expected = view(parley)
    parley.restart()
    assert view(parley) == expected
    assert [r["room"] for r in expected[1:]] == ["after", "garden", "lobby"]


@pytest.mark.parametrize("content, why", [
    ("{not json", "malformed JSON at line 1, column "),
    ('{"version":2,"users":[],"rooms":[]}', 'unsupported "version"'),
    ('{"version":1,"users":[{"username":"a b"}],"rooms":[]}',
     "users[0].username: name may only contain A-Z a-z 0-9 _ . -"),
    ('{"version":1,"users":[],"rooms":[{"room":"k","visibility":"private",'
     '"members":[{"username":"bob","role":"boss"}]}]}',
     'rooms[0] (k): members[0] (bob): "role" must be "owner", "member" or "reader"'),
])
def test_broken_state_file_on_sighup_keeps_old_state(parley, content, why):
    populate(parley)
    before = view(parley)
    parley.state_file.write_text(content)
    reload(parley)
    log = parley.log()
    assert f"parley: reload kept the old state: {parley.state_file}: {why}" in log, log[-1500:]
    assert view(parley) == before
    assert login_code(parley.port, "dave", "davepw") == 0


def test_broken_state_file_stops_start(parley):
    parley.stop()
    parley.state_file.write_text('{"version":1,"users":[{"username":"x"}], "rooms":[}')
    assert parley.start(expect_fail=True) != 0
    out = parley.output() + parley.log()
    assert f"plugin_opt_state_file: {parley.state_file}: malformed JSON" in out, out


def test_torn_last_journal_line_ignored_at_start(parley):
    populate(parley)
    before = view(parley)
    parley.stop()
    j = journal_of(parley)
    with j.open("a") as f:
        f.write('{"seq":%d,"op":"room_put","room":"half' % (last_seq(parley) + 1))
    parley.start()
    assert view(parley) == before
    assert str(j) in parley.log()
    # the torn line was cut off: new lines append cleanly and load at the next start
    control_ok(parley.port, *ADMIN, [{"command": "createRoom", "room": "whole"}])
    parley.restart()
    rooms = [r["room"] for r in control_ok(parley.port, *ADMIN, [{"command": "listRooms"}])[0]
             ["data"]["rooms"]]
    assert rooms == ["kitchen", "lobby", "whole"]


def test_password_file_change_picked_up_on_sighup(parley):
    pw = str(parley.password_file)
    subprocess.run(["mosquitto_passwd", "-b", pw, "frank", "frankpw"], check=True)
    subprocess.run(["mosquitto_passwd", "-b", pw, "alice", "alice-new"], check=True)
    assert login_code(parley.port, "frank", "frankpw") != 0
    reload(parley)
    assert login_code(parley.port, "frank", "frankpw") == 0
    assert login_code(parley.port, "alice", "alice-new") == 0
    assert login_code(parley.port, "alice", password("alice")) != 0
    # the imported users are part of the state from then on
    users = control_ok(parley.port, *ADMIN, [{"command": "listUsers"}])[0]["data"]["users"]
    assert {"username": "frank", "admin": False} in users
    parley.restart()
    assert login_code(parley.port, "frank", "frankpw") == 0


def test_broken_password_file_on_sighup_keeps_users(parley):
    parley.password_file.write_text("alice:$7$not-a-hash\n")
    reload(parley)
    assert f"parley: reload: {parley.password_file}:1: " in parley.log()
    assert login_code(parley.port, "alice", password("alice")) == 0
    assert login_code(parley.port, "bob", password("bob")) == 0
