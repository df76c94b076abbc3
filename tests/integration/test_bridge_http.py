"""HTTP API, login, tokens for MQTT over WebSocket, metrics, settings and clean shutdown."""
import signal
import subprocess

import paho.mqtt.client as mqtt
import pytest

from bridgekit import BRIDGE, stack  # noqa: F401
from conftest import (JWT_SECRET, control_ok, free_port, mint_jwt, mosquitto_pub, password,
                      wait_until)


def test_login_returns_a_token_the_page_and_the_plugin_accept(stack):
    broker, redis, bridge = stack.full()
    st, hdrs, body = bridge.http("POST", "/api/login", {"username": "alice",
                                                         "password": password("alice")})
    assert st == 200 and body["user"] == "alice" and body["expires"] > 0
    assert "parley_token=" in hdrs["set-cookie"] and "HttpOnly" in hdrs["set-cookie"]
    token = body["token"]
    st, _, rooms = bridge.http("GET", "/api/rooms", token=token)
    assert st == 200 and {"room": "lobby", "visibility": "public"} in rooms["rooms"]
    # the token is an MQTT password too
    mosquitto_pub(broker.port, "rooms/lobby/msg/alice", "with my token", user="alice", pw=token, qos=1)
    wait_until(lambda: redis.client().xlen("parley:{lobby}:history") == 1, 5, what="stored")


@pytest.mark.parametrize("body,status", [
    ({"username": "alice", "password": "wrong"}, 401),
    ({"username": "nobody", "password": "x"}, 401),
    ({"username": "a/b", "password": "x"}, 400),
    ({"username": "alice"}, 400),
    ("not json", 400),
])
def test_login_refusals(stack, body, status):
    _, _, bridge = stack.full()
    st, _, answer = bridge.http("POST", "/api/login", body)
    assert st == status and answer["error"]


def test_login_attempts_are_throttled_per_address(stack):
    _, _, bridge = stack.full(login_rate=3)
    codes = [bridge.http("POST", "/api/login", {"username": "alice", "password": "bad"})[0]
             for _ in range(5)]
    assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]


def test_api_needs_a_valid_token(stack):
    _, _, bridge = stack.full()
    for tok in (None, mint_jwt("alice", ttl=-120), "garbage",
                mint_jwt("alice", secret="x" * 40)):
        st, _, body = bridge.http("GET", "/api/rooms", token=tok)
        assert st == 401, (tok, body)


def test_private_rooms_listed_and_readable_only_for_members(stack):
    broker, redis, bridge = stack.full()
    control_ok(broker.port, "admin", password("admin"), [
        {"command": "createRoom", "room": "lab", "visibility": "private"},
        {"command": "addMember", "room": "lab", "username": "carol", "role": "member"}])
    names = lambda u: [r["room"] for r in bridge.http("GET", "/api/rooms", token=mint_jwt(u))[2]["rooms"]]
    assert names("carol") == ["lab", "lobby"]
    assert names("bob") == ["lobby"]
    st, _, body = bridge.http("GET", "/api/rooms/lab/messages", token=mint_jwt("bob"))
    assert st == 403
    st, _, body = bridge.http("GET", "/api/rooms/lab/messages", token=mint_jwt("carol"))
    assert st == 200 and body["messages"] == []
    st, _, _ = bridge.http("GET", "/api/rooms/nope/messages", token=mint_jwt("carol"))
    assert st == 404


def test_history_paging_with_before_and_after(stack):
    broker = stack.broker(plugin_opts={"rate": "100000", "burst": "100000"})
    redis = stack.redis()
    bridge = stack.bridge(broker, redis)
    mosquitto_pub(broker.port, "rooms/lobby/msg/bob", "m", user="bob", pw=password("bob"), qos=1,
                  extra=["--repeat", "7", "--repeat-delay", "0"])
    wait_until(lambda: redis.client().xlen("parley:{lobby}:history") == 7, 5, what="stored")
    ids = [e[0].decode() for e in redis.client().xrange("parley:{lobby}:history")]
    tok = mint_jwt("alice")
    _, _, page = bridge.http("GET", "/api/rooms/lobby/messages?limit=3", token=tok)
    assert [m["id"] for m in page["messages"]] == ids[4:] and page["more"] is True
    _, _, page = bridge.http("GET", f"/api/rooms/lobby/messages?limit=3&before={ids[4]}", token=tok)
    assert [m["id"] for m in page["messages"]] == ids[1:4] and page["more"] is True
    _, _, page = bridge.http("GET", f"/api/rooms/lobby/messages?after={ids[4]}", token=tok)
    assert [m["id"] for m in page["messages"]] == ids[5:] and page["more"] is False
    for bad in ("limit=0", "limit=201", "limit=x", "before=yesterday", "after=1-2-3"):
        st, _, body = bridge.http("GET", f"/api/rooms/lobby/messages?{bad}", token=tok)
        assert st == 400, bad


def test_presence_lists_websocket_and_mqtt_users(stack):
    broker, redis, bridge = stack.full()
    ws = bridge.ws(mint_jwt("alice"))
    ws.join("lobby")
    sub = subprocess.Popen(["mosquitto_sub", "-p", str(broker.port), "-u", "carol", "-P",
                            password("carol"), "-t", "rooms/lobby/msg/+"],
                           stdout=subprocess.DEVNULL)
    try:
        wait_until(lambda: sorted(bridge.http("GET", "/api/rooms/lobby/presence",
                                              token=mint_jwt("bob"))[2]["users"]) == ["alice", "carol"],
                   10, what="both present")
        assert ws.expect("presence", user="carol")["status"] == "online"
    finally:
        sub.terminate()
        sub.wait()
    assert ws.expect("presence", user="carol")["status"] == "offline"
    ws.close()
    wait_until(lambda: bridge.http("GET", "/api/rooms/lobby/presence",
                                   token=mint_jwt("bob"))[2]["users"] == [], 10, what="none left")


