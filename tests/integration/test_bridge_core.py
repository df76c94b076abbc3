"""parley-bridge end to end: mosquitto with the plugin, redis-server, the bridge, real
mosquitto_pub / mosquitto_sub and WebSocket clients."""
import json
import time

import pytest

from bridgekit import stack  # noqa: F401  (fixture)
from conftest import Sub, mint_jwt, mosquitto_pub, password, wait_until


def history(redis, room="lobby"):
    return redis.client().xrange(f"parley:{{{room}}}:history")


def test_mosquitto_pub_reaches_websocket_and_redis_history(stack):
    broker, redis, bridge = stack.full()
    ws = bridge.ws(mint_jwt("alice"))
    ws.join("lobby")
    mosquitto_pub(broker.port, "rooms/lobby/msg/bob", "hello from mqtt", user="bob",
                  pw=password("bob"), qos=1)
    m = ws.expect("msg")
    assert (m["room"], m["from"], m["body"]) == ("lobby", "bob", "hello from mqtt")
    entries = history(redis)
    assert len(entries) == 1
    eid, fields = entries[0]
    assert eid.decode() == m["id"]
    assert fields[b"from"] == b"bob" and fields[b"body"] == b"hello from mqtt"


def test_websocket_send_reaches_mosquitto_sub(stack):
    broker, redis, bridge = stack.full()
    sub = Sub(broker.port, ["rooms/lobby/msg/+"], user="carol", pw=password("carol"), qos=1)
    sub.wait_subscribed()
    ws = bridge.ws(mint_jwt("alice"))
    ws.join("lobby")
    ws.send({"type": "send", "room": "lobby", "body": "hi from the browser", "id": "c1"})
    ack = ws.expect("ack")
    assert ack["id"] == "c1" and ack["msgid"]
    sub.wait_for("hi from the browser")
    sub.stop()
    assert [e[1][b"body"] for e in history(redis)] == [b"hi from the browser"]
    # the sender sees its own message too, with the id the ack gave, before the ack
    msgs = [f for f in ws.frames if f["type"] == "msg"]
    assert [(m["id"], m["from"], m["body"]) for m in msgs] == [
        (ack["msgid"], "alice", "hi from the browser")]
