"""The test harness itself against a plain Mosquitto: real mosquitto_pub/mosquitto_sub and
paho reach each other, and brokers restart on the same port."""
from conftest import MqttClient, mosquitto_pub


def test_mosquitto_sub_sees_mosquitto_pub(plain_broker, subs):
    s = subs(plain_broker.port, "harness/#")
    assert s.wait_subscribed() == [0]
    r = mosquitto_pub(plain_broker.port, "harness/a", "hello")
    assert r.returncode == 0, r.stderr
    assert s.wait_for("harness/a hello")


def test_paho_client_gets_puback_and_message(plain_broker, clients):
    c = clients(plain_broker.port)
    assert c.connect() == 0
    assert c.subscribe("harness/x", qos=1) == [1]
    assert c.puback_reason("harness/x", b"p") == 0
    assert c.get().payload == b"p"
    assert c.puback_reason("harness/nobody", b"p") == 0x10  # no matching subscribers


def test_broker_restarts_on_same_port(plain_broker):
    port = plain_broker.port
    plain_broker.restart()
    c = MqttClient(port)
    try:
        assert c.connect() == 0
    finally:
        c.close()