def test_token_from_login_works_for_mqtt_over_websocket_and_expired_is_refused(stack):
    ws_port = free_port()
    broker = stack.broker(extra_conf=f"listener {ws_port}\nprotocol websockets")
    redis = stack.redis()
    bridge = stack.bridge(broker, redis)
    token = bridge.login("alice")

    def connect(pw):
        c = mqtt.Client(client_id=f"wsclient-{pw[-6:]}", transport="websockets",
                        protocol=mqtt.MQTTv311)
        c.username_pw_set("alice", pw)
        result = {}
        c.on_connect = lambda cl, u, f, rc: result.setdefault("rc", rc)
        c.connect("127.0.0.1", ws_port)
        c.loop_start()
        wait_until(lambda: "rc" in result, 5, what="CONNACK over WebSocket")
        return c, result["rc"]

    c, rc = connect(token)
    assert rc == 0
    browser = bridge.ws(token)
    browser.join("lobby")
    c.publish("rooms/lobby/msg/alice", "from mqtt over websocket", qos=1).wait_for_publish(5)
    assert browser.expect("msg")["body"] == "from mqtt over websocket"
    c.loop_stop()
    c.disconnect()
    expired = mint_jwt("alice", ttl=-120)
    c, rc = connect(expired)
    c.loop_stop()
    assert rc == 5  # not authorized


def test_metrics_are_prometheus_text(stack):
    broker, redis, bridge = stack.full()
    ws = bridge.ws(mint_jwt("alice"))
    ws.join("lobby")
    mosquitto_pub(broker.port, "rooms/lobby/msg/bob", "x", user="bob", pw=password("bob"), qos=1)
    ws.expect("msg")
    st, hdrs, text = bridge.http("GET", "/metrics")
    assert st == 200 and hdrs["content-type"].startswith("text/plain")
    for line in ("parley_bridge_ws_connections 1", "parley_bridge_mqtt_in 1",
                 "parley_bridge_redis_writes 1", "parley_bridge_mqtt_connected 1",
                 "parley_bridge_redis_connected 1", "parley_bridge_spool_size 0",
                 "parley_bridge_ws_msgs_out 1"):
        assert line in text.splitlines(), line
    assert "# TYPE parley_bridge_ws_connections gauge" in text


def test_healthz_says_when_the_broker_is_away_and_the_bridge_reconnects(stack):
    broker, redis, bridge = stack.full()
    assert bridge.http("GET", "/healthz")[0] == 200
    broker.stop()
    bridge.wait_log("mqtt: connection lost")
    st, _, body = bridge.http("GET", "/healthz")
    assert st == 503 and body["mqtt"] == "down"
    ws = bridge.ws(mint_jwt("alice"))
    ws.send({"type": "send", "room": "lobby", "body": "nobody hears", "id": "u"})
    assert ws.expect("error")["code"] == "unavailable"
    broker.start()
    wait_until(lambda: bridge.http("GET", "/healthz")[0] == 200, 20, what="reconnected")
    ws.join("lobby")
    mosquitto_pub(broker.port, "rooms/lobby/msg/bob", "back", user="bob", pw=password("bob"), qos=1)
    assert ws.expect("msg")["body"] == "back"


def test_messages_sent_while_the_bridge_is_down_are_stored_when_it_returns(stack):
    broker, redis, bridge = stack.full()
    assert bridge.stop() == 0
    mosquitto_pub(broker.port, "rooms/lobby/msg/bob", "while away", user="bob", pw=password("bob"), qos=1)
    bridge.start()
    wait_until(lambda: redis.client().xlen("parley:{lobby}:history") == 1, 10,
               what="the persistent session's queued message stored")


def test_settings_errors_name_the_setting_and_help_works(tmp_path):
    r = subprocess.run([str(BRIDGE), "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "usage: parley-bridge" in r.stdout
    secret = tmp_path / "s"
    secret.write_text(JWT_SECRET)
    for args, text in [
        (["--http_port", "80x"], 'http_port: must be a whole number from 1 to 65535 (got "80x")'),
        (["--nope", "1"], "nope: unknown setting"),
        (["--node_id", "a b"], "node_id"),
        ([], "jwt_secret_file: required"),
        (["-c", str(tmp_path / "missing.conf")], "missing.conf"),
    ]:
        full = args if not args or args[0] != "--http_port" else args + ["--jwt_secret_file", str(secret)]
        r = subprocess.run([str(BRIDGE)] + full, capture_output=True, text=True, timeout=10)
        assert r.returncode == 2 and text in r.stderr, (args, r.stderr)


def test_sigterm_stops_cleanly_after_writing_what_was_accepted(stack):
    broker, redis, bridge = stack.full()
    ws = bridge.ws(mint_jwt("alice"))
    ws.join("lobby")
    ws.send({"type": "send", "room": "lobby", "body": "last words", "id": "l"})
    ws.expect("ack")
    assert bridge.stop(signal.SIGTERM) == 0
    assert ws.wait_closed() == 1001
    assert "stopped" in bridge.output()
    assert [e[1][b"body"] for e in redis.client().xrange("parley:{lobby}:history")] == [b"last words"]
