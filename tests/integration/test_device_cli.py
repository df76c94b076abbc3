"""build/parley-device (libparley_device + the POSIX port) against a plain Mosquitto: line
formats, the 512-byte bound on stdin lines, readings, QoS 1 across a broker restart, dead-link
detection with SIGSTOP, IPv6, exit codes."""
import json
import signal
import time

from conftest import free_port, mosquitto_pub, password, wait_until


def dev_args(port, user="dev1", room="lobby", pw="x", host="127.0.0.1", extra=()):
    return ["-h", host, "-p", port, "-u", user, "-P", pw, "-r", room] + list(extra)


def readings(lines, user="dev1"):
    """seq numbers of the readings in 'msg lobby <user> {json}' lines."""
    out = []
    for l in lines:
        prefix = f"msg lobby {user} "
        if l.startswith(prefix):
            out.append(json.loads(l[len(prefix):])["seq"])
    return out


def test_device_prints_room_lines_and_sends_stdin(plain_broker, device, subs):
    sub = subs(plain_broker.port, "rooms/lobby/msg/+")
    sub.wait_subscribed()
    d = device(dev_args(plain_broker.port))
    d.wait_err("joined room lobby")
    d.send("hello from the device")
    sub.wait_for("rooms/lobby/msg/dev1 hello from the device")
    d.wait_out("msg lobby dev1 hello from the device")  # our own message comes back

    r = mosquitto_pub(plain_broker.port, "rooms/lobby/msg/bob", "hi\tthere\\ \x01")
    assert r.returncode == 0
    d.wait_out("msg lobby bob hi\\tthere\\\\ \\x01")
    mosquitto_pub(plain_broker.port, "rooms/lobby/presence/carol", "online", extra=["-r"])
    d.wait_out("presence lobby carol online")
    r = mosquitto_pub(plain_broker.port, "rooms/lobby/presence/carol", "", extra=["-r"])
    assert r.returncode == 0, r.stderr
    d.wait_out("presence lobby carol offline")
    # another room is not ours
    mosquitto_pub(plain_broker.port, "rooms/other/msg/bob", "elsewhere")
    d.send("last")
    d.wait_out("msg lobby dev1 last")
    d.close_stdin()
    assert d.wait() == 0
    assert not [l for l in d.stdout() if "elsewhere" in l]
    assert d.stdout() == ["msg lobby dev1 hello from the device",
                          "msg lobby bob hi\\tthere\\\\ \\x01",
                          "presence lobby carol online",
                          "presence lobby carol offline",
                          "msg lobby dev1 last"]


def test_device_refuses_overlong_line_and_goes_on(plain_broker, device, subs):
    sub = subs(plain_broker.port, "rooms/lobby/msg/+")
    sub.wait_subscribed()
    d = device(dev_args(plain_broker.port, extra=["--qos", "1"]))
    d.wait_err("joined room lobby")
    d.send("a" * 513)
    d.send("b" * 512)
    d.send("c" * 100000)
    d.send("next line")
    d.close_stdin()
    assert d.wait() == 0
    sub.wait_for("next line")
    err = d.stderr()
    assert [l for l in err if "line 1 refused: 513 bytes, above the 512-byte" in l], err
    assert [l for l in err if "line 3 refused: 100000 bytes" in l], err
    got = [m.split(" ", 1)[1] for m in sub.messages()]
    assert got == ["b" * 512, "next line"]


def test_device_count_sends_readings_qos1(plain_broker, device, subs):
    sub = subs(plain_broker.port, "rooms/lobby/msg/+", qos=1)
    sub.wait_subscribed()
    d = device(dev_args(plain_broker.port, extra=["--qos", "1", "--count", "5",
                                                  "--interval", "50"]))
    assert d.wait() == 0
    sub.wait_for('"seq":5')
    seqs = [json.loads(m.split(" ", 1)[1])["seq"] for m in sub.messages()]
    assert seqs == [1, 2, 3, 4, 5]
    assert all(json.loads(m.split(" ", 1)[1])["n"] == 5 for m in sub.messages())


def test_device_password_ok_and_bad_password_exit_code(brokers, device):
    b = brokers(plugin=False, users={"alice": password("alice")})
    d = device(dev_args(b.port, user="alice", pw=password("alice"), extra=["--qos", "1"]))
    d.wait_err("joined room lobby (granted QoS 1)")
    d.send("with a password")
    d.wait_out("msg lobby alice with a password")
    d.close_stdin()
    assert d.wait() == 0

    bad = device(dev_args(b.port, user="alice", pw="wrong"))
    assert bad.wait() == 2
    assert [l for l in bad.stderr() if "connection refused by the broker" in l], bad.stderr()


def test_device_usage_and_unreachable_exit_codes(device):
    assert device(["-h", "127.0.0.1", "-u", "dev1", "-P", "x"]).wait() == 1  # no room
    assert device(["-h", "127.0.0.1", "-u", "bad/name", "-P", "x", "-r", "lobby"]).wait() == 1
    assert device(["-h", "127.0.0.1", "-u", "dev1", "-P", "x", "-r", "lobby", "--qos",
                   "2"]).wait() == 1
    closed = device(dev_args(free_port()))
    assert closed.wait() == 3
    assert [l for l in closed.stderr() if "cannot connect" in l], closed.stderr()


