// The web chat page in a real browser (Debian's chromium, headless): two users talk, see a
// message from mosquitto_pub, see who is online and the history after a reload.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startStack, launch, login, ARTIFACTS } from "./stack.mjs";

let stack, browser;
before(async () => { stack = await startStack(); browser = await launch(); });
after(async () => { await browser?.close(); await stack?.stop(); });

const bodies = (page) => page.$$eval("#messages li.msg .body", (els) => els.map((e) => e.textContent));

test("two users chat, see mosquitto_pub, presence, and history after reload", async () => {
  const ctxA = await browser.newContext({ viewport: { width: 1200, height: 760 } });
  const ctxB = await browser.newContext({ viewport: { width: 390, height: 800 } }); // a phone
  const alice = await ctxA.newPage();
  const bob = await ctxB.newPage();
  await login(alice, stack.url, "alice");
  await login(bob, stack.url, "bob");
  for (const p of [alice, bob]) {
    await p.waitForSelector("#conn[data-state=live]", { timeout: 10000 });
  }
  // who is online: each sees the other
  await alice.waitForFunction(() => [...document.querySelectorAll("#people li")].some((li) => li.textContent === "bob"));
  await bob.waitForFunction(() => [...document.querySelectorAll("#people li")].some((li) => li.textContent === "alice"));

  await alice.fill("#body", "hello bob, from the page");
  await alice.press("#body", "Enter");
  await bob.waitForFunction(() => document.querySelector("#messages").textContent.includes("hello bob, from the page"));
  await bob.fill("#body", "hi alice");
  await bob.click("#send button");
  await alice.waitForFunction(() => document.querySelector("#messages").textContent.includes("hi alice"));

  stack.pub("carol", "lobby", "carol says hi over plain MQTT");
  for (const p of [alice, bob]) {
    await p.waitForFunction(() => document.querySelector("#messages").textContent.includes("carol says hi over plain MQTT"));
  }
  // typing indicator (a page says it types at most every 2 s)
  await bob.waitForTimeout(2100);
  await bob.type("#body", "typing…");
  await alice.waitForFunction(() => document.querySelector("#typing").textContent.includes("bob is typing"));
  await alice.screenshot({ path: path.join(ARTIFACTS, "chat.png") });
  await bob.screenshot({ path: path.join(ARTIFACTS, "chat-phone.png") });

  // a too long message gets a clear error, and nothing is lost from the list
  await alice.evaluate(() => { document.querySelector("#body").maxLength = 100000; });
  await alice.fill("#body", "x".repeat(600));
  await alice.press("#body", "Enter");
  await alice.waitForFunction(() => !document.querySelector("#notice").hidden &&
    document.querySelector("#notice").textContent.includes("too long"));

  await bob.reload();
  await bob.waitForSelector("#conn[data-state=live]");
  const after = await bodies(bob);
  assert.deepEqual(after.slice(-3), ["hello bob, from the page", "hi alice", "carol says hi over plain MQTT"]);
  await ctxA.close();
  await ctxB.close();
});

test("the page works with JavaScript disabled: log in, read, post with a form", async () => {
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  const page = await ctx.newPage();
  await login(page, stack.url, "carol");
  assert.equal(await page.textContent("header .me"), "carol");
  assert.ok((await bodies(page)).includes("hi alice")); // history rendered by the server
  await page.fill("input[name=body]", "posted without JavaScript");
  await Promise.all([page.waitForNavigation(), page.click("#send button")]);
  assert.equal((await bodies(page)).at(-1), "posted without JavaScript");
  await page.click("a:text('Refresh')");
  assert.equal((await bodies(page)).at(-1), "posted without JavaScript");
  // a wrong password is told on the page
  await page.click("form.logout button");
  await page.fill("input[name=username]", "carol");
  await page.fill("input[name=password]", "wrong");
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  assert.match(await page.textContent("#notice"), /Wrong user name or password/);
  await ctx.close();
});
