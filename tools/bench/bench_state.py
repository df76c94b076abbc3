"""Credentials and state files for the plugin benchmark (tools/bench/bench_plugin.py).

Writes, for the same bench users, what each broker configuration needs: a mosquitto_passwd file
and an acl_file, a dynamic-security JSON, and Parley state files (JSON snapshot format of
docs/plugin-control.md): a small one (only the bench room and users) and a large one with
10,000 rooms, 20,000 users and 100,000 memberships.
"""
import base64
import hashlib
import json
import os

ITERATIONS = 101            # what mosquitto_passwd 2.0 writes
BENCH_PASSWORD = "benchpw"
ADMIN = "admin"
ADMIN_PASSWORD = "adminpw"
BENCH_ROOM = "bench0"


def pbkdf2(password, salt, iterations=ITERATIONS):
    return hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)


def hash7(password):
    """A '$7$' hash as mosquitto_passwd writes it: PBKDF2-SHA512, 12-byte salt, base64."""
    salt = os.urandom(12)
    return "$7${}${}${}".format(ITERATIONS, base64.b64encode(salt).decode(),
                               base64.b64encode(pbkdf2(password, salt)).decode())


def bench_users(n):
    return ["u%d" % i for i in range(n)]


def write_passwd(path, users):
    with open(path, "w") as f:
        for u in users:
            f.write("%s:%s\n" % (u, hash7(BENCH_PASSWORD)))
        f.write("%s:%s\n" % (ADMIN, hash7(ADMIN_PASSWORD)))


def write_acl(path):
    """Same rights as Parley gives the bench: post as yourself, read every room's messages."""
    with open(path, "w") as f:
        f.write("pattern write rooms/+/msg/%u\n")
        f.write("pattern read rooms/+/msg/+\n")


def write_dynsec(path, users):
    def client(name, pw, roles):
        salt = os.urandom(12)
        return {"username": name, "password": base64.b64encode(pbkdf2(pw, salt)).decode(),
                "salt": base64.b64encode(salt).decode(), "iterations": ITERATIONS,
                "roles": [{"rolename": r} for r in roles]}

    admin_acls = [{"acltype": t, "topic": "$CONTROL/dynamic-security/#", "allow": True}
                  for t in ("publishClientSend", "publishClientReceive", "subscribePattern")]
    conf = {
        "clients": [client(u, BENCH_PASSWORD, ["bench"]) for u in users] +
                   [client(ADMIN, ADMIN_PASSWORD, ["admin"])],
        "roles": [
            {"rolename": "admin", "acls": admin_acls},
            # dynsec 2.0 has no %u in ACL topics: the closest rule lets bench users post in
            # rooms under any name, read and subscribe to every room's messages.
            {"rolename": "bench", "acls": [
                {"acltype": "publishClientSend", "topic": "rooms/+/msg/+", "allow": True},
                {"acltype": "publishClientReceive", "topic": "rooms/+/msg/+", "allow": True},
                {"acltype": "subscribePattern", "topic": "rooms/+/msg/+", "allow": True}]},
        ],
        "defaultACLAccess": {"publishClientSend": False, "publishClientReceive": False,
                             "subscribe": False, "unsubscribe": True},
    }
    with open(path, "w") as f:
        json.dump(conf, f, indent=1)


def write_parley_state(path, users, n_users=0, n_rooms=0, n_members=0):
    """Parley's snapshot: the bench room (private, every bench user a member, u0 its owner) and
    the admin; with n_* > 0 also filler users, rooms and memberships up to those totals."""
    all_users = [(u, hash7(BENCH_PASSWORD), False) for u in users]
    all_users.append((ADMIN, hash7(ADMIN_PASSWORD), True))
    n_fill_users = max(0, n_users - len(all_users))
    fill_users = ["f%05d" % i for i in range(n_fill_users)]
    # Filler hashes: real $7$ strings (same size in memory as real ones); a few distinct salts
    # keep generation quick.
    proto = [hash7("fill%d" % i) for i in range(16)]
    for i, u in enumerate(fill_users):
        all_users.append((u, proto[i % len(proto)], False))
    rooms = {BENCH_ROOM: ("private", [(u, "owner" if i == 0 else "member")
                                      for i, u in enumerate(users)])}
    n_fill_rooms = max(0, n_rooms - 1)
    fill_rooms = ["r%05d" % i for i in range(n_fill_rooms)]
    for i, r in enumerate(fill_rooms):
        rooms[r] = ("public" if i % 2 else "private", [])
    n_fill_members = max(0, n_members - len(users))
    if fill_rooms and fill_users:
        # Membership m: room m % R, user (m // R * 1999 + m % R) % U: distinct pairs as long as
        # 1999 * (members per room) < U.
        R, U = len(fill_rooms), len(fill_users)
        assert n_fill_members == 0 or 1999 * ((n_fill_members - 1) // R) < U
        for m in range(n_fill_members):
            r = fill_rooms[m % R]
            u = fill_users[(m // R * 1999 + m % R) % U]
            rooms[r][1].append((u, "owner" if m < R else "member"))
    with open(path, "w") as f:
        f.write('{"version":1,"seq":0,\n"users":[\n')
        f.write(",\n".join(json.dumps({"username": u, "password": h, "admin": a},
                                      separators=(",", ":"))
                           for u, h, a in sorted(all_users)))
        f.write('],\n"rooms":[\n')
        f.write(",\n".join(json.dumps({"room": r, "visibility": v,
                                       "members": [{"username": u, "role": role}
                                                   for u, role in sorted(ms)],
                                       "bans": []}, separators=(",", ":"))
                           for r, (v, ms) in sorted(rooms.items())))
        f.write("]}\n")
    members = sum(len(ms) for _, ms in rooms.values())
    return {"users": len(all_users), "rooms": len(rooms), "members": members}
