// StockApp's little bit of JavaScript: the dialog, messages, steppers, the scanner,
// live counts and saving picks as they happen (through the outbox, outbox.js).
// Everything else is htmx and server-rendered HTML.
(function () {
  "use strict";

  const modal = () => document.getElementById("modal");

  // The dialog opens when htmx puts a form into it, and closes when stock changed.
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target.id !== "modal-body") return;
    const dialog = modal();
    // Someone already typing in a cell of the new content keeps their place.
    const active = document.activeElement;
    const typing = dialog.contains(active) && active.matches("input:not([data-scan]), textarea");
    if (!dialog.open) dialog.showModal();
    if (typing) return;
    // Otherwise the scan field: a wedge scanner types into the focused field.
    const first = dialog.querySelector("[data-scan]") ||
      dialog.querySelector("input:not([type=hidden]), button");
    if (first) first.focus();
  });
  document.body.addEventListener("stock-changed", (event) => {
    // This tablet's own save closes its dialog; a change from elsewhere does not.
    if (event.detail && event.detail.live) return;
    const dialog = modal();
    if (dialog && dialog.open) dialog.close();
  });
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-close-modal]")) modal().close();
  });

  // The header's menus ("More", the user's name; issue 13): one open at a time, closed by a
  // tap anywhere else or by Escape.
  const closeMenus = (except) => {
    document.querySelectorAll("details.menu[open]").forEach((menu) => {
      if (menu !== except) menu.open = false;
    });
  };
  document.addEventListener("click", (event) => closeMenus(event.target.closest("details.menu")));
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") closeMenus(null); });

  // Short confirmations ("入库 12 件") sent by the server in an HX-Trigger header.
  let toastTimer;
  document.body.addEventListener("show-message", (event) => {
    const toast = document.getElementById("toast");
    toast.textContent = event.detail.value || event.detail.text || "";
    toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { toast.hidden = true; }, 4000);
  });

  // Something is loading: a bar at the top of the page.
  let running = 0;
  document.addEventListener("htmx:beforeRequest", () => { running += 1; document.body.classList.add("busy"); });
  document.addEventListener("htmx:afterRequest", () => {
    running = Math.max(running - 1, 0);
    if (!running) document.body.classList.remove("busy");
  });

  // + and − beside a quantity.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-step]");
    if (!button) return;
    const input = button.parentElement.querySelector("input");
    const next = (parseInt(input.value, 10) || 0) + parseInt(button.dataset.step, 10);
    input.value = clamp(input, next);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });

  // Stocktake: show counted − on hand beside each cell as it is typed.
  document.addEventListener("input", (event) => {
    const input = event.target;
    if (!input.matches("input[data-shown]")) return;
    const diff = input.closest(".cell").querySelector(".diff");
    const shown = parseInt(input.dataset.shown, 10);
    const counted = input.value === "" ? shown : parseInt(input.value, 10);
    const delta = Number.isNaN(counted) ? 0 : counted - shown;
    diff.textContent = delta === 0 ? "" : (delta > 0 ? "+" : "") + delta;
    diff.className = "diff" + (delta > 0 ? " up" : delta < 0 ? " down" : "");
  });

  // A keyboard-wedge scanner types the barcode and presses Enter.
  document.addEventListener("keydown", (event) => {
    const scan = event.target;
    if (event.key !== "Enter" || !scan.matches("input[data-scan]")) return;
    event.preventDefault();
    const code = scan.value.trim();
    scan.value = "";
    if (!code) return;
    const form = scan.form;
    const message = form.querySelector(".scan-message");
    const input = form.querySelector(`input[data-barcode="${CSS.escape(code)}"]`);
    if (!input && scan.matches("[data-add]")) {
      // Not on the form yet: the server adds its style (and this piece).
      scan.value = code;
      htmx.trigger(scan, "add-style");
      return;
    }
    if (!input) {
      message.textContent = scan.dataset.unknown.replace("%s", code);
      message.classList.add("error");
      return;
    }
    const base = input.value === "" ? parseInt(input.dataset.shown || "0", 10) : parseInt(input.value, 10) || 0;
    if (input.dataset.max && base >= parseInt(input.dataset.max, 10)) {
      message.textContent = scan.dataset.full.replace("%s", input.dataset.label);
      message.classList.add("error");
      return;
    }
    input.value = base + 1;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    message.textContent = input.dataset.label + " → " + input.value;
    message.classList.remove("error");
    const cell = input.closest(".cell");
    cell.classList.remove("scanned");
    void cell.offsetWidth;  // restart the highlight
    cell.classList.add("scanned");
  });

  // The "Add" button beside a style field, and the print button of a printout.
  document.addEventListener("click", (event) => {
    const add = event.target.closest("[data-add-button]");
    if (add) htmx.trigger(add.parentElement.querySelector("[data-add]"), "add-style");
    if (event.target.closest("[data-print]")) window.print();
  });

  // A quantity stays within 0 … its data-max (an order line's ordered pieces).
  function clamp(input, value) {
    const max = input.dataset.max === undefined ? Infinity : parseInt(input.dataset.max, 10);
    return Math.min(Math.max(value, 0), max);
  }

  // Live counts: every 2 s ask whether stock, reservations or picks changed on any
  // device (an empty 304 when not); on a change fire stock-changed, which the parts
  // of the page that show counts listen to. A 401 (the session ended) stops it:
  // the next tap goes to the login.
  const liveUrl = document.body.dataset.live;
  if (liveUrl) {
    let seen = null;
    const poll = async () => {
      if (document.hidden || polling === null) return;
      try {
        const response = await fetch(liveUrl, {
          headers: seen ? { "If-None-Match": seen } : {}, cache: "no-store", credentials: "same-origin",
        });
        if (response.status === 401) {
          clearInterval(polling);
          polling = null;
          return;
        }
        StockApp.connection.back();
        const version = response.headers.get("ETag");
        if (response.status !== 200 || !version) return;
        if (seen !== null && version !== seen) htmx.trigger(document.body, "stock-changed", { live: true });
        seen = version;
      } catch (error) {
        // No connection: the next poll tries again.
      }
    };
    let polling = setInterval(poll, 2000);
    poll();
    document.addEventListener("visibilitychange", poll);
  }

  // Picking: a change of a cell (typing, − and +, a scan) is saved a moment later.
  // The form sends each cell's figure with the figure it started from (s-…), and the
  // server adds the difference to what is picked now, so picks from other tablets
  // are kept. A send that got no answer is sent again as it was, with the same key,
  // so it is never counted twice.
  const pick = { pending: null, timer: null };
  const pickForm = () => document.querySelector("form[data-pick]");
  const randomKey = () => Array.from(crypto.getRandomValues(new Uint8Array(16)),
    (b) => b.toString(16).padStart(2, "0")).join("");
  const pickInputs = (form) => form.querySelectorAll("input[name^='p-']");
  const saved = (input) => input.form.elements["s-" + input.name.slice(2)];
  const pickDirty = (form) => Array.from(pickInputs(form)).some((input) => input.value !== saved(input).value);
  const pickBusy = () => pick.pending !== null || pick.timer !== null;
  const waiting = [];

  function pickStatus(form, which) {
    const line = form.querySelector(".pick-status");
    if (line) line.textContent = which ? line.dataset[which + "Text"] : "";
  }

  document.addEventListener("input", (event) => {
    const input = event.target;
    const form = input.form;
    if (!form || !form.matches("[data-pick]") || !input.name.startsWith("p-")) return;
    const digits = input.value.replace(/[^0-9]/g, "");
    if (digits !== input.value) input.value = digits;
    if (digits !== "" && parseInt(digits, 10) > parseInt(input.dataset.max, 10)) input.value = input.dataset.max;
    clearTimeout(pick.timer);
    pick.timer = setTimeout(savePicks, 400);
    pickStatus(form, "saving");
  });
  document.addEventListener("submit", (event) => {
    if (!event.target.matches("[data-pick]")) return;
    event.preventDefault();
    clearTimeout(pick.timer);
    savePicks();
  });

  async function savePicks() {
    pick.timer = null;
    const form = pickForm();
    if (!form || pick.pending) return;
    const body = new FormData(form);
    body.set("key", randomKey());
    const sent = {};
    pickInputs(form).forEach((input) => { sent[input.name] = input.value; });
    // The outbox (outbox.js) sends it, or keeps it and sends it when the connection returns.
    pick.pending = StockApp.outbox.send({
      url: form.action, fields: Array.from(body.entries()), label: form.dataset.outbox,
      accept: "application/json", whileWaiting: () => pickStatus(form, "offline"),
    });
    const result = await pick.pending;
    pick.pending = null;
    if (typeof result.answer !== "object") {
      const message = form.querySelector(".scan-message");
      message.textContent = result.reason || "";
      message.classList.add("error");
      return;
    }
    const answer = result.answer;
    showPicks(form, answer, sent);
    if (pickDirty(form)) {
      pick.timer = setTimeout(savePicks, 400);
      return;
    }
    pickStatus(form, Object.keys(answer.errors).length ? null : "saved");
    waiting.splice(0).forEach((resume) => resume());
    // The totals and the other cells' availability: refresh the order now.
    htmx.trigger(document.body, "stock-changed", { live: true });
  }

  // The server's figures into the cells; a cell typed in since the send keeps what was typed.
  function showPicks(form, answer, sent) {
    pickInputs(form).forEach((input) => {
      const id = input.name.slice(2);
      const figure = answer.picked[id];
      if (figure === undefined) return;
      saved(input).value = String(figure);
      if (input.value === sent[input.name] || answer.errors[id]) input.value = String(figure);
      const cell = input.closest(".cell");
      const error = cell.querySelector(".error");
      error.textContent = answer.errors[id] || "";
      error.hidden = !answer.errors[id];
      cell.classList.toggle("has-error", Boolean(answer.errors[id]));
      cell.classList.toggle("done", input.value === input.dataset.max);
    });
    const message = form.querySelector(".scan-message");
    if (answer.errors.form && message) {
      message.textContent = answer.errors.form;
      message.classList.add("error");
    }
  }

  // The order is not refreshed under a picker's fingers: it waits for the picks to be saved.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const form = pickForm();
    if (form && event.detail.target.matches("[data-order-view]") && (pickBusy() || pickDirty(form))) {
      event.detail.shouldSwap = false;
    }
  });
  // 配货完成 on this tablet sends the picks not yet saved first.
  document.addEventListener("htmx:confirm", (event) => {
    if (!event.target.closest("[data-after-picks]") || !pickBusy()) return;
    event.preventDefault();
    waiting.push(() => event.detail.issueRequest());
    if (pick.timer !== null) {
      clearTimeout(pick.timer);
      savePicks();
    }
  });
})();
