// vocdesk homepage chat: no build step, no dependencies. The API is described in docs/webchat.md.
// The session token, the transcript and any message not yet answered are kept in localStorage, so a reload
// continues the conversation and a message is resent (with the same message_key) until the server answers it.
"use strict";

(function () {
  const STORE = "vocdesk.webchat.v1";
  const MAX_LOG = 300;
  const WORDS = JSON.parse(document.getElementById("chat-texts").textContent);
  const $ = (id) => document.getElementById(id);
  const log = $("log"), status = $("status"), choices = $("choices");
  const textForm = $("text-form"), text = $("text"), phoneForm = $("phone-form"), phone = $("phone");
  const nodes = new WeakMap();  // transcript entry -> its element (not saved)
  let state = load();
  let busy = false;

  function fresh(locale) {
    return { session: null, locale: locale || "ko", log: [], current: { choices: [], expects: null }, outbox: [] };
  }

  function load() {
    try {
      const saved = JSON.parse(localStorage.getItem(STORE) || "null");
      if (saved && Array.isArray(saved.log) && Array.isArray(saved.outbox)) return saved;
    } catch (e) { /* a damaged entry starts a new conversation */ }
    return fresh(document.documentElement.lang === "en" ? "en" : "ko");
  }

  function save() {
    state.log = state.log.slice(-MAX_LOG);
    try { localStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* private mode: no reload memory */ }
  }

  function words() { return WORDS[state.locale] || WORDS.ko; }

  function newKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // -- the page's own words ---------------------------------------------------------------------------------
  function applyWords() {
    const w = words();
    document.documentElement.lang = state.locale;
    document.querySelectorAll("[data-text]").forEach((el) => { el.textContent = w[el.dataset.text]; });
    $("switch").lang = state.locale === "en" ? "ko" : "en";
  }

  function say(message, isError) {
    status.textContent = message || "";
    status.classList.toggle("error", Boolean(isError));
  }

  // -- the transcript ---------------------------------------------------------------------------------------
  function entryNode(entry) {
    const node = document.createElement("div");
    node.className = "msg " + entry.who + (entry.failed ? " failed" : "") + (entry.pending ? " pending" : "");
    const who = document.createElement("span");
    who.className = "visually-hidden speaker";
    who.textContent = speaker(entry.who);
    const body = document.createElement("p");
    body.textContent = entry.text;
    node.append(who, body);
    nodes.set(entry, node);
    return node;
  }

  function speaker(who) { return (who === "me" ? words().you : words().bot) + " "; }

  function relabel() {  // the speakers in the page's language, without redrawing (and re-announcing) the log
    state.log.forEach((entry) => {
      const node = nodes.get(entry);
      if (node) node.querySelector(".speaker").textContent = speaker(entry.who);
    });
  }

  function append(entry) {
    state.log.push(entry);
    log.append(entryNode(entry));
    log.scrollTop = log.scrollHeight;
    return entry;
  }

  function renderAll() {
    log.setAttribute("aria-busy", "true");
    log.replaceChildren(...state.log.map(entryNode));
    log.scrollTop = log.scrollHeight;
    log.removeAttribute("aria-busy");
    renderChoices();
  }

  function renderChoices() {
    const current = state.current;
    choices.querySelectorAll("button").forEach((b) => b.remove());
    current.choices.forEach((choice) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "choice";
      button.textContent = choice.label;
      button.addEventListener("click", () => send({ choice: choice.id }, choice.label));
      choices.append(button);
    });
    choices.hidden = current.choices.length === 0;
    phoneForm.hidden = current.expects !== "phone";
  }

  function focusNext() {
    if (state.current.expects === "phone") phone.focus();
    else if (state.current.choices.length) choices.querySelector("button").focus();
    else text.focus();
  }

  // -- talking to the server --------------------------------------------------------------------------------
  function send(fields, shown, options) {
    const item = Object.assign({ kind: "message", key: newKey(), tries: 0, focus: true }, fields, options || {});
    if (shown !== null) append({ who: "me", id: item.key, text: shown, pending: true });
    state.current = { choices: [], expects: null };
    renderChoices();
    state.outbox.push(item);
    save();
    pump();
  }

  function delay(seconds) {
    say(words().retrying.replace("{seconds}", String(seconds)), true);
    setTimeout(() => { busy = false; pump(); }, seconds * 1000);
  }

  async function post(path, body) {
    return fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      credentials: "same-origin", cache: "no-store" });
  }

  async function pump() {
    if (busy || state.outbox.length === 0) return;
    busy = true;
    const item = state.outbox[0];
    const opening = item.kind === "open";
    if (!opening && !state.session) { state.outbox.unshift({ kind: "open", tries: 0 }); busy = false; return pump(); }
    say(opening ? words().starting : words().sending);
    let response;
    try {
      response = opening
        ? await post("/api/chat/sessions", { locale: state.locale })
        : await post("/api/chat/messages", Object.assign({ session: state.session, message_key: item.key,
          locale: state.locale }, item.choice ? { choice: item.choice } : { text: item.text }));
    } catch (e) {
      item.tries += 1; save();
      return delay(Math.min(30, 2 ** item.tries));
    }
    if (response.status === 429 || response.status >= 500) {
      item.tries += 1; save();
      const wait = parseInt(response.headers.get("Retry-After") || "", 10);
      return delay(Math.min(60, wait > 0 ? wait : 2 ** item.tries));
    }
    state.outbox.shift();
    const entry = item.key ? state.log.find((e) => e.id === item.key) : null;
    if (entry) mark(entry, "pending", false);
    if (!response.ok) {
      if (entry) mark(entry, "failed", true);
      say(response.status === 413 ? words().too_large : words().refused, true);
      if (opening) state.outbox = [];  // nothing can be sent without a session: the page shows why
    } else {
      const data = await response.json();
      if (opening) state.session = data.session;
      received(data.replies, item);
    }
    save();
    busy = false;
    pump();
  }

  function mark(entry, flag, on) {
    if (on) entry[flag] = true; else delete entry[flag];
    const node = nodes.get(entry);
    if (node) node.classList.toggle(flag, on);
  }

  function received(replies, item) {
    say(replies.length === 0 && item.kind !== "open" ? words().already : "");
    replies.forEach((reply) => append({ who: "bot", text: reply.text }));
    const last = replies[replies.length - 1];
    const offered = replies.filter((r) => r.choices.length).pop();
    if (last) state.current = { choices: offered ? offered.choices : [], expects: last.expects || null };
    renderChoices();
    if (item.focus && state.outbox.length === 0) focusNext();
  }

  // -- the visitor ------------------------------------------------------------------------------------------
  textForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = text.value.trim();
    if (!value) { text.focus(); return; }
    text.value = "";
    send({ text: value }, value);
  });

  text.addEventListener("keydown", (event) => {
    // Enter sends; Shift+Enter is a new line; Enter that ends a Hangul syllable (IME composition) does neither.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      textForm.requestSubmit();
    }
  });

  phoneForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = phone.value.trim();
    if (!value) { phone.focus(); return; }
    phone.value = "";
    const digits = value.replace(/\D/g, "");
    send({ text: value }, digits.length > 4 ? "*".repeat(digits.length - 4) + digits.slice(-4) : value);
  });

  $("switch").addEventListener("click", () => {
    state.locale = state.locale === "en" ? "ko" : "en";
    applyWords();
    relabel();
    const opening = state.outbox.some((item) => item.kind === "open") || !state.session;
    if (opening) save();
    else send({ text: "/lang " + state.locale }, null, { focus: false });
  });

  $("clear").addEventListener("click", () => {
    state = fresh(state.locale);
    try { localStorage.removeItem(STORE); } catch (e) { /* nothing kept */ }
    renderAll();
    say("");
    state.outbox.push({ kind: "open", tries: 0, focus: false });
    save();
    pump();
  });

  applyWords();
  renderAll();
  if (!state.session && !state.outbox.some((item) => item.kind === "open")) {
    state.outbox.unshift({ kind: "open", tries: 0, focus: false });
  }
  state.outbox.forEach((item) => { item.focus = false; });
  save();
  pump();
})();
