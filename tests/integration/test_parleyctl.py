"""build/parleyctl against a real Parley broker: every subcommand's round trip and its output,
--json, exit codes (refused 1, bad usage and bad names 2, login refused / broker down / no
answer 3), passwords from stdin, environment variables, and offline token minting (HS256 with
the broker's secret, RS256 and ES256 with a key pair) that the broker accepts or, expired,
refuses."""
import json
import os
import subprocess
import time

import jwt
import pytest

from conftest import BUILD, JWT_SECRET, MqttClient, control_ok, free_port, password, start_parley

PARLEYCTL = BUILD / "parleyctl"


def ctl(port, *args, user="admin", pw=None, inp="", env=None, timeout=20):
    """Runs parleyctl -p port [-u user -P pw] args...; PARLEY_* variables come only from env.
    stdin is inp (empty by default, so a password prompt never blocks)."""
    assert PARLEYCTL.exists(), f"{PARLEYCTL} is missing: run make"
    argv = [str(PARLEYCTL)]
    if port is not None:
        argv += ["-p", str(port)]
    if user is not None:
        argv += ["-u", user, "-P", password(user) if pw is None else pw]
    argv += [str(a) for a in args]
    e = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    e.update(env or {})
    return subprocess.run(argv, input=inp, capture_output=True, text=True, timeout=timeout,
                          env=e)


def ok(r):
    assert r.returncode == 0, f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    assert r.stderr == ""
    return r.stdout


def lines(r):
    return ok(r).splitlines()


def dead_port():
    """A loopback port nobody listens on: a run that gets there would exit 3, not 2."""
    return free_port()


def logins_ok(port, user, pw):
    c = MqttClient(port, user, pw)
    try:
        return c.connect()
    finally:
        c.close()


def no_dropped_ctl_sessions(broker):
    """End-state check: parleyctl's clients (auto-generated ids) all sent DISCONNECT."""
    dropped = [l for l in broker.log().splitlines()
               if "closed its connection" in l and "auto-" in l]
    assert dropped == [], "\n".join(dropped)


# ---- users ----

def test_parleyctl_user_add_list_passwd_del(parley):
    p = parley.port
    assert ok(ctl(p, "user", "add", "dave", "--password", "davepw")) == ""
    # no --password: one line from stdin (no prompt when stdin is not a terminal)
    assert ok(ctl(p, "user", "add", "ops", "--admin", inp="opspw\n")) == ""
    users = lines(ctl(p, "user", "list"))
    assert "dave" in users and "ops (admin)" in users and "alice" in users
    assert users == sorted(users)
    assert logins_ok(p, "dave", "davepw") == 0
    assert logins_ok(p, "ops", "opspw") == 0

    # an admin sets dave's password; then dave sets his own, read from stdin
    assert ok(ctl(p, "user", "passwd", "dave", "newpw")) == ""
    assert logins_ok(p, "dave", "newpw") == 0
    assert ok(ctl(p, "user", "passwd", "dave", user="dave", pw="newpw", inp="third\n")) == ""
    assert logins_ok(p, "dave", "third") == 0

    assert ok(ctl(p, "user", "del", "dave")) == ""
    assert "dave" not in lines(ctl(p, "user", "list"))
    r = ctl(p, "user", "del", "dave")
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr == 'parleyctl: user del: no such user "dave"\n'
    no_dropped_ctl_sessions(parley)


def test_parleyctl_never_prints_passwords(parley):
    p = parley.port
    runs = [ctl(p, "user", "add", "erin", "--password", "erin-secret-1"),
            ctl(p, "user", "add", "erin", "--password", "erin-secret-2"),  # refused: exists
            ctl(p, "--json", "user", "list"),
            ctl(p, "user", "passwd", "erin", inp="erin-secret-3\n"),
            ctl(p, "room", "list", user="erin", pw="erin-secret-3")]
    assert [r.returncode for r in runs] == [0, 1, 0, 0, 0]
    assert runs[1].stderr == 'parleyctl: user add: user "erin" already exists\n'
    for r in runs:
        assert "erin-secret" not in r.stdout + r.stderr


