"""parley_plugin.so: plugin_opt_* values. A bad one stops mosquitto at start with a message that
names the option (on stderr, and in the log); good ones take effect."""
import subprocess

import pytest

from conftest import login_code, password, start_parley


def started_or_failed(brokers, opts, users=None):
    """A broker with the plugin and opts (None drops an option), started with expect_fail:
    returns (exit code, everything it said)."""
    b = brokers(start=False, plugin_opts=opts, users=users)
    rc = b.start(expect_fail=True)
    return rc, b.output() + b.log()


@pytest.mark.parametrize("opt, value, says", [
    ("max_payload", "0", "plugin_opt_max_payload: must be a whole number from 1 to 268435455 "
                         '(got "0")'),
    ("max_payload", "abc", "plugin_opt_max_payload: must be a whole number"),
    ("max_payload", "-1", "plugin_opt_max_payload: must be a whole number"),
    ("max_payload", "512k", "plugin_opt_max_payload: must be a whole number"),
    ("rate", "abc", 'plugin_opt_rate: must be messages per second, a number from 0 (no limit) '
                    'to 1e9 (got "abc")'),
    ("rate", "-1", "plugin_opt_rate: must be messages per second"),
    ("rate", "inf", "plugin_opt_rate: must be messages per second"),
    ("rate", "nan", "plugin_opt_rate: must be messages per second"),
    ("burst", "0", "plugin_opt_burst: must be a whole number from 1 to 1000000"),
    ("allow_room_create", "maybe", 'plugin_opt_allow_room_create: must be true or false '
                                   '(got "maybe")'),
    ("allow_room_create", "yes", "plugin_opt_allow_room_create: must be true or false"),
    ("auth_fail_limit", "lots", "plugin_opt_auth_fail_limit: must be a whole number"),
    ("auth_fail_window", "0", "plugin_opt_auth_fail_window: must be a whole number from 1 to 86400"),
    ("admins", "ops,bad/name", "plugin_opt_admins: must be a comma-separated list"),
    ("bridge_users", "a b#", "plugin_opt_bridge_users: must be a comma-separated list"),
    ("frobnicate", "1", "plugin_opt_frobnicate: unknown option"),
])
def test_bad_value_stops_start(brokers, opt, value, says):
    rc, out = started_or_failed(brokers, {opt: value})
    assert rc != 0
    assert f"parley: cannot start: {says}" in out, out


def test_missing_state_file(brokers):
    rc, out = started_or_failed(brokers, {"state_file": None})
    assert rc != 0
    assert "parley: cannot start: plugin_opt_state_file: required" in out, out


def test_state_file_in_missing_directory(brokers, tmp_path):
    path = tmp_path / "no" / "such" / "dir" / "state.json"
    rc, out = started_or_failed(brokers, {"state_file": str(path)})
    assert rc != 0
    assert f"parley: cannot start: plugin_opt_state_file: {path}" in out, out


def test_both_jwt_files(brokers, tmp_path):
    secret = tmp_path / "s"
    secret.write_text("x" * 40)
    rc, out = started_or_failed(brokers, {"jwt_secret_file": str(secret),
                                          "jwt_public_key_file": str(secret)})
    assert rc != 0
    assert ("parley: cannot start: plugin_opt_jwt_secret_file and plugin_opt_jwt_public_key_file: "
            "give one or the other, not both") in out, out


def test_unreadable_password_file(brokers, tmp_path):
    missing = tmp_path / "nope.passwd"
    rc, out = started_or_failed(brokers, {"password_file": str(missing)})
    assert rc != 0
    assert f"parley: cannot start: plugin_opt_password_file: {missing}: " in out, out
    # a directory is no password file either
    rc, out = started_or_failed(brokers, {"password_file": str(tmp_path)})
    assert rc != 0
    assert "parley: cannot start: plugin_opt_password_file:" in out, out


def test_bad_line_in_password_file(brokers, tmp_path):
    pw = tmp_path / "bad.passwd"
    pw.write_text("alice:$7$101$c2FsdA==$nothash\n")
    rc, out = started_or_failed(brokers, {"password_file": str(pw)})
    assert rc != 0
    assert f"parley: cannot start: plugin_opt_password_file: {pw}:1: " in out, out


def test_jwt_secret_too_short(brokers, tmp_path):
    secret = tmp_path / "short.secret"
    secret.write_text("x" * 31 + "\n")  # the newline does not count
    rc, out = started_or_failed(brokers, {"jwt_secret_file": str(secret)})
    assert rc != 0
    assert (f"parley: cannot start: plugin_opt_jwt_secret_file: {secret}: HS256 secret shorter "
            "than 32 bytes") in out, out


def test_jwt_secret_file_missing(brokers, tmp_path):
    rc, out = started_or_failed(brokers, {"jwt_secret_file": str(tmp_path / "gone")})
    assert rc != 0
    assert "parley: cannot start: plugin_opt_jwt_secret_file: " in out, out


def test_jwt_public_key_file_bad(brokers, tmp_path):
    notpem = tmp_path / "not.pem"
    notpem.write_text("hello\n")
    rc, out = started_or_failed(brokers, {"jwt_public_key_file": str(notpem)})
    assert rc != 0
    assert "parley: cannot start: plugin_opt_jwt_public_key_file: " in out, out
    assert "not a PEM public key" in out
    small = tmp_path / "rsa1024.pem"
    key = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                          "rsa_keygen_bits:1024"], check=True, capture_output=True).stdout
    small.write_bytes(subprocess.run(["openssl", "pkey", "-pubout"], input=key, check=True,
                                     capture_output=True).stdout)
    rc, out = started_or_failed(brokers, {"jwt_public_key_file": str(small)})
    assert rc != 0
    assert (f"parley: cannot start: plugin_opt_jwt_public_key_file: {small}: RSA key shorter "
            "than 2048 bits") in out, out


def test_good_options_take_effect(brokers):
    b = start_parley(brokers, plugin_opts={"max_payload": "64", "rate": "2.5", "burst": "7",
                                           "admins": "admin, carol", "bridge_users": "bridge",
                                           "auth_fail_limit": "0"})
    b.wait_log("parley: ready: 5 users, 0 rooms, 0 memberships and bans; max_payload 64, rate 2.5/s "
               "burst 7, JWT HS256")
    # carol, named in admins, may use admin commands; the stored flag stays false
    from conftest import control_ok
    users = control_ok(b.port, "carol", password("carol"), [{"command": "listUsers"}])
    assert {"username": "carol", "admin": False} in users[0]["data"]["users"]
    for i in range(7):
        assert login_code(b.port, "alice", f"wrong{i}") != 0
    assert login_code(b.port, "alice", password("alice")) == 0  # auth_fail_limit 0: no throttle


def test_defaults_in_ready_line(parley):
    parley.wait_log("max_payload 512, rate 10/s burst 20, JWT HS256")
