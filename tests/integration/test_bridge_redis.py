"""Redis going away: live delivery goes on, writes are spooled (bounded) and written in order
when it is back; history answers 503 meanwhile."""
from bridgekit import stack  # noqa: F401
from conftest import mint_jwt, mosquitto_pub, password, wait_until


def pub(broker, text):
    mosquitto_pub(broker.port, "rooms/lobby/msg/bob", text, user="bob", pw=password("bob"), qos=1)


def bodies(redis):
    return [e[1][b"body"].decode() for e in redis.client().xrange("parley:{lobby}:history")]


def test_redis_restart_mid_stream_loses_nothing(stack):
    broker, redis, bridge = stack.full()
    ws = bridge.ws(mint_jwt("alice"))
    ws.join("lobby")
    pub(broker, "before")
    assert ws.expect("msg")["id"]
    redis.stop()
    bridge.wait_log("redis: connection lost")
    for t in ("during 1", "during 2", "during 3"):
        pub(broker, t)
        m = ws.expect("msg")
        assert (m["body"], m["id"]) == (t, "")  # live, not yet stored
    ws.send({"type": "send", "room": "lobby", "body": "during ws", "id": "w"})
    assert ws.expect("ack", id="w")["msgid"] == ""
    st, _, body = bridge.http("GET", "/api/rooms/lobby/messages", token=mint_jwt("alice"))
    assert st == 503 and "Redis" in body["error"]
    st, _, body = bridge.http("GET", "/healthz")
    assert st == 200 and body == {"mqtt": "up", "redis": "down"}
    assert "parley_bridge_spool_size 4" in bridge.http("GET", "/metrics")[2]
    redis.start()
    wait_until(lambda: bodies(redis) == ["before", "during 1", "during 2", "during 3",
                                         "during ws"], 15, what="the spool written in order")
    pub(broker, "after")
    assert ws.expect("msg", body="after")["id"]
    st, _, body = bridge.http("GET", "/api/rooms/lobby/messages", token=mint_jwt("alice"))
    assert st == 200 and [m["body"] for m in body["messages"]][-2:] == ["during ws", "after"]


def test_spool_is_bounded_and_drops_are_counted(stack):
    broker = stack.broker()
    redis = stack.redis()
    bridge = stack.bridge(broker, redis, spool_max=3)
    redis.stop()
    bridge.wait_log("redis: connection lost")
    for i in range(5):
        pub(broker, f"m{i}")
    bridge.wait_log("spool full (3)")
    assert "parley_bridge_spool_dropped 2" in bridge.http("GET", "/metrics")[2]
    redis.start()
    wait_until(lambda: bodies(redis) == ["m2", "m3", "m4"], 15, what="the newest three written")


def test_bridge_starts_without_redis_and_catches_up(stack):
    broker = stack.broker()
    redis = stack.redis()
    redis.stop()
    bridge = stack.bridge(broker, redis, start=False)
    bridge.start(wait_redis=False)
    pub(broker, "while redis was never there")
    bridge.wait_log("mqtt 127.0.0.1")
    redis.start()
    wait_until(lambda: bodies(redis) == ["while redis was never there"], 15, what="written")
