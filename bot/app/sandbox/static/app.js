// The sandbox page: one pane per chat, redrawn from /api/state (long polling).
"use strict";

const panesEl = document.getElementById("panes");
const peopleEl = document.getElementById("people");
const banner = document.getElementById("banner");
const template = document.getElementById("pane-template");
const panes = new Map(); // key -> {el, data, json, replyTo, seen, visible}
let version = -1;
let epoch = null;
let lastToast = 0;

async function post(url, body) {
  const options = { method: "POST" };
  if (body instanceof FormData) options.body = body;
  else {
    options.body = JSON.stringify(body || {});
    options.headers = { "Content-Type": "application/json" };
  }
  const response = await fetch(url, options);
  if (!response.ok) showBanner(await response.text(), "failed", 4000);
  return response;
}

function showBanner(text, kind, hideAfter) {
  banner.textContent = text;
  banner.className = "banner " + (kind || "");
  if (hideAfter) setTimeout(() => banner.classList.add("hidden"), hideAfter);
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function initials(title) {
  return Array.from(title).slice(0, 1).join("").toUpperCase();
}

function createPane(data) {
  const node = template.content.firstElementChild.cloneNode(true);
  const pane = { el: node, data, json: "", replyTo: null, seen: 0, visible: true };
  node.dataset.pane = data.key;
  node.classList.add(data.kind);
  node.querySelector(".title").textContent = data.title;
  node.querySelector(".subtitle").textContent = data.subtitle;
  node.querySelector(".avatar").textContent = initials(data.title);
  if (data.speakers.length) {
    const label = node.querySelector(".speaker");
    const select = node.querySelector(".speaker-select");
    label.classList.remove("hidden");
    for (const speaker of data.speakers) {
      const option = el("option", "", speaker.name);
      option.value = speaker.id;
      select.appendChild(option);
    }
  }
  const form = node.querySelector(".composer");
  const input = node.querySelector(".text-input");
  input.placeholder = data.kind === "group" ? "Message the group" : "Message";
  if (data.forum) input.placeholder = "Message General (↩ reply to write in a topic)";
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    await act(pane, "/api/send", { text });
  });
  node.querySelector(".sample-btn").addEventListener("click", () => sendPhoto(pane, null));
  node.querySelector(".photo-input").addEventListener("change", (event) => {
    const file = event.target.files[0];
    if (file) sendPhoto(pane, file);
    event.target.value = "";
  });
  node.querySelector(".cancel-reply").addEventListener("click", () => setReply(pane, null));
  panesEl.appendChild(node);

  const entry = el("label");
  entry.dataset.pane = data.key;
  const box = el("input");
  box.type = "checkbox";
  box.checked = true;
  box.addEventListener("change", () => {
    pane.visible = box.checked;
    node.classList.toggle("hidden", !box.checked);
    if (box.checked) markSeen(pane);
  });
  const names = el("span");
  names.appendChild(el("div", "", data.title));
  names.appendChild(el("div", "kind", { resident: "resident", staff: "staff, private", group: "staff group" }[data.kind]));
  entry.append(box, names, el("span", "badge"));
  peopleEl.appendChild(entry);
  pane.badge = entry.querySelector(".badge");
  return pane;
}

function speakerOf(pane) {
  const select = pane.el.querySelector(".speaker-select");
  return pane.data.speakers.length ? select.value : undefined;
}

async function act(pane, url, body) {
  body.pane = pane.data.key;
  body.as = speakerOf(pane);
  if (pane.replyTo && url === "/api/send") body.reply_to = pane.replyTo.id;
  setReply(pane, null);
  await post(url, body);
}

async function sendPhoto(pane, file) {
  const form = new FormData();
  form.append("pane", pane.data.key);
  if (speakerOf(pane)) form.append("as", speakerOf(pane));
  if (pane.replyTo) form.append("reply_to", pane.replyTo.id);
  const caption = pane.el.querySelector(".text-input");
  if (caption.value.trim()) {
    form.append("caption", caption.value.trim());
    caption.value = "";
  }
  if (file) form.append("file", file);
  else form.append("sample", "1");
  setReply(pane, null);
  await post("/api/photo", form);
}

function setReply(pane, message) {
  pane.replyTo = message;
  const bar = pane.el.querySelector(".replying");
  bar.classList.toggle("hidden", !message);
  if (message) {
    const snippet = message.html ? htmlToText(message.html) : (message.photos ? "📷 photo" : "…");
    pane.el.querySelector(".replying-text").textContent = "↩ " + (message.sender || "") + ": " + snippet;
    pane.el.querySelector(".text-input").focus();
  }
}

function htmlToText(html) {
  const probe = document.createElement("div");
  probe.innerHTML = html;
  return probe.textContent;
}

