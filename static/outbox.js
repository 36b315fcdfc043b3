// The outbox: stock-changing work that survives the Wi-Fi. A floor form marked
// data-outbox (inbound, stocktake, picks, receiving, returns) that cannot reach the
// server is kept on this tablet (IndexedDB) with its idempotency key, listed as
// "waiting to send (n)", and sent in order when the connection returns, after a
// reload too. The server posts a key once, so sending again is always safe. What the
// server refuses on arrival stays listed with its reason until the user dismisses it.
// Also here: the "connection lost" bar, which never covers a control.
(function () {
  "use strict";

  const RETRY_MS = 5000;
  const panel = document.getElementById("outbox");
  const banner = document.getElementById("offline");
  const strip = banner && banner.parentElement;
  const modal = () => document.getElementById("modal");
  const csrfToken = () => JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  const text = (name, value) => (panel ? panel.dataset[name] : "").replace("%s", value === undefined ? "" : value);

  // The connection bar: in the page's flow under the header, or inside the open dialog
  // (the top layer), so it never lies over a button; it goes once any answer arrives.
  function placeBanner() {
    const dialog = modal();
    const home = dialog && dialog.open ? dialog : strip;
    if (banner && home && banner.parentElement !== home) home.prepend(banner);
  }
  const connection = {
    lost() {
      if (!banner) return;
      banner.hidden = false;
      placeBanner();
      retrySoon();
    },
    back() {
      if (banner && !banner.hidden) {
        banner.hidden = true;
        drain();
      }
    },
  };
  document.addEventListener("htmx:sendError", () => connection.lost());
  document.addEventListener("htmx:afterRequest", (event) => {
    const status = event.detail.xhr.status;
    if (status > 0 && status < 500) connection.back();
  });
  document.addEventListener("htmx:responseError", (event) => {
    if (event.detail.xhr.status >= 500) connection.lost();
  });
  document.addEventListener("htmx:afterSettle", placeBanner);  // after the dialog opened
  if (modal()) modal().addEventListener("close", placeBanner);
  window.addEventListener("online", () => { drain(); check(); });

  // Is the server there? One light request (the live check) when nothing waits to go.
  async function check() {
    const live = document.body.dataset.live;
    if (!live) return;
    try {
      const response = await fetch(live, { cache: "no-store", credentials: "same-origin" });
      if (response.status < 500) connection.back();
    } catch (error) {
      // Still no connection: the next retry asks again.
    }
  }

  // IndexedDB: one store of submissions, in the order they were made.
  let opened = null;
  function store(mode, act) {
    if (!opened) {
      opened = new Promise((resolve, reject) => {
        const request = indexedDB.open("stockapp", 1);
        request.onupgradeneeded = () => request.result.createObjectStore("outbox", { keyPath: "id", autoIncrement: true });
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return opened.then((database) => new Promise((resolve, reject) => {
      const transaction = database.transaction("outbox", mode);
      const request = act(transaction.objectStore("outbox"));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
    }));
  }

  const user = panel ? panel.dataset.user : null;
  let entries = [];  // this user's submissions, oldest first
  const callers = new Map();  // entry id → the page still waiting for its answer
  const waiting = () => entries.filter((entry) => entry.state === "waiting");

  async function keep(submission) {
    const key = submission.fields.find(([name]) => name === "key");
    const same = key && waiting().find((entry) => entry.url === submission.url &&
      entry.fields.some(([name, value]) => name === "key" && value === key[1]));
    const entry = same || { user, state: "waiting", created: Date.now() };
    const { url, fields, label, accept } = submission;  // what IndexedDB can keep
    Object.assign(entry, { url, fields, label, accept });
    entry.id = await store("readwrite", (outbox) => outbox.put(entry));
    if (!same) entries.push(entry);
    show();
    retrySoon();
    return entry;
  }

  async function forget(entry) {
    entries = entries.filter((other) => other !== entry);
    await store("readwrite", (outbox) => outbox.delete(entry.id));
    show();
  }

  // One try at the server: "sent", "refused" (with the server's reason), "signin"
  // (the session ended: keep it until the user signs in again) or "unreachable".
  async function deliver(entry) {
    const body = new URLSearchParams(entry.fields);
    if (body.has("csrf_token")) body.set("csrf_token", csrfToken());  // this page's session
    let response;
    try {
      response = await fetch(entry.url, {
        method: "POST", body, credentials: "same-origin",
        headers: {
          "HX-Request": "true", "HX-Current-URL": location.href, "X-CSRFToken": csrfToken(),
          Accept: entry.accept || "text/html",
        },
      });
    } catch (error) {
      return { outcome: "unreachable" };
    }
    if (response.status >= 500) return { outcome: "unreachable" };
    connection.back();
    const redirect = response.headers.get("HX-Redirect");
    if (response.status === 401 || (redirect && new URL(redirect, location.href).pathname === panel.dataset.login)) {
      return { outcome: "signin", redirect: redirect || panel.dataset.login };
    }
    const json = (response.headers.get("Content-Type") || "").includes("json");
    const answer = json ? await response.json() : await response.text();
    if (response.ok) return { outcome: "sent", answer, events: response.headers.get("HX-Trigger") };
    return { outcome: "refused", answer, reason: reasonOf(answer, response.status) };
  }

  // The server's own words for a refusal: the form's messages it sent back.
  function reasonOf(answer, status) {
    let found = [];
    if (typeof answer === "string") {
      const page = new DOMParser().parseFromString(answer, "text/html");
      found = Array.from(page.querySelectorAll(".form-error, .error:not([hidden]), .problem"), (el) => el.textContent.trim());
    } else if (answer) {
      found = answer.errors ? Object.values(answer.errors) : [answer.detail || answer.title];
    }
    found = [...new Set(found.filter(Boolean))];
    return found.length ? found.join(" ") : text("refusedStatus", status);
  }

  // Send what waits, oldest first (what is kept meanwhile too); stop at the first
  // that cannot reach the server.
  let draining = false, sessionEnded = false;
  async function drain(asked = false) {
    if (asked) sessionEnded = false;
    if (draining || sessionEnded || !panel) return;
    draining = true;
    try {
      for (let entry = waiting()[0]; entry; entry = waiting()[0]) {
        const result = await deliver(entry);
        if (result.outcome === "unreachable") return connection.lost();
        if (result.outcome === "signin") {
          // Kept until the user signs in again; a retry in the background does not
          // take the page away from under them, a tap does.
          sessionEnded = true;
          if (asked) location.href = result.redirect;
          return;
        }
        settle(entry, result);
      }
    } finally {
      draining = false;
      show();
    }
  }

  function settle(entry, result) {
    const caller = callers.get(entry.id);
    callers.delete(entry.id);
    if (caller) caller(result);
    if (result.outcome === "sent" || caller) {
      forget(entry);
      if (!caller) announce(entry, result);
      return;
    }
    entry.state = "refused";
    entry.reason = result.reason;
    store("readwrite", (outbox) => outbox.put(entry));
  }

  // Sent from the outbox: the server's message, and every count on the page refreshes.
  function announce(entry, result) {
    const events = JSON.parse(result.events || "{}");
    const message = events["show-message"];
    htmx.trigger(document.body, "show-message", { value: typeof message === "string" ? message : text("sent", entry.label) });
    htmx.trigger(document.body, "stock-changed", { live: true });
  }

  let retryTimer = null;
  function retrySoon() {
    if (retryTimer !== null) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      if (waiting().length) drain();
      else if (banner && !banner.hidden) { check(); retrySoon(); }
    }, RETRY_MS);
  }

  // The list: "waiting to send (n)", each submission, a refusal's reason and its dismiss.
  function show() {
    if (!panel) return;
    const refused = entries.filter((entry) => entry.state === "refused");
    panel.hidden = entries.length === 0;
    panel.classList.toggle("has-refused", refused.length > 0);
    const summary = panel.querySelector("summary");
    summary.textContent = [
      waiting().length ? text("waiting", waiting().length) : "",
      refused.length ? text("refused", refused.length) : "",
    ].filter(Boolean).join(" · ");
    if (refused.length) panel.open = true;
    const list = panel.querySelector("ol");
    list.replaceChildren(...entries.map((entry) => {
      const item = document.createElement("li");
      item.className = entry.state;
      const what = document.createElement("strong");
      what.textContent = entry.label;
      const when = document.createElement("span");
      when.className = "muted";
      when.textContent = new Date(entry.created).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      const state = document.createElement("span");
      state.className = "reason";
      state.textContent = entry.state === "refused" ? text("refusedReason", entry.reason) : text("waitingOne");
      item.append(what, " ", when, " ", state);
      if (entry.state === "refused") {
        const dismiss = document.createElement("button");
        dismiss.type = "button";
        dismiss.className = "quiet";
        dismiss.textContent = text("dismiss");
        dismiss.addEventListener("click", () => forget(entry));
        item.append(" ", dismiss);
      }
      return item;
    }));
  }
  if (panel) {
    panel.querySelector("[data-send-now]").addEventListener("click", () => drain(true));
  }

  // A floor form's POST through htmx: kept when it cannot reach the server, and queued
  // behind older submissions still waiting, so they reach the server in order.
  const floorForm = (elt) => elt && elt.matches && elt.matches("form[data-outbox]");
  function keepForm(form, path, formData, unreachable) {
    keep({ url: path, fields: Array.from(formData.entries()), label: form.dataset.outbox });
    if (unreachable) htmx.trigger(document.body, "show-message", { value: text("kept") });
    const dialog = modal();
    if (dialog && dialog.contains(form)) dialog.close();
  }
  document.addEventListener("htmx:sendError", (event) => {
    const config = event.detail.requestConfig;
    if (floorForm(event.detail.elt) && config.verb === "post") keepForm(event.detail.elt, config.path, config.formData, true);
  });
  document.addEventListener("htmx:confirm", (event) => {
    const form = event.detail.elt;
    if (!floorForm(form) || !waiting().length || event.detail.triggeringEvent?.type !== "submit") return;
    event.preventDefault();
    keepForm(form, form.getAttribute("hx-post"), new FormData(form), false);
    drain(true);
  });

  // For the page's own scripts (picks): send now, or keep and send when the connection
  // returns; resolves with the server's answer ({outcome, answer, reason}).
  async function send(submission) {
    if (!waiting().length) {
      const result = await deliver(submission);
      if (result.outcome === "signin") {
        await keep(submission);
        location.href = result.redirect;
      }
      if (result.outcome !== "unreachable") return result;
      connection.lost();
    }
    const entry = await keep(submission);
    if (submission.whileWaiting) submission.whileWaiting();
    const answered = new Promise((resolve) => callers.set(entry.id, resolve));
    drain();
    return answered;
  }

  window.StockApp = { outbox: { send }, connection };

  // At page load: what this user left waiting (a reload, a closed tab) goes now.
  if (panel) {
    store("readonly", (outbox) => outbox.getAll()).then((all) => {
      entries = all.filter((entry) => entry.user === user);
      show();
      drain();
    });
  }
})();
