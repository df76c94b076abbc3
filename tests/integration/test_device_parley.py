"""parley-device against Mosquitto with the Parley plugin: password and token logins, join,
say, receive from mosquitto_pub and presence; refusals map to the documented exit codes."""
from conftest import JWT_SECRET, control_ok, mint_jwt, mosquitto_pub, password


def args(port, user, secret, room="lobby", token=False, extra=()):
    return (["-h", "127.0.0.1", "-p", port, "-u", user, "--token" if token else "-P", secret,
             "-r", room] + list(extra))


def test_device_password_join_say_receive(parley, device, subs):
    bob_sub = subs(parley.port, "rooms/lobby/msg/+", user="bob", pw=password("bob"), qos=1)
    bob_sub.wait_subscribed()
    d = device(args(parley.port, "alice", password("alice"), extra=["--qos", "1"]))
    d.wait_err("joined room lobby (granted QoS 1)")
    d.wait_out("presence lobby alice online")  # the plugin announces us
    d.send("hello from alice's device")
    bob_sub.wait_for("rooms/lobby/msg/alice hello from alice's device")
    r = mosquitto_pub(parley.port, "rooms/lobby/msg/bob", "hi device", user="bob",
                      pw=password("bob"), qos=1)
    assert r.returncode == 0, r.stderr
    d.wait_out("msg lobby bob hi device")
    d.close_stdin()
    assert d.wait() == 0


def test_device_token_login(parley, device):
    d = device(args(parley.port, "alice", mint_jwt("alice"), token=True, extra=["--qos", "1"]))
    d.wait_err("joined room lobby")
    d.send("signed in with a token")
    d.wait_out("msg lobby alice signed in with a token")
    d.close_stdin()
    assert d.wait() == 0


def test_device_bad_credentials_exit_2(parley, device):
    # one failure per user, so the plugin's failed-login throttle is not what is tested
    cases = [
        args(parley.port, "alice", "wrong password"),
        args(parley.port, "bob", mint_jwt("bob", secret=JWT_SECRET + "x"), token=True),
        args(parley.port, "carol", mint_jwt("carol", ttl=-60), token=True),  # expired
        args(parley.port, "admin", mint_jwt("bob"), token=True),  # sub is someone else
    ]
    for a in cases:
        d = device(a)
        assert d.wait(timeout=20) == 2, d.stderr()
        assert [l for l in d.stderr() if "connection refused by the broker" in l], d.stderr()


def test_device_private_room_without_membership_exit_4(parley, device):
    control_ok(parley.port, "admin", password("admin"),
               [{"command": "createRoom", "room": "secret", "visibility": "private"}])
    d = device(args(parley.port, "alice", password("alice"), room="secret"))
    assert d.wait() == 4, d.stderr()
    assert [l for l in d.stderr() if "refused to join room secret" in l], d.stderr()