def test_parleyctl_empty_password_on_stdin_is_bad_usage(parley):
    for inp in ("", "\n"):
        r = ctl(parley.port, "user", "add", "frank", inp=inp)
        assert r.returncode == 2, r.stderr
        assert r.stderr.startswith("parleyctl: user add: ")
    r = ctl(parley.port, "user", "add", "frank", "--password", "")
    assert r.returncode == 2
    users = [u["username"] for u in control_ok(parley.port, "admin", password("admin"),
                                               [{"command": "listUsers"}])[0]["data"]["users"]]
    assert "frank" not in users


# ---- rooms ----

def test_parleyctl_room_create_add_role_ban_unban_remove_del(parley):
    p = parley.port
    a = dict(user="alice")
    assert ok(ctl(p, "room", "create", "kitchen", "--private", **a)) == ""
    assert ok(ctl(p, "room", "add", "kitchen", "bob", "reader", **a)) == ""
    assert ok(ctl(p, "room", "add", "kitchen", "carol", **a)) == ""  # default role: member
    assert ok(ctl(p, "room", "show", "kitchen", **a)) == (
        "room: kitchen\n"
        "visibility: private\n"
        "members:\n"
        "  alice  owner\n"
        "  bob    reader\n"
        "  carol  member\n"
        "bans: none\n")
    assert ok(ctl(p, "room", "role", "kitchen", "bob", "member", **a)) == ""
    assert ok(ctl(p, "room", "ban", "kitchen", "carol", **a)) == ""
    assert ok(ctl(p, "room", "show", "kitchen", **a)) == (
        "room: kitchen\n"
        "visibility: private\n"
        "members:\n"
        "  alice  owner\n"
        "  bob    member\n"
        "  carol  member\n"
        "bans:\n"
        "  carol\n")
    # the same state through the API itself
    room = control_ok(p, "admin", password("admin"),
                      [{"command": "getRoom", "room": "kitchen"}])[0]["data"]
    assert room["bans"] == ["carol"]
    assert {m["username"]: m["role"] for m in room["members"]} == {
        "alice": "owner", "bob": "member", "carol": "member"}

    assert ok(ctl(p, "room", "unban", "kitchen", "carol", **a)) == ""
    assert ok(ctl(p, "room", "remove", "kitchen", "bob", **a)) == ""
    assert ok(ctl(p, "room", "show", "kitchen", **a)) == (
        "room: kitchen\n"
        "visibility: private\n"
        "members:\n"
        "  alice  owner\n"
        "  carol  member\n"
        "bans: none\n")
    r = ctl(p, "room", "unban", "kitchen", "carol", **a)
    assert (r.returncode, r.stderr) == (
        1, 'parleyctl: room unban: "carol" is not banned from room "kitchen"\n')
    assert ok(ctl(p, "room", "del", "kitchen", **a)) == ""
    r = ctl(p, "room", "show", "kitchen", **a)
    assert (r.returncode, r.stdout, r.stderr) == (
        1, "", 'parleyctl: room show: no such room "kitchen"\n')
    no_dropped_ctl_sessions(parley)


def test_parleyctl_room_create_public_by_default(parley):
    assert ok(ctl(parley.port, "room", "create", "porch", user="bob")) == ""
    out = lines(ctl(parley.port, "room", "show", "porch", user="carol"))
    assert out[:2] == ["room: porch", "visibility: public"]


def test_parleyctl_room_list_join_leave(parley):
    p = parley.port
    assert ok(ctl(p, "room", "create", "attic", "--private", user="alice")) == ""
    # bob sees the public lobby without a role, not alice's private room
    assert lines(ctl(p, "room", "list", user="bob")) == ["lobby  public   -"]
    assert ok(ctl(p, "room", "join", "lobby", user="bob")) == ""
    assert lines(ctl(p, "room", "list", user="bob")) == ["lobby  public   member"]
    assert lines(ctl(p, "room", "list", user="alice")) == ["attic  private  owner",
                                                          "lobby  public   -"]
    r = ctl(p, "room", "join", "attic", user="bob")
    assert r.returncode == 1
    assert r.stderr == ('parleyctl: room join: permission denied: room "attic" is private; '
                        'an owner must add you\n')
    assert ok(ctl(p, "room", "leave", "lobby", user="bob")) == ""
    assert lines(ctl(p, "room", "list", user="bob")) == ["lobby  public   -"]
    r = ctl(p, "room", "leave", "lobby", user="bob")
    assert (r.returncode, r.stderr) == (
        1, 'parleyctl: room leave: you are not a member of room "lobby"\n')
    no_dropped_ctl_sessions(parley)