function formatSize(bytes) {
  return bytes > 1024 * 1024 ? (bytes / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(bytes / 1024)) + " KB";
}

const SERVICE_WORDS = {
  created: (name) => "topic created: " + name,
  renamed: (name) => "topic renamed: " + name,
  closed: () => "topic closed",
  reopened: () => "topic reopened",
};

function renderMessage(pane, message, isNew) {
  if (message.service) {
    const line = el("div", "msg service" + (isNew ? " flash" : ""));
    line.dataset.id = message.id;
    line.appendChild(el("span", "service-text", SERVICE_WORDS[message.service.kind](message.service.name)));
    return line;
  }
  const node = el("div", "msg" + (message.out ? " out" : "") + (isNew ? " flash" : ""));
  node.dataset.id = message.id;
  // In a forum the topic is the section's header; elsewhere a label says which one.
  if (message.topic && !pane.data.forum) node.appendChild(el("span", "topic", "# topic " + message.topic));
  const bubble = el("div", "bubble");
  if (pane.data.kind === "group" || !message.out) {
    bubble.appendChild(el("div", "sender", message.sender));
  }
  if (message.reply_to) {
    const quote = el("div", "quote");
    quote.appendChild(el("b", "", message.reply_to.sender));
    quote.appendChild(el("div", "", message.reply_to.snippet));
    bubble.appendChild(quote);
  }
  if (message.photos) {
    const grid = el("div", "photos n" + Math.min(message.photos.length, 5));
    for (const url of message.photos) {
      const img = el("img");
      img.src = url;
      img.alt = "photo";
      img.addEventListener("click", () => openLightbox(url));
      grid.appendChild(img);
    }
    bubble.appendChild(grid);
  }
  if (message.document) {
    const link = el("a", "document");
    link.href = message.document.url;
    link.download = message.document.name;
    link.appendChild(el("span", "icon", "📄"));
    const words = el("span");
    words.appendChild(el("div", "name", message.document.name));
    words.appendChild(el("div", "muted", formatSize(message.document.size) + " · download"));
    link.appendChild(words);
    bubble.appendChild(link);
  }
  if (message.contact) {
    const card = el("div", "contact");
    card.appendChild(el("span", "icon", "👤"));
    const words = el("span");
    words.appendChild(el("b", "", message.contact.name));
    words.appendChild(el("div", "muted", message.contact.phone));
    card.appendChild(words);
    bubble.appendChild(card);
  }
  if (message.html) {
    const text = el("div", "text");
    text.innerHTML = message.html; // built server-side from entities; all text escaped
    bubble.appendChild(text);
  }
  const meta = el("div", "meta");
  const reply = el("button", "reply-btn", "↩ reply");
  reply.type = "button";
  reply.addEventListener("click", () => setReply(pane, message));
  meta.appendChild(reply);
  if (message.edited) meta.appendChild(el("span", "edited", "edited"));
  meta.appendChild(el("span", "", message.time));
  bubble.appendChild(meta);
  node.appendChild(bubble);
  if (message.buttons && message.buttons.length) {
    const keyboard = el("div", "inline-kb");
    for (const row of message.buttons) {
      const line = el("div", "inline-row");
      for (const button of row) {
        const b = el("button", "inline-btn" + (button.url ? " url" : ""), button.text);
        b.type = "button";
        b.title = button.text;
        b.addEventListener("click", () => {
          if (button.url) window.open(button.url, "_blank", "noopener");
          else act(pane, "/api/press", { message_id: message.id, data: button.data });
        });
        line.appendChild(b);
      }
      keyboard.appendChild(line);
    }
    node.appendChild(keyboard);
  }
  return node;
}

// A forum's messages as Telegram lists them: one section per topic (General for the
// rest), the one with the latest message last, so the newest activity is at the bottom.
function topicSections(data, drawn) {
  const names = new Map(data.topics.map((t) => [t.id, t]));
  const sections = new Map(); // topic id (0: General) -> {node, last}
  data.messages.forEach((message, index) => {
    const id = message.topic && names.has(message.topic) ? message.topic : 0;
    let section = sections.get(id);
    if (!section) {
      const node = el("div", "topic-section");
      node.dataset.topic = id;
      const topic = names.get(id);
      const head = el("div", "topic-head", "# " + (topic ? topic.name : "General"));
      if (topic && topic.closed) head.appendChild(el("span", "topic-closed", "closed"));
      node.appendChild(head);
      section = { node, last: index };
      sections.set(id, section);
    }
    section.node.appendChild(drawn[index]);
    section.last = index;
  });
  return [...sections.values()].sort((a, b) => a.last - b.last).map((s) => s.node);
}

