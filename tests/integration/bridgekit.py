"""Real parts for the bridge's integration tests: redis-server, build/parley-bridge, a plain
WebSocket client (sockets, no library: it can also stop reading on purpose) and HTTP helpers.

Every process gets free loopback ports and its own directory and is stopped at teardown.
"""
import base64
import http.client
import json
import os
import queue
import select
import signal
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import (BUILD, JWT_SECRET, free_port, password, start_parley, wait_until)

BRIDGE = BUILD / "parley-bridge"
WWW = Path(__file__).resolve().parents[2] / "bridge" / "www"


class Redis:
    """redis-server on a free port with an append-only file in its own directory."""

    def __init__(self, workdir):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
             str(self.dir), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
             "--daemonize", "no", "--logfile", str(self.dir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._ping, 10, what="redis-server answering PING")
        return self

    def _ping(self):
        try:
            return self.client().ping()
        except Exception:
            return False

    def client(self):
        import redis
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)


class Bridge:
    """build/parley-bridge with a settings file; stderr is collected line by line."""

    def __init__(self, workdir, broker, redis_port, node_id="node1", **settings):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        secret = self.dir / "jwt.secret"
        secret.write_text(JWT_SECRET)
        pw = self.dir / "bridge.password"
        pw.write_text(password("bridge") + "\n")
        conf = {
            "node_id": node_id,
            "mqtt_host": "127.0.0.1",
            "mqtt_port": broker.port,
            "mqtt_user": "bridge",
            "mqtt_password_file": pw,
            "redis_port": redis_port,
            "http_port": self.port,
            "www_dir": WWW,
            "jwt_secret_file": secret,
            "log_level": "debug",
        }
        conf.update(settings)
        self.conf = conf
        self.conf_path = self.dir / "bridge.conf"
        self.conf_path.write_text("".join(f"{k} {v}\n" for k, v in conf.items()))
        self.proc = None
        self.lines = []
        self.returncode = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait_mqtt=True, wait_redis=True):
        self.lines = []
        self.proc = subprocess.Popen([str(BRIDGE), "-c", str(self.conf_path)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        threading.Thread(target=self._read, daemon=True).start()
        wait_until(lambda: self.proc.poll() is not None or self._listening(), 10,
                   what="the bridge listening")
        assert self.proc.poll() is None, f"parley-bridge exited:\n{self.output()}"
        if wait_mqtt:
            self.wait_log("mqtt 127.0.0.1")
            wait_until(lambda: "connected as bridge" in self.output(), 10,
                       what="bridge MQTT session")
        if wait_redis:
            wait_until(lambda: "redis 127.0.0.1" in self.output(), 10, what="bridge on redis")
        return self

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line.decode(errors="replace"))

    def _listening(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def output(self):
        return "".join(self.lines)

    def wait_log(self, text, timeout=10):
        wait_until(lambda: text in self.output(), timeout, what=f"bridge log {text!r}")

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.returncode = self.proc.returncode
        self.proc = None
        return self.returncode

    # ---- HTTP ----
    def http(self, method, path, body=None, headers=None, token=None):
        """(status, headers dict lower-cased, parsed JSON or text)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            if "Content-Type" not in h:
                h["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        raw = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        conn.close()
        ctype = hdrs.get("content-type", "")
        if "json" in ctype:
            return r.status, hdrs, json.loads(raw)
        return r.status, hdrs, raw.decode(errors="replace")

    def login(self, user, pw=None):
        st, _, body = self.http("POST", "/api/login",
                                {"username": user, "password": pw or password(user)})
        assert st == 200, body
        return body["token"]

    def ws(self, token=None, **kw):
        c = WsClient(self.port, **kw)
        if token:
            c.send({"type": "auth", "token": token})
            ready = c.expect("ready")
            assert ready["user"]
        return c


class WsClient:
    """A minimal RFC 6455 client over a plain socket (text frames, masking, close)."""

    def __init__(self, port, path="/ws", protocol="parley.v1", origin=None, rcvbuf=None,
                 cookie=None):
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}",
                 "Sec-WebSocket-Version: 13"]
        if protocol:
            lines.append(f"Sec-WebSocket-Protocol: {protocol}")
        if origin:
            lines.append(f"Origin: {origin}")
        if cookie:
            lines.append(f"Cookie: {cookie}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.status_line = head.split(b"\r\n")[0].decode() if head else ""
        self.accepted = " 101 " in self.status_line
        self.close_code = None
        self.close_reason = ""
        self.frames = []

    def send_raw(self, payload, opcode=1, fin=True):
        if isinstance(payload, str):
            payload = payload.encode()
        mask = os.urandom(4)
        n = len(payload)
        hdr = bytes([(0x80 if fin else 0) | opcode])
        if n < 126:
            hdr += bytes([0x80 | n])
        elif n < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            hdr += bytes([0x80 | 127]) + struct.pack(">Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(hdr + mask + masked)

    def send(self, obj):
        self.send_raw(json.dumps(obj))

    def _need(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no frame in time")
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk

    def recv_frame(self, timeout=5.0):
        """(opcode, payload bytes). Answers pings; records a close."""
        deadline = time.monotonic() + timeout
        while True:
            self._need(2, deadline)
            b0, b1 = self.buf[0], self.buf[1]
            n = b1 & 0x7f
            off = 2
            if n == 126:
                self._need(4, deadline)
                n = struct.unpack(">H", self.buf[2:4])[0]
                off = 4
            elif n == 127:
                self._need(10, deadline)
                n = struct.unpack(">Q", self.buf[2:10])[0]
                off = 10
            self._need(off + n, deadline)
            payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
            op = b0 & 0x0f
            if op == 9:
                self.send_raw(payload, opcode=10)
                continue
            if op == 8:
                self.close_code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
                self.close_reason = payload[2:].decode(errors="replace")
            return op, payload

    def recv(self, timeout=5.0):
        """The next JSON frame (dict); raises ConnectionError on close."""
        op, payload = self.recv_frame(timeout)
        if op == 8:
            raise ConnectionError(f"closed {self.close_code} {self.close_reason}")
        f = json.loads(payload)
        self.frames.append(f)
        return f

    def expect(self, type_, timeout=5.0, **match):
        """Reads until a frame of type_ (matching every key in match); returns it."""
        deadline = time.monotonic() + timeout
        while True:
            f = self.recv(max(0.01, deadline - time.monotonic()))
            if f.get("type") == type_ and all(f.get(k) == v for k, v in match.items()):
                return f

    def collect(self, quiet=0.5):
        """Every frame until quiet seconds pass with none."""
        got = []
        while True:
            try:
                got.append(self.recv(quiet))
            except TimeoutError:
                return got

    def wait_closed(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                op, _ = self.recv_frame(max(0.01, deadline - time.monotonic()))
                if op == 8:
                    return self.close_code
            except ConnectionError:
                return self.close_code
            except TimeoutError:
                break
        raise AssertionError("connection not closed in time")

    def join(self, room, since=None):
        f = {"type": "join", "room": room}
        if since is not None:
            f["since"] = since
        self.send(f)
        return self.expect("joined", room=room)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Stack:
    """Broker with the plugin, Redis and bridges for one test; all stopped at teardown."""

    def __init__(self, brokers, tmp_path):
        self.brokers = brokers
        self.tmp = tmp_path
        self.redis_servers = []
        self.bridges = []
        self.ws_clients = []

    def redis(self):
        r = Redis(self.tmp / f"redis{len(self.redis_servers)}").start()
        self.redis_servers.append(r)
        return r

    def broker(self, **kw):
        return start_parley(self.brokers, **kw)

    def bridge(self, broker, redis, start=True, **settings):
        b = Bridge(self.tmp / f"bridge{len(self.bridges)}", broker, redis.port, **settings)
        self.bridges.append(b)
        if start:
            b.start()
        return b

    def full(self, **settings):
        broker = self.broker()
        redis = self.redis()
        return broker, redis, self.bridge(broker, redis, **settings)

    def close(self):
        for b in self.bridges:
            b.stop()
        for r in self.redis_servers:
            r.stop()


@pytest.fixture
def stack(brokers, tmp_path):
    assert BRIDGE.exists(), f"{BRIDGE} is missing: run make"
    s = Stack(brokers, tmp_path)
    yield s
    s.close()