def test_device_help_lists_exit_codes(device):
    d = device(["--help"])
    assert d.wait() == 0
    text = "\n".join(d.stdout())
    for code in range(7):
        assert f"\n  {code}  " in text


def test_device_ipv6_and_name_fallback(brokers, device):
    b = brokers(plugin=False, start=False)
    port6 = free_port()
    b.extra_conf = f"listener {port6} ::1"
    b.write_conf()
    b.start()
    d6 = device(dev_args(port6, host="::1"))
    d6.wait_err("connected to [::1]:")
    d6.wait_err("joined room lobby")
    d6.send("over ipv6")
    d6.wait_out("msg lobby dev1 over ipv6")
    d6.close_stdin()
    assert d6.wait() == 0
    # 'localhost' may resolve to ::1 first: the IPv4-only listener is reached by fallback
    d4 = device(dev_args(b.port, host="localhost"))
    d4.wait_err("connected to 127.0.0.1:")
    d4.close_stdin()
    assert d4.wait() == 0


def test_device_detects_paused_broker_within_1_5_keepalive(plain_broker, device):
    keepalive = 2
    d = device(dev_args(plain_broker.port, extra=["--keepalive", keepalive, "--no-reconnect"]))
    d.wait_err("joined room lobby")
    time.sleep(0.3)
    t0 = time.monotonic()
    plain_broker.pause()
    try:
        t_dead, line = d.wait_err("link dead", timeout=4 * keepalive)
        assert d.wait() == 3
    finally:
        plain_broker.resume()
    assert "no PINGRESP" in line
    # correctness bound of the keepalive rule (PINGREQ at 3/4, dead keepalive/2 later)
    assert t_dead - t0 <= 1.5 * keepalive, f"dead after {t_dead - t0:.2f} s"


def test_device_reconnects_after_paused_broker_resumes(plain_broker, device, subs):
    d = device(dev_args(plain_broker.port, extra=["--keepalive", "2", "--qos", "1"]))
    d.wait_err("joined room lobby")
    plain_broker.pause()
    try:
        d.wait_err("link dead", timeout=8)
    finally:
        plain_broker.resume()
    d.wait_err("reconnecting in")
    wait_until(lambda: len([l for l in d.stderr() if "connected to" in l]) == 2, 15,
               what="a second connection")
    d.wait_err("joined room lobby")
    sub = subs(plain_broker.port, "rooms/lobby/msg/+")
    sub.wait_subscribed()
    d.send("back again")
    sub.wait_for("back again")
    d.close_stdin()
    assert d.wait() == 0


def test_device_qos1_survives_broker_restart(brokers, device, clients):
    """Persistent sessions on both sides, a broker with persistence stopped and started while
    the device sends 30 readings at QoS 1 and another client publishes to it: none lost."""
    b = brokers(plugin=False, persistence=True)
    listener = clients(b.port, protocol=4, client_id="listener1", clean=False)
    assert listener.connect() == 0
    assert listener.subscribe("rooms/lobby/msg/+", qos=1) == [1]
    listener.close()  # offline: the broker queues for it, across the restart too

    d = device(dev_args(b.port, extra=["--qos", "1", "--id", "sensor1", "--count", "30",
                                       "--interval", "100", "--keepalive", "5"]))
    d.wait_err("session present: no")
    d.wait_out('"seq":5,')
    b.stop()
    d.wait_err("link lost")
    time.sleep(0.8)  # readings keep coming while the broker is away
    b.start()
    # a message for the device while it may still be away: its session holds it
    r = mosquitto_pub(b.port, "rooms/lobby/msg/bob", "while you were away", qos=1)
    assert r.returncode == 0, r.stderr
    assert d.wait(timeout=30) == 0
    assert [l for l in d.stderr() if "session present: yes" in l], d.stderr()
    assert "msg lobby bob while you were away" in d.stdout()

    again = clients(b.port, protocol=4, client_id="listener1", clean=False)
    assert again.connect() == 0
    got = [json.loads(m.payload)["seq"] for m in again.drain(quiet=1.0)
           if m.topic == "rooms/lobby/msg/dev1"]
    assert sorted(set(got)) == list(range(1, 31)), got


def test_device_sigterm_disconnects_cleanly(plain_broker, device):
    d = device(dev_args(plain_broker.port))
    d.wait_err("joined room lobby")
    d.proc.send_signal(signal.SIGTERM)
    assert d.wait() == 0
    d.wait_err("interrupted: disconnecting")
    plain_broker.wait_log(f"Received DISCONNECT from pd-dev1-{d.proc.pid}")


def test_device_drops_incoming_message_above_its_buffer_and_goes_on(plain_broker, device):
    d = device(dev_args(plain_broker.port, extra=["--qos", "1"]))
    d.wait_err("joined room lobby")
    big = "B" * 5000  # above the CLI's 2 KiB receive buffer; a plain broker lets it through
    assert mosquitto_pub(plain_broker.port, "rooms/lobby/msg/bob", big, qos=1).returncode == 0
    assert mosquitto_pub(plain_broker.port, "rooms/lobby/msg/bob", "small", qos=1).returncode == 0
    d.wait_out("msg lobby bob small")
    # remaining length: topic 19 + 2, packet id 2, payload 5000
    d.wait_err("dropped an incoming message: packet of 5023 bytes")
    d.close_stdin()
    assert d.wait() == 0
    assert d.stdout() == ["msg lobby bob small"]
