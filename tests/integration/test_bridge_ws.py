"""The WebSocket protocol: every bad frame gets an error frame and the connection stays usable;
Origin, oversize frames, permissions, rate, slow consumers."""
import json
import socket
import threading
import time

import pytest

from bridgekit import WsClient, stack  # noqa: F401
from conftest import control_ok, mint_jwt, mosquitto_pub, password


def still_usable(ws):
    ws.send({"type": "join", "room": "lobby"})
    assert ws.expect("joined", room="lobby")


@pytest.mark.parametrize("raw,code", [
    ("{nope", "bad_json"),
    ("[1,2]", "bad_json"),
    ('{"type":"frobnicate"}', "bad_frame"),
    ('{"room":"lobby"}', "bad_frame"),
    ('{"type":"join"}', "bad_frame"),
    ('{"type":"join","room":7}', "bad_frame"),
    ('{"type":"join","room":"a/b"}', "bad_room"),
    ('{"type":"join","room":"rooms/+"}', "bad_room"),
    ('{"type":"join","room":"lobby","since":"yesterday"}', "bad_frame"),
    ('{"type":"send","room":"lobby"}', "bad_frame"),
    ('{"type":"send","room":"lobby","body":""}', "bad_frame"),
    ('{"type":"send","room":"lobby","body":5,"id":"x"}', "bad_frame"),
    ('{"type":"leave","room":"lobby"}', "not_joined"),
    ('{"type":"typing","room":"lobby"}', "not_joined"),
    ('{"type":"auth","token":"abc"}', "bad_frame"),  # already authenticated
])
def test_bad_frame_gets_error_and_connection_stays_usable(stack, raw, code):
    _, _, bridge = stack.full()
    ws = bridge.ws(mint_jwt("alice"))
    ws.send_raw(raw)
    err = ws.expect("error")
    assert err["code"] == code, err
    assert err["message"]
    still_usable(ws)


def test_non_utf8_text_frame_is_refused_and_connection_stays(stack):
    _, _, bridge = stack.full()
    ws = bridge.ws(mint_jwt("alice"))
    ws.send_raw(b'{"type":"send","room":"lobby","body":"\xff\xfe"}')
    assert ws.expect("error")["code"] == "bad_json"
    still_usable(ws)


def test_frames_before_auth_and_bad_tokens(stack):
    _, _, bridge = stack.full()
    ws = bridge.ws()
    ws.send({"type": "join", "room": "lobby"})
    assert ws.expect("error")["code"] == "not_authenticated"
    ws.send({"type": "auth", "token": mint_jwt("alice", ttl=-120)})
    err = ws.expect("error")
    assert err["code"] == "unauthorized" and "expired" in err["message"]
    ws.send({"type": "auth", "token": mint_jwt("alice", secret="another-secret-0123456789abcdef012")})
    assert ws.expect("error")["code"] == "unauthorized"
    ws.send({"type": "auth", "token": "not.a.token"})
    assert ws.expect("error")["code"] == "unauthorized"
    ws.send({"type": "auth", "token": mint_jwt("alice")})
    assert ws.expect("ready")["user"] == "alice"
    still_usable(ws)


def test_oversize_body_is_refused_with_the_limit(stack):
    broker, redis, bridge = stack.full()
    ws = bridge.ws(mint_jwt("alice"))
    ws.join("lobby")
    ws.send({"type": "send", "room": "lobby", "body": "x" * 513, "id": "big"})
    err = ws.expect("error")
    assert (err["code"], err["id"], err["room"]) == ("too_large", "big", "lobby")
    assert "512" in err["message"]
    ws.send({"type": "send", "room": "lobby", "body": "x" * 512, "id": "ok"})
    assert ws.expect("ack")["id"] == "ok"
    assert redis.client().xlen("parley:{lobby}:history") == 1


def test_frame_above_8k_closes_with_1009(stack):
    _, _, bridge = stack.full()
    ws = bridge.ws(mint_jwt("alice"))
    ws.send({"type": "send", "room": "lobby", "body": "y" * 9000})
    assert ws.wait_closed() == 1009
    other = bridge.ws(mint_jwt("bob"))  # the bridge goes on
    still_usable(other)


