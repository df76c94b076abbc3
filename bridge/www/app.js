// Parley web chat: upgrades the server-rendered page (which works without JavaScript) to the
// live WebSocket (parley.v1, docs/bridge.md). No build step, no dependencies.
(function () {
  "use strict";
  const body = document.body;
  const me = body.dataset.user;
  if (!me) return; // the login page needs nothing: its form posts to /login
  body.classList.add("js");

  const $ = (id) => document.getElementById(id);
  const list = $("messages"), notice = $("notice"), conn = $("conn"), typing = $("typing");
  const form = $("send"), input = $("body"), people = $("people"), title = $("room-title");
  let room = body.dataset.room;
  let ws = null, backoff = 500, ready = false, nextId = 1, lastTyping = 0, oldest = null;
  const pending = new Map(); // client id -> <li>
  const typers = new Map();  // user -> timer

  const ERRORS = {
    rate_limited: "You are sending too fast. Wait a moment and try again.",
    too_large: "That message is too long.",
    forbidden: "You may not do that in this room.",
    unavailable: "The chat server cannot reach the broker right now. Try again shortly.",
    unauthorized: "Your session has ended. Log in again.",
    not_authenticated: "Your session has ended. Log in again.",
  };

  function show(text, kind) {
    if (!notice) return;
    notice.hidden = !text;
    notice.textContent = text || "";
    notice.dataset.kind = kind || "";
  }
  function setConn(state, text) {
    if (!conn) return;
    conn.dataset.state = state;
    conn.textContent = text;
  }
  function fmtTime(ts) {
    return new Date(ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }
  function lastId() {
    const items = list ? list.querySelectorAll("li.msg[data-id]") : [];
    for (let i = items.length - 1; i >= 0; i--) if (items[i].dataset.id) return items[i].dataset.id;
    return null;
  }
  function nearBottom() {
    return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  }
  function render(m) {
    const li = document.createElement("li");
    li.className = "msg" + (m.from === me ? " mine" : "");
    if (m.id) li.dataset.id = m.id;
    li.dataset.ts = m.ts;
    const from = document.createElement("span");
    from.className = "from";
    from.textContent = m.from;
    const t = document.createElement("time");
    t.textContent = fmtTime(m.ts);
    const p = document.createElement("p");
    p.className = "body";
    if (typeof m.body === "string") p.textContent = m.body;
    else { const em = document.createElement("em"); em.textContent = "(binary data)"; p.append(em); }
    li.append(from, " ", t, p);
    return li;
  }
  function append(m) {
    if (m.id && list.querySelector(`li[data-id="${CSS.escape(m.id)}"]`)) return; // seen
    const stick = nearBottom();
    list.append(render(m));
    if (stick || m.from === me) list.scrollTop = list.scrollHeight;
  }

  async function api(path) {
    const r = await fetch(path, { credentials: "same-origin" });
    const j = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(j.error || `HTTP ${r.status}`);
    return j;
  }
  async function loadHistory() {
    try {
      const j = await api(`/api/rooms/${encodeURIComponent(room)}/messages?limit=50`);
      list.replaceChildren();
      j.messages.forEach(append);
      oldest = j.messages.length ? j.messages[0].id : null;
      if (j.more) addMoreMarker();
      list.scrollTop = list.scrollHeight;
    } catch (e) { show("History is unavailable right now: " + e.message, "error"); }
  }
  function addMoreMarker() {
    if (list.querySelector(".more")) return;
    const li = document.createElement("li");
    li.className = "more";
    li.textContent = "Scroll up for older messages";
    list.prepend(li);
  }
  let loadingOlder = false;
  async function loadOlder() {
    const first = list.querySelector("li.msg[data-id]");
    const before = first ? first.dataset.id : null;
    if (loadingOlder || !before || !list.querySelector(".more")) return;
    loadingOlder = true;
    try {
      const j = await api(`/api/rooms/${encodeURIComponent(room)}/messages?limit=50&before=${before}`);
      const h = list.scrollHeight;
      const marker = list.querySelector(".more");
      const fresh = j.messages.filter((m) => !list.querySelector(`li[data-id="${CSS.escape(m.id)}"]`));
      marker.after(...fresh.map(render)); // oldest first, right under the marker
      if (!j.more) marker.remove();
      list.scrollTop += list.scrollHeight - h;
    } catch (e) { show("Older messages are unavailable: " + e.message, "error"); }
    loadingOlder = false;
  }
  async function loadPeople() {
    if (!people) return;
    try {
      const j = await api(`/api/rooms/${encodeURIComponent(room)}/presence`);
      people.replaceChildren(...j.users.sort().map((u) => {
        const li = document.createElement("li");
        li.textContent = u;
        return li;
      }));
    } catch (e) { /* presence is a nicety: the notice stays for real errors */ }
  }
  function showTyping(user) {
    if (user === me) return;
    clearTimeout(typers.get(user));
    typers.set(user, setTimeout(() => { typers.delete(user); drawTyping(); }, 3000));
    drawTyping();
  }
  function drawTyping() {
    const names = [...typers.keys()];
    typing.textContent = names.length === 0 ? "" :
      names.length === 1 ? `${names[0]} is typing…` : `${names.join(", ")} are typing…`;
  }

  function send(frame) {
    if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify(frame)); return true; }
    return false;
  }
  function onFrame(f) {
    switch (f.type) {
      case "ready":
        ready = true;
        backoff = 500;
        setConn("live", "live");
        show("");
        send({ type: "join", room, since: lastId() || undefined });
        break;
      case "joined":
        if (f.room !== room) break;
        if (!f.recovered && lastId()) loadHistory(); // a gap we cannot fill: reload, no hole
        loadPeople();
        break;
      case "msg":
        if (f.room === room) append(f);
        if (f.from && typers.has(f.from)) { clearTimeout(typers.get(f.from)); typers.delete(f.from); drawTyping(); }
        break;
      case "ack": {
        const li = pending.get(f.id);
        pending.delete(f.id);
        if (li) li.remove(); // the msg frame with its id is (or will be) in the list
        break;
      }
      case "presence":
        if (f.room === room) loadPeople();
        break;
      case "typing":
        if (f.room === room) showTyping(f.user);
        break;
      case "error": {
        const text = ERRORS[f.code] || f.message;
        show(f.message && ERRORS[f.code] ? `${text} (${f.message})` : text, "error");
        const li = f.id && pending.get(f.id);
        if (li) { li.classList.remove("pending"); li.classList.add("failed"); pending.delete(f.id); }
        if (f.code === "unauthorized" || f.code === "not_authenticated") location.href = "/?error=auth";
        break;
      }
    }
  }
  function connect() {
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
    ws = new WebSocket(url, "parley.v1");
    setConn("connecting", "connecting…");
    ws.onmessage = (ev) => { try { onFrame(JSON.parse(ev.data)); } catch (e) { /* ignore */ } };
    ws.onclose = (ev) => {
      ready = false;
      const why = ev.code === 1013 ? "the connection fell behind" : "connection lost";
      setConn("down", `${why}, reconnecting…`);
      show(`Connection lost (${ev.code}${ev.reason ? ": " + ev.reason : ""}). Reconnecting; nothing will be missed.`);
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    };
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    if (new TextEncoder().encode(text).length > Number(input.maxLength || 512)) {
      show(ERRORS.too_large, "error");
      return;
    }
    const id = "c" + nextId++;
    if (!send({ type: "send", room, body: text, id })) {
      show("Not connected: the message was not sent. Reconnecting…", "error");
      return;
    }
    const li = render({ from: me, body: text, ts: Date.now() });
    li.classList.add("pending");
    list.append(li);
    list.scrollTop = list.scrollHeight;
    pending.set(id, li);
    input.value = "";
  });
  input.addEventListener("input", () => {
    const now = Date.now();
    if (ready && now - lastTyping > 2000) { lastTyping = now; send({ type: "typing", room }); }
  });
  list.addEventListener("scroll", () => { if (list.scrollTop < 40) loadOlder(); });
  document.querySelectorAll("#rooms a[data-room]").forEach((a) => a.addEventListener("click", (ev) => {
    ev.preventDefault();
    const next = a.dataset.room;
    if (next === room) return;
    send({ type: "leave", room });
    room = next;
    body.dataset.room = room;
    document.querySelectorAll("#rooms a").forEach((x) => x.classList.toggle("current", x === a));
    title.textContent = "#" + room;
    form.action = `/rooms/${encodeURIComponent(room)}/send`;
    input.placeholder = "Message #" + room;
    history.pushState(null, "", `/?room=${encodeURIComponent(room)}`);
    typers.clear(); drawTyping(); show("");
    loadHistory().then(() => send({ type: "join", room, since: lastId() || undefined }));
  }));

  list.querySelectorAll("li.msg[data-ts]").forEach((li) => {
    const t = li.querySelector("time");
    if (t) t.textContent = fmtTime(Number(li.dataset.ts));
  });
  if (list.querySelectorAll("li.msg").length >= 50) addMoreMarker();
  list.scrollTop = list.scrollHeight;
  if (notice && notice.textContent.trim() === "") notice.hidden = true;
  connect();
})();
