"""Shared fixtures for Parley's integration tests.

Everything here drives real programs: `mosquitto` (with or without build/parley_plugin.so),
`mosquitto_pub`, `mosquitto_sub` and paho-mqtt. Every broker gets a free port on 127.0.0.1 and
its own directory; every process started here is stopped at teardown.
"""
import getpass
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import jwt
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
PLUGIN = BUILD / "parley_plugin.so"
CONTROL_TOPIC = "$CONTROL/parley/v1"
CONTROL_RESPONSE_TOPIC = "$CONTROL/parley/v1/response"

# Demo accounts every Parley broker fixture starts with (password = name + "pw").
DEMO_USERS = ("admin", "alice", "bob", "carol", "bridge")
JWT_SECRET = "parley-test-secret-0123456789abcdef"


def password(user):
    return user + "pw"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout=5.0, interval=0.02, what="condition"):
    """Polls pred() until it returns a truthy value; fails the test after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def make_password_file(path, users):
    """Writes a mosquitto_passwd file (real $7$ hashes) for {user: password}."""
    path = Path(path)
    path.write_text("")
    for user, pw in users.items():
        subprocess.run(["mosquitto_passwd", "-b", str(path), user, pw], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return path


def mint_jwt(user, secret=JWT_SECRET, ttl=3600, alg="HS256", **claims):
    now = int(time.time())
    body = {"sub": user, "iat": now, "exp": now + ttl}
    body.update(claims)
    return jwt.encode(body, secret, algorithm=alg)


class Broker:
    """One mosquitto process on a free loopback port, in its own directory.

    plugin: load build/parley_plugin.so with plugin_opts (dict of plugin_opt_* without the
    prefix). users: {name: password} written to a mosquitto_passwd file; with the plugin it is
    given as plugin_opt_password_file, without the plugin as mosquitto's own password_file (only
    if users is not None; otherwise the plain broker allows anonymous clients).
    """

    def __init__(self, workdir, plugin=True, plugin_opts=None, users=None, extra_conf="",
                 persistence=False, listener_conf=""):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.plugin = plugin
        self.plugin_opts = dict(plugin_opts or {})
        self.users = users
        self.extra_conf = extra_conf
        self.listener_conf = listener_conf
        self.persistence = persistence
        self.conf_path = self.dir / "mosquitto.conf"
        self.log_path = self.dir / "mosquitto.log"
        self.proc = None
        self.password_file = None
        if users is not None:
            self.password_file = make_password_file(self.dir / "passwd", users)
        self.write_conf()

    def write_conf(self):
        lines = [
            f"user {getpass.getuser()}",
            "per_listener_settings false",
            f"listener {self.port} 127.0.0.1",
        ]
        if self.listener_conf:
            lines.append(self.listener_conf)
        lines += [
            "set_tcp_nodelay true",
            f"log_dest file {self.log_path}",
            "log_type all",
            "connection_messages true",
            "log_timestamp_format %H:%M:%S",
        ]
        if self.persistence:
            lines += ["persistence true", f"persistence_location {self.dir}/",
                      "autosave_interval 1"]
        if self.plugin:
            opts = {"state_file": str(self.dir / "state.json")}
            if self.password_file is not None:
                opts["password_file"] = str(self.password_file)
            opts.update(self.plugin_opts)
            lines.append(f"plugin {PLUGIN}")
            lines += [f"plugin_opt_{k} {v}" for k, v in opts.items() if v is not None]
            lines.append("allow_anonymous false")
        elif self.password_file is not None:
            lines += [f"password_file {self.password_file}", "allow_anonymous false"]
        else:
            lines.append("allow_anonymous true")
        if self.extra_conf:
            lines.append(self.extra_conf)
        self.conf_path.write_text("\n".join(lines) + "\n")

    @property
    def state_file(self):
        return Path(self.plugin_opts.get("state_file", self.dir / "state.json"))

    def start(self, expect_fail=False, timeout=10.0):
        assert self.proc is None or self.proc.poll() is not None, "broker already running"
        if self.plugin:
            assert PLUGIN.exists(), f"{PLUGIN} is missing: run make"
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.conf_path)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     cwd=self.dir)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if expect_fail:
                    return self.proc.returncode
                raise AssertionError(f"mosquitto exited with {self.proc.returncode}:\n"
                                     f"{self.output()}\n{self.log()}")
            if not expect_fail and self._accepting():
                return 0
            time.sleep(0.02)
        if expect_fail:
            raise AssertionError("mosquitto did not stop at start as expected:\n" + self.log())
        raise AssertionError("mosquitto did not start listening:\n" + self.log())

    def _accepting(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def output(self):
        """What mosquitto printed on stdout/stderr (only once it has exited)."""
        if self.proc is None or self.proc.poll() is None:
            return ""
        return self.proc.stdout.read().decode(errors="replace")

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, text, timeout=5.0):
        return wait_until(lambda: text in self.log(), timeout, what=f"broker log line {text!r}")

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGCONT)
                self.proc.terminate()
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

    def restart(self):
        self.stop()
        self.start()

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def sighup(self):
        self.proc.send_signal(signal.SIGHUP)

    @property
    def pid(self):
        return self.proc.pid


class MqttClient:
    """A paho-mqtt client (MQTT 5 by default) with blocking helpers that return reason codes."""

    def __init__(self, port, user=None, pw=None, protocol=5, client_id=None, clean=True,
                 keepalive=30, will=None):
        self.port = port
        self.protocol = mqtt.MQTTv5 if protocol == 5 else mqtt.MQTTv311
        self.client_id = client_id or ("t-" + uuid.uuid4().hex[:12])
        if protocol == 5:
            self.c = mqtt.Client(client_id=self.client_id, protocol=self.protocol)
        else:
            self.c = mqtt.Client(client_id=self.client_id, protocol=self.protocol,
                                 clean_session=clean)
        if user is not None:
            self.c.username_pw_set(user, pw)
        if will:
            self.c.will_set(*will)
        self.messages = queue.Queue()
        self.connack = queue.Queue()
        self.acks = {}
        self.subacks = {}
        self.disconnected = threading.Event()
        self.disconnect_rc = None
        self._cv = threading.Condition()
        self.c.on_connect = self._on_connect
        self.c.on_message = lambda c, u, m: self.messages.put(m)
        self.c.on_publish = self._on_publish
        self.c.on_subscribe = self._on_subscribe
        self.c.on_disconnect = self._on_disconnect
        self._keepalive = keepalive
        self._clean = clean

    # paho's callbacks differ between MQTT 3.1.1 and 5; *rest absorbs that.
    def _on_connect(self, c, u, flags, rc, *rest):
        self.connack.put(rc.value if hasattr(rc, "value") else rc)

    def _on_publish(self, c, u, mid, *rest):
        with self._cv:
            self.acks[mid] = True
            self._cv.notify_all()

    def _on_subscribe(self, c, u, mid, granted, *rest):
        with self._cv:
            self.subacks[mid] = [g.value if hasattr(g, "value") else g for g in granted]
            self._cv.notify_all()

    def _on_disconnect(self, c, u, rc, *rest):
        self.disconnect_rc = rc.value if hasattr(rc, "value") else rc
        self.disconnected.set()

    def connect(self, timeout=5.0):
        """Connects; returns the CONNACK code (0 = accepted). Starts paho's network thread."""
        if self.protocol == mqtt.MQTTv5:
            props = None
            if not self._clean:
                props = Properties(PacketTypes.CONNECT)
                props.SessionExpiryInterval = 3600
            self.c.connect("127.0.0.1", self.port, self._keepalive, clean_start=self._clean,
                           properties=props)
        else:
            self.c.connect("127.0.0.1", self.port, self._keepalive)
        self.c.loop_start()
        try:
            return self.connack.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no CONNACK")

    def publish(self, topic, payload, qos=1, retain=False, timeout=5.0):
        """Publishes; for QoS 1 waits for the PUBACK. Returns paho's MQTTMessageInfo."""
        info = self.c.publish(topic, payload, qos=qos, retain=retain)
        if qos > 0:
            with self._cv:
                ok = self._cv.wait_for(lambda: info.mid in self.acks, timeout)
            assert ok, f"no PUBACK for {topic}"
        return info

    def puback_reason(self, topic, payload, timeout=5.0):
        """MQTT 5 only: publishes at QoS 1 and returns the PUBACK reason code as an int."""
        codes = []
        orig = self.c.on_publish
        # paho 1.6 does not surface PUBACK reason codes; read them from the packet handler.
        orig_handler = self.c._handle_pubackcomp

        def handler(cmd):
            import struct
            packet = self.c._in_packet["packet"]
            mid = struct.unpack("!H", packet[:2])[0]
            reason = packet[2] if len(packet) > 2 else 0
            codes.append((mid, reason))
            return orig_handler(cmd)

        self.c._handle_pubackcomp = handler
        try:
            info = self.c.publish(topic, payload, qos=1)
            with self._cv:
                ok = self._cv.wait_for(lambda: info.mid in self.acks, timeout)
            assert ok, f"no PUBACK for {topic}"
            return dict(codes)[info.mid]
        finally:
            self.c._handle_pubackcomp = orig_handler
            self.c.on_publish = orig

    def subscribe(self, topic, qos=1, timeout=5.0):
        """Subscribes; returns the list of SUBACK codes (granted QoS or 0x80/0x87...)."""
        rc, mid = self.c.subscribe(topic, qos)
        assert rc == mqtt.MQTT_ERR_SUCCESS
        with self._cv:
            ok = self._cv.wait_for(lambda: mid in self.subacks, timeout)
        assert ok, f"no SUBACK for {topic}"
        return self.subacks[mid]

    def unsubscribe(self, topic):
        self.c.unsubscribe(topic)

    def get(self, timeout=3.0):
        """The next message received, or AssertionError after timeout."""
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no message received")

    def drain(self, quiet=0.3):
        """All messages received until none arrives for `quiet` seconds."""
        out = []
        while True:
            try:
                out.append(self.messages.get(timeout=quiet))
            except queue.Empty:
                return out

    def is_connected(self):
        return self.c.is_connected()

    def close(self):
        try:
            self.c.disconnect()
        except Exception:
            pass
        self.c.loop_stop()


