"""`make run`'s stack (tools/run-stack.sh): it starts, the commands it prints work as printed,
and Ctrl-C stops everything it started."""
import os
import re
import shlex
import signal
import subprocess
import threading
import time

from conftest import ROOT, free_port, wait_until


def test_run_stack_prints_commands_that_work_and_stops_clean(tmp_path):
    port, tls_port = free_port(), free_port()
    env = dict(os.environ, PARLEY_PORT=str(port), PARLEY_TLS_PORT=str(tls_port),
               PARLEY_RUN_DIR=str(tmp_path / "run"))
    proc = subprocess.Popen([str(ROOT / "tools" / "run-stack.sh")], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    out, err = [], []
    readers = [threading.Thread(target=lambda s=s, l=l: l.extend(s), daemon=True)
               for s, l in ((proc.stdout, out), (proc.stderr, err))]
    for t in readers:
        t.start()
    try:
        wait_until(lambda: any("run-stack: ready" in l for l in err) or proc.poll() is not None,
                   timeout=30, what="run-stack ready")
        assert proc.poll() is None, "run-stack exited:\n" + "".join(err)
        text = "".join(out)
        assert f"127.0.0.1:{port}" in text
        cmds = [l.strip() for l in text.splitlines() if l.strip().startswith(
            ("mosquitto_sub", "mosquitto_pub", str(ROOT / "build" / "parleyctl")))]
        sub_cmd = next(c for c in cmds if c.startswith("mosquitto_sub"))
        hello = next(c for c in cmds if "hello from bob" in c)
        spoof = next(c for c in cmds if "spoof" in c)
        tls = next(c for c in cmds if "hello over TLS" in c)

        sub = subprocess.Popen(shlex.split(sub_cmd), stdout=subprocess.PIPE, text=True)
        got = []
        threading.Thread(target=lambda: got.extend(sub.stdout), daemon=True).start()
        try:
            # alice's own subscription makes her present in the lobby
            wait_until(lambda: any("rooms/lobby/presence/alice online" in l for l in got),
                       timeout=10, what="alice's presence")
            assert subprocess.run(shlex.split(hello), timeout=10).returncode == 0
            r = subprocess.run(shlex.split(spoof), capture_output=True, text=True, timeout=10)
            assert "RC:135" in r.stdout + r.stderr
            assert subprocess.run(shlex.split(tls), timeout=10).returncode == 0
            for c in cmds:
                if "parleyctl" in c and "room" in c:
                    r = subprocess.run(shlex.split(c), capture_output=True, text=True, timeout=10)
                    assert r.returncode == 0, f"{c}: {r.stderr}"
            wait_until(lambda: any("rooms/lobby/msg/alice hello over TLS" in l for l in got),
                       timeout=10, what="the TLS message")
            msgs = [l.strip() for l in got if "/msg/" in l]
            assert msgs == ["rooms/lobby/msg/bob hello from bob",
                            "rooms/lobby/msg/alice hello over TLS"], msgs
        finally:
            sub.terminate()
            sub.wait(timeout=5)
        mosq = subprocess.run(["pgrep", "-f", str(tmp_path / "run" / "mosquitto.conf")],
                              capture_output=True, text=True).stdout.split()
        assert len(mosq) == 1
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
        rc = proc.wait(timeout=15)
    for t in readers:
        t.join(timeout=2)
    assert rc == 0, "".join(err)
    assert any("run-stack: stopped" in l for l in err)
    wait_until(lambda: subprocess.run(["pgrep", "-f", str(tmp_path / "run" / "mosquitto.conf")],
                                      capture_output=True).returncode != 0,
               timeout=5, what="mosquitto to exit")