def test_parleyctl_64_char_names_pass(parley):
    name = "r" * 64
    assert ok(ctl(parley.port, "room", "create", name, user="alice")) == ""
    assert lines(ctl(parley.port, "room", "show", name, user="alice"))[0] == f"room: {name}"


def test_parleyctl_name_starting_with_dash_after_double_dash(parley):
    assert ok(ctl(parley.port, "room", "create", "--", "-dash", user="alice")) == ""
    assert lines(ctl(parley.port, "room", "show", "--", "-dash", user="alice"))[0] == \
        "room: -dash"


# ---- access ----

def test_parleyctl_access_allowed_denied(parley):
    p = parley.port
    assert ok(ctl(p, "room", "create", "den", "--private", user="alice")) == ""
    assert ok(ctl(p, "room", "add", "den", "bob", "reader", user="alice")) == ""
    assert ok(ctl(p, "access", "den", "bob", "read", user="bob")) == "allowed\n"
    r = ctl(p, "access", "den", "bob", "write", user="bob")
    assert (r.returncode, r.stdout, r.stderr) == (1, "denied: readers may not post\n", "")
    r = ctl(p, "access", "den", "carol", "read")  # admin asks about anyone
    assert (r.returncode, r.stdout) == (1, "denied: private room and not a member\n")
    r = ctl(p, "access", "nope", "bob", "read", user="bob")
    assert (r.returncode, r.stdout) == (1, "denied: no such room\n")
    assert ok(ctl(p, "access", "lobby", "carol", "write", user="carol")) == "allowed\n"
    # carol may not ask about bob: a refusal (stderr), not a denial (stdout)
    r = ctl(p, "access", "den", "bob", "read", user="carol")
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.startswith("parleyctl: access: permission denied")
    no_dropped_ctl_sessions(parley)


# ---- --json ----

def test_parleyctl_json_output_parses(parley):
    p = parley.port
    assert ok(ctl(p, "room", "create", "loft", "--private", user="alice")) == ""
    assert ok(ctl(p, "room", "ban", "loft", "carol", user="alice")) == ""
    users = json.loads(ok(ctl(p, "--json", "user", "list")))
    assert {"username": "alice", "admin": False} in users["users"]
    room = json.loads(ok(ctl(p, "--json", "room", "show", "loft", user="alice")))
    assert room == {"room": "loft", "visibility": "private",
                    "members": [{"username": "alice", "role": "owner"}], "bans": ["carol"]}
    rooms = json.loads(ok(ctl(p, "--json", "room", "list", user="alice")))
    assert rooms == {"rooms": [{"room": "lobby", "visibility": "public"},
                               {"room": "loft", "visibility": "private", "role": "owner"}]}
    assert json.loads(ok(ctl(p, "--json", "access", "loft", "alice", "write", user="alice"))) == {
        "allowed": True, "reason": "room member may post"}
    r = ctl(p, "--json", "access", "loft", "carol", "read", user="carol")
    assert r.returncode == 1
    assert json.loads(r.stdout) == {"allowed": False, "reason": "banned from the room"}
    # a command that answers with nothing prints nothing, even with --json
    assert ok(ctl(p, "--json", "room", "join", "lobby", user="bob")) == ""
    no_dropped_ctl_sessions(parley)


# ---- exit codes ----

def test_parleyctl_refused_command_exits_1(parley):
    r = ctl(parley.port, "user", "add", "mallory", "--password", "x", user="alice")
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == "parleyctl: user add: permission denied: createUser is for admins\n"
    r = ctl(parley.port, "user", "list", user="alice")
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr.startswith("parleyctl: user list: permission denied")
    users = control_ok(parley.port, "admin", password("admin"), [{"command": "listUsers"}])
    assert "mallory" not in [u["username"] for u in users[0]["data"]["users"]]
    no_dropped_ctl_sessions(parley)


