// The stack the browser tests drive: `make run`'s own script (tools/run-stack.sh) on free
// loopback ports with a fresh run folder, and Debian's chromium through playwright-core.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const ARTIFACTS = path.join(ROOT, "build", "browser");
export const CHROMIUM = "/usr/bin/chromium";

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function startStack() {
  const ports = {};
  for (const k of ["mqtt", "tls", "ws", "http", "redis"]) ports[k] = await freePort();
  const run = mkdtempSync(path.join(os.tmpdir(), "parley-browser-"));
  const env = {
    ...process.env,
    PARLEY_PORT: String(ports.mqtt), PARLEY_TLS_PORT: String(ports.tls),
    PARLEY_WS_PORT: String(ports.ws), PARLEY_HTTP_PORT: String(ports.http),
    PARLEY_REDIS_PORT: String(ports.redis), PARLEY_RUN_DIR: run, PARLEY_DEVICE_INTERVAL: "3600",
  };
  const proc = spawn(path.join(ROOT, "tools", "run-stack.sh"), [], { env, detached: true });
  let err = "";
  proc.stderr.on("data", (d) => { err += d; });
  proc.stdout.resume();
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("run-stack not ready in 30 s:\n" + err)), 30000);
    proc.stderr.on("data", () => {
      if (err.includes("run-stack: ready")) { clearTimeout(t); resolve(); }
    });
    proc.on("exit", (code) => { clearTimeout(t); reject(new Error(`run-stack exited ${code}:\n${err}`)); });
  });
  const url = `http://127.0.0.1:${ports.http}`;
  return {
    ports, run, url,
    pub(user, room, text) {
      execFileSync("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(ports.mqtt), "-u", user,
        "-P", `${user}-pass`, "-t", `rooms/${room}/msg/${user}`, "-m", text, "-q", "1"]);
    },
    async token(user) {
      const r = await fetch(`${url}/api/login`, {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: user, password: `${user}-pass` }),
      });
      if (r.status !== 200) throw new Error(`login ${user}: ${r.status} ${await r.text()}`);
      return (await r.json()).token;
    },
    async stop() {
      proc.removeAllListeners("exit");
      if (proc.exitCode !== null) return;
      const done = new Promise((resolve) => proc.once("exit", resolve));
      process.kill(-proc.pid, "SIGINT");
      await done;
    },
  };
}

export async function launch() {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--disable-dev-shm-usage"],
  });
}

// Logs in through the page's own form (works with and without JavaScript).
export async function login(page, url, user) {
  await page.goto(url + "/");
  await page.fill("input[name=username]", user);
  await page.fill("input[name=password]", `${user}-pass`);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
}