function renderKeyboard(pane, keyboard) {
  const box = pane.el.querySelector(".keyboard");
  box.replaceChildren();
  box.classList.toggle("hidden", !keyboard);
  if (!keyboard) return;
  for (const row of keyboard.rows) {
    const line = el("div", "kb-row");
    for (const button of row) {
      const b = el("button", "kb-btn" + (button.contact ? " contact" : ""), button.text);
      b.type = "button";
      b.addEventListener("click", () => {
        if (button.contact) act(pane, "/api/contact", {});
        else act(pane, "/api/send", { text: button.text });
      });
      line.appendChild(b);
    }
    box.appendChild(line);
  }
}

function markSeen(pane) {
  pane.seen = pane.data.messages.length;
  pane.badge.textContent = "";
}

function renderPane(pane, data) {
  const json = JSON.stringify(data);
  if (json === pane.json) return;
  const before = new Map(pane.data.messages.map((m) => [m.id, JSON.stringify(m)]));
  const firstDraw = pane.json === "";
  pane.json = json;
  pane.data = data;
  const list = pane.el.querySelector(".messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const drawn = data.messages.map((m) => renderMessage(pane, m, !firstDraw && before.get(m.id) !== JSON.stringify(m)));
  list.replaceChildren(...(data.forum ? topicSections(data, drawn) : drawn));
  if (atBottom || firstDraw) {
    list.scrollTop = list.scrollHeight;
    // Photos change the height as they load: stay at the bottom.
    for (const img of list.querySelectorAll("img")) {
      if (!img.complete) img.addEventListener("load", () => { list.scrollTop = list.scrollHeight; });
    }
  }
  renderKeyboard(pane, data.keyboard);
  if (pane.visible || firstDraw) markSeen(pane);
  else {
    const unread = data.messages.length - pane.seen;
    pane.badge.textContent = unread > 0 ? String(unread) : "";
  }
}

function showToasts(toasts) {
  for (const toast of toasts) {
    if (toast.seq <= lastToast) continue;
    lastToast = toast.seq;
    const pane = panes.get(toast.pane);
    if (!pane) continue;
    const note = el("div", "toast" + (toast.alert ? " alert" : ""), toast.text);
    pane.el.querySelector(".toasts").appendChild(note);
    const remove = () => note.remove();
    note.addEventListener("click", remove);
    setTimeout(remove, toast.alert ? 6000 : 3000);
  }
}

function openLightbox(url) {
  const box = el("div", "lightbox");
  const img = el("img");
  img.src = url;
  box.appendChild(img);
  box.addEventListener("click", () => box.remove());
  document.body.appendChild(box);
}

function render(state) {
  document.getElementById("now").textContent = state.now;
  document.getElementById("weekday").textContent = state.weekday;
  document.getElementById("zone").textContent = state.zone;
  document.getElementById("ahead").textContent = state.ahead === "+0 h" ? "" : state.ahead;
  document.body.dataset.status = state.status;
  if (state.status === "seeding") showBanner("⏳ Preparing the sample residents and tickets: watch them talk to the bot…", "");
  else if (state.status === "starting") showBanner("⏳ Starting the bot…", "");
  else if (state.status === "failed") showBanner("⚠️ " + state.problem, "failed");
  else if (!banner.classList.contains("failed")) banner.classList.add("hidden");
  if (state.epoch !== epoch) {
    epoch = state.epoch;
    lastToast = 0;
    panes.clear();
    panesEl.replaceChildren();
    peopleEl.replaceChildren();
  }
  for (const data of state.panes) {
    let pane = panes.get(data.key);
    if (!pane) {
      pane = createPane({ ...data, messages: [] });
      panes.set(data.key, pane);
    }
    renderPane(pane, data);
  }
  showToasts(state.toasts);
}

async function poll() {
  for (;;) {
    try {
      const response = await fetch("/api/state?since=" + version);
      if (response.ok) {
        const state = await response.json();
        version = state.version;
        render(state);
        continue;
      }
    } catch (error) {
      showBanner("The sandbox is not answering; is it still running?", "failed");
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
}

async function moveTime(hours) {
  if (!(hours > 0)) return;
  showBanner("⏩ Moving the clock " + hours + " h and running the scheduled jobs…", "", 2500);
  await post("/api/clock", { hours });
}

for (const button of document.querySelectorAll(".step")) {
  button.addEventListener("click", () => moveTime(Number(button.dataset.hours)));
}
document.getElementById("move").addEventListener("click", () => {
  const input = document.getElementById("hours");
  moveTime(Number(input.value));
  input.value = "";
});
document.getElementById("reset").addEventListener("click", async () => {
  if (!window.confirm("Start over? Every chat and ticket in the sandbox is deleted.")) return;
  showBanner("⏳ Starting over…", "");
  await post("/api/reset", {});
});
poll();
