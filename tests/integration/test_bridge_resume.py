"""join with since: what was missed is replayed from the stream, then live, with no gap and no
duplicate; recovered says when the gap cannot be whole."""
import threading
import time

from bridgekit import stack  # noqa: F401
from conftest import mint_jwt, mosquitto_pub, password, wait_until


def pub(broker, text, user="bob"):
    mosquitto_pub(broker.port, f"rooms/lobby/msg/{user}", text, user=user, pw=password(user), qos=1)


def msgs_until_joined(ws):
    got = []
    while True:
        f = ws.recv()
        if f["type"] == "msg":
            got.append(f)
        if f["type"] == "joined":
            return got, f


def test_resume_after_disconnect_gives_every_missed_message_once(stack):
    broker, redis, bridge = stack.full()
    ws = bridge.ws(mint_jwt("alice"))
    ws.join("lobby")
    pub(broker, "one")
    cursor = ws.expect("msg")["id"]
    ws.close()
    for t in ("two", "three", "four"):
        pub(broker, t)
    ws = bridge.ws(mint_jwt("alice"))
    ws.send({"type": "join", "room": "lobby", "since": cursor})
    replayed, joined = msgs_until_joined(ws)
    assert [m["body"] for m in replayed] == ["two", "three", "four"]
    assert joined["recovered"] is True and joined["replayed"] == 3
    pub(broker, "five")
    assert ws.expect("msg")["body"] == "five"
    assert ws.collect(0.5) == []


def test_resume_while_messages_keep_coming_has_no_gap_and_no_duplicate(stack):
    broker = stack.broker(plugin_opts={"rate": "100000", "burst": "100000"})
    redis = stack.redis()
    bridge = stack.bridge(broker, redis)
    ws = bridge.ws(mint_jwt("alice"))
    ws.join("lobby")
    pub(broker, "m0")
    cursor = ws.expect("msg")["id"]
    ws.close()
    n = 200
    stop = threading.Event()

    def flood():
        mosquitto_pub(broker.port, "rooms/lobby/msg/carol", "flood", user="carol",
                      pw=password("carol"), qos=1, extra=["--repeat", str(n), "--repeat-delay", "0.005"])
        stop.set()

    t = threading.Thread(target=flood)
    t.start()
    time.sleep(0.2)  # some are stored before the join, the rest arrive during and after it
    ws = bridge.ws(mint_jwt("alice"))
    ws.send({"type": "join", "room": "lobby", "since": cursor})
    ids = []
    deadline = time.monotonic() + 20
    while len(ids) < n and time.monotonic() < deadline:
        f = ws.recv(10)
        if f["type"] == "msg":
            ids.append(f["id"])
    t.join()
    stored = [e[0].decode() for e in redis.client().xrange("parley:{lobby}:history")][1:]
    assert len(stored) == n
    assert ids == stored  # each once, in order, none missing
    assert ws.collect(0.5) == []


def test_cursor_older_than_the_trimmed_stream_is_not_recovered(stack):
    broker = stack.broker(plugin_opts={"rate": "100000", "burst": "100000"})
    redis = stack.redis()
    bridge = stack.bridge(broker, redis, history_max=10)
    ws = bridge.ws(mint_jwt("alice"))
    ws.join("lobby")
    pub(broker, "first")
    cursor = ws.expect("msg")["id"]
    ws.close()
    mosquitto_pub(broker.port, "rooms/lobby/msg/carol", "more", user="carol", pw=password("carol"),
                  qos=1, extra=["--repeat", "300", "--repeat-delay", "0"])
    wait_until(lambda: int(redis.client().xinfo_stream("parley:{lobby}:history")["entries-added"]) == 301,
               10, what="all stored")
    ws = bridge.ws(mint_jwt("alice"))
    ws.send({"type": "join", "room": "lobby", "since": cursor})
    _, joined = msgs_until_joined(ws)
    assert joined["recovered"] is False  # trimmed: the page reloads history instead of a hole


def test_cursor_from_a_lost_stream_is_not_recovered(stack):
    broker, redis, bridge = stack.full()
    ws = bridge.ws(mint_jwt("alice"))
    ws.join("lobby")
    pub(broker, "before the loss")
    cursor = ws.expect("msg")["id"]
    ws.close()
    redis.client().delete("parley:{lobby}:history")  # Redis lost its data
    ws = bridge.ws(mint_jwt("alice"))
    ws.send({"type": "join", "room": "lobby", "since": cursor})
    replayed, joined = msgs_until_joined(ws)
    assert replayed == [] and joined["recovered"] is False
    pub(broker, "after the loss")
    assert ws.expect("msg")["body"] == "after the loss"  # live goes on