@pytest.mark.parametrize("args", [
    [],
    ["frob"],
    ["room"],
    ["room", "frob"],
    ["token"],
    ["token", "frob"],
    ["room", "create"],
    ["room", "create", "x", "extra"],
    ["room", "create", "x", "--bogus"],
    ["room", "create", "x", "-u", "admin"],  # options go before the command
    ["room", "add", "lobby"],
    ["room", "add", "lobby", "bob", "boss"],
    ["room", "role", "lobby", "bob"],
    ["access", "lobby", "bob"],
    ["access", "lobby", "bob", "rw"],
    ["user", "add", "x", "--password"],
    ["user", "add", "x", "--admin", "--private", "--password", "y"],
    ["user", "passwd", "x", "a", "--password", "b"],
    ["user", "list", "extra"],
    ["-p", "0", "room", "list"],
    ["-p", "http", "room", "list"],
    ["--timeout", "0", "room", "list"],
    ["--timeout", "soon", "room", "list"],
    ["--bogus", "room", "list"],
    ["-p"],
])
def test_parleyctl_bad_usage_exits_2(args):
    r = ctl(dead_port(), *args)
    assert r.returncode == 2, (args, r.stdout, r.stderr)
    assert r.stdout == ""
    assert r.stderr.startswith("parleyctl: "), r.stderr


def test_parleyctl_missing_login_exits_2():
    port = dead_port()
    r = ctl(port, "room", "list", user=None)
    assert r.returncode == 2
    assert "PARLEY_USER" in r.stderr
    r = ctl(port, "-u", "alice", "room", "list", user=None)
    assert r.returncode == 2
    assert "PARLEY_PASSWORD" in r.stderr
    r = ctl(port, "--token-file", "/nonexistent/token", "room", "list", user="alice")
    assert r.returncode == 2  # -P and --token-file together
    r = ctl(port, "-u", "alice", "--token-file", "/nonexistent/token", "room", "list", user=None)
    assert r.returncode == 2
    assert "/nonexistent/token" in r.stderr


@pytest.mark.parametrize("args,what,why", [
    (["room", "create", "a/b"], "room", "name may only contain A-Z a-z 0-9 _ . -"),
    (["room", "create", "x" * 65], "room", "name is longer than 64 characters"),
    (["room", "create", ""], "room", "name is empty"),
    (["room", "show", "lob by"], "room", "name may only contain"),
    (["room", "add", "lobby", "b+b"], "user", "name may only contain"),
    (["room", "ban", "lobby", "#"], "user", "name may only contain"),
    (["user", "add", "$SYS", "--password", "x"], "user", "name may only contain"),
    (["user", "del", "é"], "user", "name may only contain"),
    (["access", "rooms/lobby", "bob", "read"], "room", "name may only contain"),
])
def test_parleyctl_bad_names_exit_2_before_connecting(args, what, why):
    # No broker on the port: had parleyctl tried to connect, it would exit 3.
    r = ctl(dead_port(), *args)
    assert r.returncode == 2, r.stderr
    first = r.stderr.splitlines()[0]
    assert f"bad {what} name" in first and why in first, first


def test_parleyctl_64_char_name_is_valid_locally():
    r = ctl(dead_port(), "room", "create", "x" * 64)
    assert r.returncode == 3  # it went on to connect
    assert "cannot connect" in r.stderr


def test_parleyctl_wrong_password_exits_3(parley):
    r = ctl(parley.port, "room", "list", user="carol", pw="not-carols-password")
    assert r.returncode == 3
    assert r.stdout == ""
    assert 'refused the login as "carol"' in r.stderr
    assert "not-carols-password" not in r.stderr


def test_parleyctl_broker_down_exits_3():
    port = dead_port()
    t0 = time.monotonic()
    r = ctl(port, "room", "list")
    assert r.returncode == 3
    assert r.stderr == f"parleyctl: cannot connect to 127.0.0.1:{port}: Connection refused\n"
    assert time.monotonic() - t0 < 5


def test_parleyctl_no_plugin_times_out_exit_3(plain_broker):
    t0 = time.monotonic()
    r = ctl(plain_broker.port, "--timeout", "0.5", "room", "list")
    took = time.monotonic() - t0
    assert r.returncode == 3
    assert "no answer" in r.stderr and "within 0.5 s" in r.stderr
    assert 0.4 < took < 5
    no_dropped_ctl_sessions(plain_broker)


