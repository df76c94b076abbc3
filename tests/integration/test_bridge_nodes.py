"""Two brokers, a bridge on each, one Redis: every subscriber of both brokers and every
WebSocket of both bridges gets each message exactly once."""
import time

from bridgekit import stack  # noqa: F401
from conftest import Sub, mint_jwt, mosquitto_pub, password, wait_until


def test_two_nodes_deliver_across_exactly_once(stack):
    redis = stack.redis()
    b1, b2 = stack.broker(), stack.broker()
    n1 = stack.bridge(b1, redis, node_id="n1")
    n2 = stack.bridge(b2, redis, node_id="n2")
    subs = [Sub(b.port, ["rooms/lobby/msg/+"], user="carol", pw=password("carol"), qos=1)
            for b in (b1, b2)]
    for s in subs:
        s.wait_subscribed()
    w1, w2 = n1.ws(mint_jwt("alice")), n2.ws(mint_jwt("bob"))
    w1.join("lobby")
    w2.join("lobby")

    mosquitto_pub(b1.port, "rooms/lobby/msg/dave", "from mqtt on node 1", user="dave",
                  pw=mint_jwt("dave"), qos=1)
    w1.send({"type": "send", "room": "lobby", "body": "from ws on node 1", "id": "a"})
    w2.send({"type": "send", "room": "lobby", "body": "from ws on node 2", "id": "b"})
    mosquitto_pub(b2.port, "rooms/lobby/msg/erin", "from mqtt on node 2", user="erin",
                  pw=mint_jwt("erin"), qos=1)
    want = sorted(["from mqtt on node 1", "from ws on node 1", "from ws on node 2",
                   "from mqtt on node 2"])
    for s in subs:
        wait_until(lambda s=s: len([l for l in s.messages() if "/msg/" in l]) >= 4, 10,
                   what="four messages on each broker")
    time.sleep(0.5)  # anything extra would have come by now
    for s in subs:
        got = sorted(l.split(" ", 1)[1] for l in s.messages() if "/msg/" in l)
        assert got == want
        s.stop()
    for w in (w1, w2):
        w.collect(0.7)  # every frame read lands in w.frames
        bodies = sorted(f["body"] for f in w.frames if f["type"] == "msg")
        assert sorted(set(bodies)) == want and len(bodies) == 4, bodies
    entries = redis.client().xrange("parley:{lobby}:history")
    assert sorted(e[1][b"body"].decode() for e in entries) == want  # stored once each
