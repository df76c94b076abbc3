"""parley-device over TLS (mbedTLS in the POSIX port) against a Mosquitto TLS listener, with a
throwaway CA and server certificate made here with openssl."""
import subprocess

import pytest

from conftest import make_ca, mosquitto_pub, openssl, require_tool, wait_until




@pytest.fixture
def pki(tmp_path):
    """A CA, a server certificate it signs for DNS:localhost, and an unrelated CA."""
    require_tool("openssl")
    d = tmp_path / "pki"
    d.mkdir()
    ca = make_ca(d, "test-ca")
    other = make_ca(d, "other-ca")
    (d / "san.cnf").write_text("subjectAltName=DNS:localhost\n"
                               "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
                               "extendedKeyUsage=serverAuth\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost", cwd=d)
    openssl("x509", "-req", "-in", "server.csr", "-CA", "test-ca.pem", "-CAkey", "test-ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.cnf", cwd=d)
    return {"ca": ca, "other": other, "cert": d / "server.pem", "key": d / "server.key"}


@pytest.fixture
def tls_broker(brokers, pki):
    """Plain Mosquitto whose only listener speaks TLS with the test server certificate."""
    return brokers(plugin=False, listener_conf=f"cafile {pki['ca']}\ncertfile {pki['cert']}\n"
                                                f"keyfile {pki['key']}")


def tls_args(port, cafile, extra=()):
    return ["-h", "localhost", "-p", port, "-u", "dev1", "-P", "x", "-r", "lobby", "--tls",
            "--cafile", cafile] + list(extra)


def test_device_tls_with_ca_verification(tls_broker, pki, device):
    d = device(tls_args(tls_broker.port, pki["ca"], ["--qos", "1"]))
    d.wait_err("joined room lobby")
    d.send("over tls")
    d.wait_out("msg lobby dev1 over tls")
    r = mosquitto_pub(tls_broker.port, "rooms/lobby/msg/bob", "hello tls", qos=1,
                      extra=["-h", "localhost", "--cafile", str(pki["ca"])])
    assert r.returncode == 0, r.stderr
    d.wait_out("msg lobby bob hello tls")
    d.close_stdin()
    assert d.wait() == 0


def test_device_tls_refuses_wrong_ca(tls_broker, pki, device):
    d = device(tls_args(tls_broker.port, pki["other"]))
    assert d.wait() == 5
    assert [l for l in d.stderr() if "not trusted" in l], d.stderr()


def test_device_tls_refuses_wrong_name(tls_broker, pki, device):
    d = device(tls_args(tls_broker.port, pki["ca"], ["--tls-name", "broker.example"]))
    assert d.wait() == 5
    assert [l for l in d.stderr() if "not trusted" in l], d.stderr()


def test_device_tls_unreadable_cafile(tls_broker, tmp_path, device):
    d = device(tls_args(tls_broker.port, tmp_path / "missing.pem"))
    assert d.wait() == 5
    assert [l for l in d.stderr() if "CA file" in l], d.stderr()


def test_device_tls_reconnects_after_broker_restart(tls_broker, pki, device):
    d = device(tls_args(tls_broker.port, pki["ca"], ["--qos", "1", "--id", "tls-dev"]))
    d.wait_err("joined room lobby")
    tls_broker.restart()
    d.wait_err("link lost")
    wait_until(lambda: len([l for l in d.stderr() if "connected to" in l]) == 2, 15,
               what="a second TLS connection")
    d.send("after the restart")
    d.wait_out("msg lobby dev1 after the restart")
    d.close_stdin()
    assert d.wait() == 0
