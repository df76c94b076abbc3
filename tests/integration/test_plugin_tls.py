"""parley_plugin.so with TLS client-certificate identity: a listener with require_certificate and
use_identity_as_username makes the certificate's CN the user name (Mosquitto then asks no
plugin for a password), and the plugin's room rules apply to that name. A throwaway CA is made
with openssl for each test module."""
import re
import socket
import subprocess

import pytest

from conftest import control, control_ok, free_port, mosquitto_pub, password, require_tool, \
    make_ca, openssl, start_parley, wait_until

DENIED = 0x87


def accepting(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False




def make_cert(d, ca, name, cn, ext):
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=d)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", ext, cwd=d)
    return {"cert": d / f"{name}.pem", "key": d / f"{name}.key"}


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    require_tool("openssl")
    d = tmp_path_factory.mktemp("pki")
    make_ca(d, "ca")
    make_ca(d, "other-ca")
    (d / "server.cnf").write_text("subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n"
                                  "extendedKeyUsage=serverAuth\n")
    (d / "client.cnf").write_text("basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
    out = {"ca": d / "ca.pem", "server": make_cert(d, "ca", "server", "localhost", "server.cnf")}
    for name, cn in (("alice", "alice"), ("zed", "zed"), ("badname", "al ice"),
                     ("admin", "admin")):
        out[name] = make_cert(d, "ca", name, cn, "client.cnf")
    out["stranger"] = make_cert(d, "other-ca", "stranger", "alice", "client.cnf")
    return out


@pytest.fixture
def tls(brokers, pki):
    """Parley with one TLS listener (client certificate required, CN = user name) and a plain
    listener beside it for password clients. Returns (broker, plain port)."""
    plain = free_port()
    listener = (f"cafile {pki['ca']}\ncertfile {pki['server']['cert']}\n"
                f"keyfile {pki['server']['key']}\nrequire_certificate true\n"
                "use_identity_as_username true")
    b = start_parley(brokers, room=None, listener_conf=listener,
                     extra_conf=f"listener {plain} 127.0.0.1")
    # start() waited for the first listener; Mosquitto opens the second one just after it.
    wait_until(lambda: accepting(plain), what=f"the plain listener on {plain}")
    control_ok(plain, "admin", password("admin"),
               [{"command": "createRoom", "room": "lobby", "visibility": "public"}])
    return b, plain


def tls_pub(b, pki, who, topic, message, extra=()):
    """mosquitto_pub over TLS with who's certificate, MQTT 5, QoS 1: (exit code, output)."""
    args = ["--cafile", str(pki["ca"]), "-V", "mqttv5", "-d"]
    if who is not None:
        args += ["--cert", str(pki[who]["cert"]), "--key", str(pki[who]["key"])]
    r = mosquitto_pub(b.port, topic, message, qos=1, extra=["-h", "localhost"] + args +
                      list(extra))
    return r.returncode, r.stdout.decode() + r.stderr.decode()


def puback(out):
    m = re.findall(r"received PUBACK \(Mid: \d+, RC:(\d+)\)", out)
    return [int(x) for x in m]


def test_certificate_identity_posts_as_alice_not_as_bob(tls, pki, subs):
    b, plain = tls
    s = subs(plain, "rooms/lobby/msg/+", "bob", password("bob"))
    s.wait_subscribed()
    rc, out = tls_pub(b, pki, "alice", "rooms/lobby/msg/alice", "hello by certificate")
    assert rc == 0 and puback(out) == [0], out
    s.wait_for("rooms/lobby/msg/alice hello by certificate")
    assert "u'alice'" in b.log()
    rc, out = tls_pub(b, pki, "alice", "rooms/lobby/msg/bob", "pretending to be bob")
    assert puback(out) == [DENIED], out
    b.wait_log("parley: denied publish of rooms/lobby/msg/bob by alice")
    assert not [m for m in s.messages() if "pretending" in m]


def test_user_name_and_password_do_not_override_the_certificate(tls, pki, subs):
    b, plain = tls
    rc, out = tls_pub(b, pki, "alice", "rooms/lobby/msg/bob", "bob's password, alice's cert",
                      extra=["-u", "bob", "-P", password("bob")])
    assert puback(out) == [DENIED], out
    rc, out = tls_pub(b, pki, "alice", "rooms/lobby/msg/alice", "still alice",
                      extra=["-u", "bob", "-P", "wrong"])
    assert rc == 0 and puback(out) == [0x10], out


def test_no_certificate_or_foreign_ca_refused(tls, pki, subs):
    b, plain = tls
    s = subs(plain, "rooms/lobby/msg/+", "bob", password("bob"))
    s.wait_subscribed()
    rc, out = tls_pub(b, pki, None, "rooms/lobby/msg/alice", "no cert",
                      extra=["-u", "alice", "-P", password("alice")])
    assert rc != 0 and puback(out) == [], out
    rc, out = tls_pub(b, pki, "stranger", "rooms/lobby/msg/alice", "other CA")
    assert rc != 0 and puback(out) == [], out
    mosquitto_pub(plain, "rooms/lobby/msg/carol", "marker", "carol", password("carol"))
    s.wait_for("rooms/lobby/msg/carol marker")
    assert not [m for m in s.messages() if "no cert" in m or "other CA" in m]


def test_certificate_identity_follows_room_rules(tls, pki):
    b, plain = tls
    control_ok(plain, "bob", password("bob"),
               [{"command": "createRoom", "room": "den", "visibility": "private"}])
    rc, out = tls_pub(b, pki, "alice", "rooms/den/msg/alice", "let me in")
    assert puback(out) == [DENIED], out
    control_ok(plain, "bob", password("bob"),
               [{"command": "addMember", "room": "den", "username": "alice"}])
    rc, out = tls_pub(b, pki, "alice", "rooms/den/msg/alice", "member now")
    assert puback(out) == [0x10], out
    # a certificate for a name with no account is an identity too (like a token-only user)
    rc, out = tls_pub(b, pki, "zed", "rooms/lobby/msg/zed", "zed here")
    assert rc == 0 and puback(out) == [0x10], out
    # an admin's certificate carries the admin's rights
    rc, out = tls_pub(b, pki, "admin", "rooms/den/msg/admin", "admin here")
    assert puback(out) == [0x10], out


def test_certificate_name_outside_the_name_rule_gets_nothing(tls, pki):
    """CN "al ice" is no Parley name (DESIGN.md: such names are refused "wherever they enter").
    Mosquitto 2.0.11 asks no plugin about a certificate login (no BASIC_AUTH call, and plugin
    API v5 has no CONNECT event), so the client is let in as "al ice"; the plugin must then
    refuse everything it asks: no reading even a public room, no posting, no state change."""
    b, plain = tls
    rc, out = tls_pub(b, pki, "badname", "$CONTROL/parley/v1",
                      '{"commands":[{"command":"createRoom","room":"spacey"}]}')
    assert control(plain, "admin", password("admin"), [{"command": "getRoom",
                                                        "room": "spacey"}]) == [
        {"command": "getRoom", "error": 'no such room "spacey"'}]
    rc, out = tls_pub(b, pki, "badname", "rooms/lobby/msg/al ice", "spaced out")
    assert puback(out) == [DENIED], out
    r = subprocess.run(["mosquitto_sub", "-h", "localhost", "-p", str(b.port), "-V", "mqttv5",
                        "--cafile", str(pki["ca"]), "--cert", str(pki["badname"]["cert"]),
                        "--key", str(pki["badname"]["key"]), "-t", "rooms/lobby/msg/+", "-d",
                        "-W", "1"], capture_output=True, text=True, timeout=10)
    subacks = re.findall(r"Subscribed \(mid: \d+\): (\d+)", r.stdout)
    assert subacks == [str(DENIED)], (
        "a client whose certificate CN 'al ice' is outside the name rule may read the public "
        "room lobby:\n" + r.stdout)