class Sub:
    """The real mosquitto_sub in the background (-v -d), its output collected line by line."""

    def __init__(self, port, topics, user=None, pw=None, qos=0, extra=()):
        args = ["stdbuf", "-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-v", "-d", "-q", str(qos)]
        if user is not None:
            args += ["-u", user, "-P", pw]
        for t in ([topics] if isinstance(topics, str) else topics):
            args += ["-t", t]
        args += list(extra)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, errors="replace")
        self.raw = []
        self._lock = threading.Lock()
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()

    def _read(self):
        for line in self.proc.stdout:
            with self._lock:
                self.raw.append(line.rstrip("\n"))

    def _snapshot(self):
        with self._lock:
            return list(self.raw)

    def messages(self):
        """'topic payload' lines (debug lines removed)."""
        return [l for l in self._snapshot()
                if not l.startswith("Client ") and not l.startswith("Subscribed")]

    def granted(self):
        """Granted QoS list from the 'Subscribed (mid: N): q, q' line, or None before SUBACK."""
        for l in self._snapshot():
            if l.startswith("Subscribed"):
                return [int(x) for x in l.split(":", 2)[2].split(",")]
        return None

    def wait_subscribed(self, timeout=5.0):
        return wait_until(self.granted, timeout, what="SUBACK in mosquitto_sub")

    def wait_for(self, text, timeout=5.0):
        return wait_until(lambda: [m for m in self.messages() if text in m], timeout,
                          what=f"message containing {text!r}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._t.join(timeout=2)
        return self.proc.returncode


def mosquitto_pub(port, topic, message, user=None, pw=None, qos=0, extra=(), protocol=None,
                  timeout=10):
    """Runs the real mosquitto_pub; returns the CompletedProcess (text output)."""
    args = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-t", topic, "-q", str(qos)]
    if isinstance(message, bytes):
        args += ["-s"]
        inp = message
    else:
        args += ["-m", message]
        inp = None
    if user is not None:
        args += ["-u", user, "-P", pw]
    if protocol:
        args += ["-V", protocol]
    args += list(extra)
    return subprocess.run(args, input=inp, capture_output=True, timeout=timeout)


def control(port, user, pw, commands, timeout=5.0):
    """Sends one control batch as user; returns the list of responses."""
    c = MqttClient(port, user, pw)
    rc = c.connect()
    assert rc == 0, f"control connect as {user} refused: {rc}"
    try:
        c.subscribe(CONTROL_RESPONSE_TOPIC)
        body = commands if isinstance(commands, (bytes, str)) else json.dumps(
            {"commands": commands})
        c.publish(CONTROL_TOPIC, body, qos=1)
        msg = c.get(timeout)
        assert msg.topic == CONTROL_RESPONSE_TOPIC
        return json.loads(msg.payload)["responses"]
    finally:
        c.close()


def control_ok(port, user, pw, commands):
    """Like control(), and asserts that no response carries an error."""
    responses = control(port, user, pw, commands)
    for r in responses:
        assert "error" not in r, f"control error: {r}"
    return responses


class BrokerSet:
    """Starts brokers for one test and stops them all at teardown."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.brokers = []

    def __call__(self, start=True, **kw):
        b = Broker(self.tmp / f"broker{len(self.brokers)}", **kw)
        self.brokers.append(b)
        if start:
            b.start()
        return b

    def stop_all(self):
        for b in self.brokers:
            b.stop()


@pytest.fixture
def brokers(tmp_path):
    """Factory: brokers(plugin=..., plugin_opts=..., users=..., ...) -> started Broker."""
    bs = BrokerSet(tmp_path)
    yield bs
    bs.stop_all()


@pytest.fixture
def plain_broker(brokers):
    """Mosquitto without the plugin, anonymous clients allowed."""
    return brokers(plugin=False)


def start_parley(brokers, plugin_opts=None, room="lobby", **kw):
    """A Parley broker with the demo users (admin is admin, bridge is a bridge user), a JWT
    secret file, and a public room (unless room is None) created by admin."""
    tmp = brokers.tmp
    secret = tmp / "jwt.secret"
    secret.write_text(JWT_SECRET)
    opts = {"admins": "admin", "bridge_users": "bridge", "jwt_secret_file": str(secret)}
    opts.update(plugin_opts or {})
    b = brokers(plugin=True, plugin_opts=opts,
                users={u: password(u) for u in DEMO_USERS}, **kw)
    if room:
        control_ok(b.port, "admin", password("admin"),
                   [{"command": "createRoom", "room": room, "visibility": "public"}])
    return b


@pytest.fixture
def parley(brokers):
    """Mosquitto with build/parley_plugin.so, demo users and the public room 'lobby'."""
    return start_parley(brokers)


@pytest.fixture
def clients():
    """Factory for MqttClient objects that are all closed at teardown."""
    made = []

    def make(*a, **kw):
        c = MqttClient(*a, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


@pytest.fixture
def subs():
    """Factory for Sub (mosquitto_sub) processes that are all stopped at teardown."""
    made = []

    def make(*a, **kw):
        s = Sub(*a, **kw)
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()


def require_tool(name):
    """Fails loudly (never skips) when a program the tests need is missing."""
    path = shutil.which(name)
    assert path, f"{name} is not installed: run tools/deps.sh"
    return path


for _tool in ("mosquitto", "mosquitto_pub", "mosquitto_sub", "mosquitto_passwd"):
    require_tool(_tool)
os.environ.setdefault("PYTHONUNBUFFERED", "1")


# ---- parley-device (firmware_client/cli): added by the device-client helper (issue 4) ----
PARLEY_DEVICE = BUILD / "parley-device"


class Device:
    """build/parley-device in the background: stdin is a pipe, stdout and stderr lines are
    collected with their arrival time (time.monotonic())."""

    def __init__(self, args):
        assert PARLEY_DEVICE.exists(), f"{PARLEY_DEVICE} is missing: run make"
        self.args = [str(PARLEY_DEVICE)] + [str(a) for a in args]
        self.proc = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.out, self.err = [], []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._read, args=(s, l), daemon=True)
                         for s, l in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for t in self._threads:
            t.start()

    def _read(self, stream, into):
        for raw in stream:
            with self._lock:
                into.append((time.monotonic(), raw.decode(errors="replace").rstrip("\n")))

    def stdout(self):
        with self._lock:
            return [l for _, l in self.out]

    def stderr(self):
        with self._lock:
            return [l for _, l in self.err]

    def send(self, line):
        data = line if isinstance(line, bytes) else line.encode()
        self.proc.stdin.write(data + b"\n")
        self.proc.stdin.flush()

    def close_stdin(self):
        if not self.proc.stdin.closed:
            self.proc.stdin.close()

    def _wait_line(self, lines, text, timeout):
        def find():
            with self._lock:
                for t, l in lines:
                    if text in l:
                        return (t, l)
            if self.proc.poll() is not None:
                time.sleep(0.1)  # let the readers finish
                with self._lock:
                    hit = [(t, l) for t, l in lines if text in l]
                assert hit, (f"parley-device exited {self.proc.returncode} before {text!r}:\n"
                             + "\n".join(self.stderr()))
                return hit[0]
            return None
        return wait_until(find, timeout, what=f"parley-device line {text!r}")

    def wait_out(self, text, timeout=5.0):
        """(arrival time, line) of the first stdout line containing text."""
        return self._wait_line(self.out, text, timeout)

    def wait_err(self, text, timeout=5.0):
        """(arrival time, line) of the first stderr line containing text."""
        return self._wait_line(self.err, text, timeout)

    def wait(self, timeout=10.0):
        """Waits for the exit; returns the exit code (fails the test on timeout)."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("parley-device did not exit:\n" + "\n".join(self.stderr()))
        for t in self._threads:
            t.join(timeout=2)
        return rc

    def stop(self):
        self.close_stdin()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for t in self._threads:
            t.join(timeout=2)


@pytest.fixture
def device():
    """Factory: device(args) -> a running Device; all stopped at teardown."""
    made = []

    def make(args):
        d = Device(args)
        made.append(d)
        return d

    yield make
    for d in made:
        d.stop()


# ---- parley_plugin.so tests (test_plugin_*.py): added by the plugin test helper (issue 3) ----

@pytest.fixture
def login(parley, clients):
    """login(user) -> a connected MQTT 5 (or protocol=4: 3.1.1) MqttClient for a demo user."""

    def make(user, protocol=5):
        c = clients(parley.port, user, password(user), protocol=protocol)
        assert c.connect() == 0
        return c

    return make


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(d, name):
    """A throwaway EC CA in d: d/name.pem and d/name.key."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2",
            "-subj", f"/CN={name}", cwd=d)
    return d / f"{name}.pem"


def login_code(port, user, pw, protocol=5, bind=None, timeout=5.0):
    """One login attempt with paho, without its network thread (whose reconnect wait makes
    closing a refused client take a second): returns the CONNACK code (0 accepted; 5 for 3.1.1
    or 0x86/0x87 for MQTT 5 refused) and closes the connection. bind: a source address, e.g.
    "127.0.0.2", so one test can log in from several client addresses."""
    c = MqttClient(port, user, pw, protocol=protocol)
    c.c.connect("127.0.0.1", port, 30, bind_address=bind or "")
    deadline = time.monotonic() + timeout
    try:
        while c.connack.empty():
            assert time.monotonic() < deadline, "no CONNACK"
            if c.c.loop(timeout=0.05) != mqtt.MQTT_ERR_SUCCESS and c.connack.empty():
                raise AssertionError("connection closed before CONNACK")
        return c.connack.get_nowait()
    finally:
        c.c.disconnect()
        c.c.loop(timeout=0.01)
        if c.c.socket() is not None:
            c.c.socket().close()