# ---- environment, help ----

def test_parleyctl_env_user_and_password(parley):
    env = {"PARLEY_USER": "bob", "PARLEY_PASSWORD": password("bob")}
    assert ok(ctl(parley.port, "room", "join", "lobby", user=None, env=env)) == ""
    assert lines(ctl(parley.port, "room", "list", user=None, env=env)) == \
        ["lobby  public   member"]
    # -u/-P win over the environment
    r = ctl(parley.port, "user", "list", env=env)
    assert ok(r).splitlines()[0] == "admin"


def test_parleyctl_help():
    r = ctl(None, "--help", user=None)
    assert r.returncode == 0
    out = r.stdout
    for text in ("user add NAME", "room show ROOM", "access ROOM USER read|write",
                 "token mint --secret-file F", "Exit status", "PARLEY_USER"):
        assert text in out, text
    r = ctl(None, "room", "--help", user=None)
    assert r.returncode == 0 and "room ban ROOM USER" in r.stdout
    assert "user add" not in r.stdout
    r = ctl(None, "room", "add", "--help", user=None)
    assert r.returncode == 0 and "addMember" in r.stdout
    r = ctl(None, "token", "--help", user=None)
    assert r.returncode == 0 and "exp = now + S" in r.stdout
    r = ctl(None, "token", "mint", "--help", user=None)
    assert r.returncode == 0


# ---- token mint ----

def mint(*args):
    return ctl(None, "token", "mint", *args, user=None)


def test_parleyctl_token_mint_hs256_accepted(parley, tmp_path):
    secret = tmp_path / "my.secret"
    secret.write_text(JWT_SECRET + "\n")  # one trailing newline is not part of the secret
    before = int(time.time())
    r = mint("--secret-file", secret, "--user", "alice")
    token = ok(r).strip()
    assert r.stdout == token + "\n"
    claims = jwt.decode(token, JWT_SECRET, algorithms=["HS256"])
    assert claims["sub"] == "alice"
    assert before <= claims["iat"] <= int(time.time())
    assert claims["exp"] - claims["iat"] == 3600
    assert jwt.get_unverified_header(token)["alg"] == "HS256"

    assert logins_ok(parley.port, "alice", token) == 0
    tf = tmp_path / "alice.token"
    tf.write_text(token + "\n")
    assert lines(ctl(parley.port, "--token-file", tf, "-u", "alice", "room", "list",
                     user=None)) == ["lobby  public   -"]

    r = mint("--secret-file", secret, "--user", "bob", "--ttl", "60")
    claims = jwt.decode(ok(r).strip(), JWT_SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 60


def test_parleyctl_token_mint_expired_refused(parley, tmp_path):
    secret = tmp_path / "my.secret"
    secret.write_text(JWT_SECRET)
    # The broker allows 30 s of leeway: two minutes ago is expired.
    token = ok(mint("--secret-file", secret, "--user", "carol", "--ttl", "-120")).strip()
    claims = jwt.decode(token, JWT_SECRET, algorithms=["HS256"],
                        options={"verify_exp": False})
    assert claims["exp"] == claims["iat"] - 120
    assert logins_ok(parley.port, "carol", token) != 0
    tf = tmp_path / "carol.token"
    tf.write_text(token)
    r = ctl(parley.port, "--token-file", tf, "-u", "carol", "room", "list", user=None)
    assert r.returncode == 3
    assert 'refused the login as "carol"' in r.stderr
    assert token not in r.stderr


def test_parleyctl_token_for_another_user_refused(parley, tmp_path):
    secret = tmp_path / "my.secret"
    secret.write_text(JWT_SECRET)
    token = ok(mint("--secret-file", secret, "--user", "bob")).strip()
    assert logins_ok(parley.port, "carol", token) != 0  # sub is bob, not carol


@pytest.mark.parametrize("alg,genkey", [
    ("RS256", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]),
    ("ES256", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]),
])
def test_parleyctl_token_mint_pubkey_accepted(brokers, tmp_path, alg, genkey):
    key = tmp_path / "key.pem"
    pub = tmp_path / "pub.pem"
    subprocess.run(["openssl"] + genkey + ["-out", str(key)], check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout", "-out", str(pub)], check=True,
                   capture_output=True)
    b = start_parley(brokers, plugin_opts={"jwt_secret_file": None,
                                           "jwt_public_key_file": str(pub)})
    token = ok(mint("--key-file", key, "--alg", alg, "--user", "bob")).strip()
    assert jwt.decode(token, pub.read_text(), algorithms=[alg])["sub"] == "bob"
    assert logins_ok(b.port, "bob", token) == 0