def test_private_room_read_and_post_are_forbidden_for_non_members(stack):
    broker, redis, bridge = stack.full()
    control_ok(broker.port, "admin", password("admin"), [
        {"command": "createRoom", "room": "lab", "visibility": "private"},
        {"command": "addMember", "room": "lab", "username": "carol", "role": "reader"}])
    ws = bridge.ws(mint_jwt("bob"))
    ws.send({"type": "join", "room": "lab"})
    err = ws.expect("error")
    assert (err["code"], err["room"]) == ("forbidden", "lab")
    ws.send({"type": "send", "room": "lab", "body": "let me in", "id": "p1"})
    err = ws.expect("error")
    assert (err["code"], err["id"]) == ("forbidden", "p1")
    reader = bridge.ws(mint_jwt("carol"))
    reader.join("lab")  # readers may read
    reader.send({"type": "send", "room": "lab", "body": "can I post?", "id": "r1"})
    err = reader.expect("error")
    assert err["code"] == "forbidden" and "readers" in err["message"]
    assert redis.client().xlen("parley:{lab}:history") == 0
    still_usable(ws)


def test_spoofing_is_impossible_the_sender_is_the_token_user(stack):
    broker, redis, bridge = stack.full()
    ws = bridge.ws(mint_jwt("bob"))
    ws.join("lobby")
    ws.send({"type": "send", "room": "lobby", "body": "I am alice", "id": "s", "from": "alice"})
    ws.expect("ack")
    (eid, fields), = redis.client().xrange("parley:{lobby}:history")
    assert fields[b"from"] == b"bob"


def test_rate_limit_is_an_error_frame(stack):
    broker = stack.broker(plugin_opts={"rate": "2", "burst": "3"})
    redis = stack.redis()
    bridge = stack.bridge(broker, redis)
    ws = bridge.ws(mint_jwt("alice"))
    ws.join("lobby")
    for i in range(8):
        ws.send({"type": "send", "room": "lobby", "body": f"m{i}", "id": f"r{i}"})
    answers = {}
    while len(answers) < 8:
        f = ws.recv()
        if f["type"] in ("ack", "error"):
            answers[f["id"]] = f
    limited = [f for f in answers.values() if f["type"] == "error"]
    assert limited and all(f["code"] == "rate_limited" for f in limited)
    acked = [f for f in answers.values() if f["type"] == "ack"]
    assert redis.client().xlen("parley:{lobby}:history") == len(acked)


def test_origin_not_in_the_allow_list_is_refused(stack):
    _, _, bridge = stack.full()
    bad = WsClient(bridge.port, origin="http://evil.example")
    assert not bad.accepted, bad.status_line
    bad.close()
    good = WsClient(bridge.port, origin=f"http://127.0.0.1:{bridge.port}")
    assert good.accepted
    good.close()
    st, _, body = bridge.http("POST", "/api/login", {"username": "alice", "password": "x"},
                              headers={"Origin": "http://evil.example",
                                       "Content-Type": "application/json"})
    assert st == 403 and "Origin" in body["error"]


def test_only_ws_path_upgrades(stack):
    _, _, bridge = stack.full()
    c = WsClient(bridge.port, path="/elsewhere")
    assert not c.accepted
    c.close()


def test_slow_consumer_is_cut_with_1013_and_others_are_unaffected(stack):
    broker = stack.broker(plugin_opts={"rate": "100000", "burst": "100000"})
    redis = stack.redis()
    # The queue bound must hold a burst a reader that keeps up still sees between two writes;
    # the slow reader reads nothing, so kernel buffers fill and then its queue does.
    bridge = stack.bridge(broker, redis, ws_queue_msgs=4000, ws_queue_bytes=256 << 10)
    slow = WsClient(bridge.port, rcvbuf=4096)
    slow.send({"type": "auth", "token": mint_jwt("alice")})
    slow.expect("ready")
    slow.join("lobby")
    fast = bridge.ws(mint_jwt("bob"))
    fast.join("lobby")
    body = "z" * 400
    n = 12000  # ~5.6 MB: more than the kernel buffers (4 MB send side) and the queue
    flood = threading.Thread(target=mosquitto_pub, args=(
        broker.port, "rooms/lobby/msg/carol", body), kwargs=dict(
        user="carol", pw=password("carol"), qos=1, timeout=60,
        extra=["--repeat", str(n), "--repeat-delay", "0.0003"]))
    flood.start()
    got = 0
    while got < n:
        f = fast.recv(20)
        got += f["type"] == "msg"
    flood.join()
    assert got == n  # the reader that keeps up gets every message
    bridge.wait_log("fell behind: closed with 1013")
    assert slow.wait_closed(15) in (1013, None)  # a full socket may never see the close frame
    st, _, text = bridge.http("GET", "/metrics")
    assert "parley_bridge_ws_closed_slow 1" in text