@pytest.mark.parametrize("extra", [
    ["--ttl", "0"],
    ["--ttl", "soon"],
    ["--ttl", "999999999999"],
    ["--alg", "RS256"],       # --secret-file is HS256
    ["--alg", "none"],
    ["--key-file", "x.pem"],  # both files
    ["--frob"],
])
def test_parleyctl_token_mint_bad_usage_exits_2(tmp_path, extra):
    secret = tmp_path / "my.secret"
    secret.write_text(JWT_SECRET)
    r = mint("--secret-file", secret, "--user", "alice", *extra)
    assert (r.returncode, r.stdout) == (2, ""), r.stderr
    assert r.stderr.startswith("parleyctl: token mint")


def test_parleyctl_token_mint_bad_keys_exit_2(tmp_path):
    short = tmp_path / "short.secret"
    short.write_text("too-short\n")
    r = mint("--secret-file", short, "--user", "alice")
    assert r.returncode == 2
    assert "at least 32" in r.stderr
    r = mint("--secret-file", tmp_path / "missing", "--user", "alice")
    assert r.returncode == 2
    assert "No such file or directory" in r.stderr
    r = mint("--key-file", short, "--alg", "ES256", "--user", "alice")
    assert r.returncode == 2  # not a PEM key
    r = mint("--secret-file", short)
    assert r.returncode == 2 and "--user" in r.stderr
    secret = tmp_path / "my.secret"
    secret.write_text(JWT_SECRET)
    r = mint("--secret-file", secret, "--user", "a/b")
    assert r.returncode == 2 and "bad user name" in r.stderr


# ---- TLS ----

def openssl(*args, cwd):
    subprocess.run(["openssl", *[str(a) for a in args]], cwd=cwd, check=True,
                   capture_output=True)


def self_signed_ca(d, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2",
            "-subj", f"/CN={name}", cwd=d)
    return d / f"{name}.pem"


def test_parleyctl_tls_cafile(brokers, tmp_path):
    d = tmp_path / "pki"
    d.mkdir()
    ca = self_signed_ca(d, "ctl-ca")
    wrong_ca = self_signed_ca(d, "ctl-other-ca")
    (d / "ext.cnf").write_text("subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n"
                               "extendedKeyUsage=serverAuth\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=localhost", cwd=d)
    openssl("x509", "-req", "-in", "srv.csr", "-CA", "ctl-ca.pem", "-CAkey", "ctl-ca.key",
            "-CAcreateserial", "-out", "srv.pem", "-days", "2", "-extfile", "ext.cnf", cwd=d)
    b = start_parley(brokers, room=None,
                     listener_conf=f"cafile {ca}\ncertfile {d / 'srv.pem'}\nkeyfile {d / 'srv.key'}")
    tls = ["-h", "localhost", "--cafile", ca]
    assert ok(ctl(b.port, *tls, "room", "create", "vault", "--private", user="alice")) == ""
    assert lines(ctl(b.port, *tls, "room", "list", user="alice")) == ["vault  private  owner"]
    # a broker certificate the CA did not sign: no session
    r = ctl(b.port, "-h", "localhost", "--cafile", wrong_ca, "room", "list", user="alice")
    assert r.returncode == 3, r.stderr
    assert r.stderr.startswith("parleyctl: ")
    # plain MQTT against the TLS listener: no session either
    r = ctl(b.port, "--timeout", "2", "room", "list", user="alice")
    assert r.returncode == 3, r.stderr
    # an unreadable CA file is bad usage
    r = ctl(b.port, "-h", "localhost", "--cafile", d / "missing.pem", "room", "list",
            user="alice")
    assert r.returncode == 2, r.stderr
    assert "missing.pem" in r.stderr
    no_dropped_ctl_sessions(b)
