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
    // A stocktake's cell stepped by hand is counted (the unscanned rule leaves it).
    if (input.dataset.shown !== undefined) input.closest(".cell").classList.add("counted");
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

  // The print button of a printout.
  document.addEventListener("click", (event) => {
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
  // the next tap goes to the login. The first poll compares with the version the page
  // was drawn at (data-live-version, as the ETag quotes it), so a change made while the
  // page loaded is not taken for where it started.
  const liveUrl = document.body.dataset.live;
  if (liveUrl) {
    let seen = `"${document.body.dataset.liveVersion}"`;
    const poll = async () => {
      if (document.hidden || polling === null) return;
      try {
        const response = await fetch(liveUrl, {
          headers: { "If-None-Match": seen }, cache: "no-store", credentials: "same-origin",
        });
        if (response.status === 401) {
          clearInterval(polling);
          polling = null;
          return;
        }
        StockApp.connection.back();
        const version = response.headers.get("ETag");
        if (response.status !== 200 || !version) return;
        if (version !== seen) htmx.trigger(document.body, "stock-changed", { live: true });
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
    // One send at a time: the one on its way sends what changed meanwhile once answered.
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

  // ---- Scanning --------------------------------------------------------------------
  // One behaviour for every scan field (templates/_macros/scan.html, marked data-scan).
  // A keyboard-wedge scanner types a code and presses Enter; the camera sets the field's
  // value and dispatches the same keydown Enter (or calls StockApp.scan(field, code)).
  // Every code is queued and handled in order, one at a time: a code the screen knows
  // (a cell's data-barcode) at once, any other after the server's answer, so scans that
  // arrive while a form is being rendered again wait their turn and none is lost or
  // glued to the next. The field is cleared at once, whatever the code turns out to be.
  const scanQueue = [];
  let scanning = false;
  // Keys this close together on average, at least 4 and ending in Enter, are a
  // scanner's, not a hand's. One gap may be longer (a Bluetooth scanner's, or a busy
  // tablet's) up to BURST_GAP_MS; a longer one starts a new burst.
  const WEDGE_MS = 50;
  const BURST_GAP_MS = 200;

  // The field a code was fed to, or, once its form was rendered again, the one in front.
  const liveField = (field) => (field.isConnected ? field : scanField());
  // Where a field's codes are: its form, or the page (the product page's matrix).
  const cellFor = (field, code) =>
    (field.form || field.closest("main") || document).querySelector(`[data-barcode="${CSS.escape(code)}"]`);

  function scanSay(field, text, error) {
    const box = field.closest(".field");
    const message = box.querySelector(".scan-message");
    message.textContent = text;
    message.classList.toggle("error", error);
    box.classList.toggle("has-error", error);
    if (error) field.setAttribute("aria-invalid", "true");
    else field.removeAttribute("aria-invalid");
  }

  // The scanned cell: marked (until the next scan), and scrolled into view.
  let scanMarked = null;
  function scanMark(target) {
    const cell = target.closest(".cell, td") || target;
    if (scanMarked) scanMarked.classList.remove("scanned");
    scanMarked = cell;
    void cell.offsetWidth;  // restart the highlight
    cell.classList.add("scanned");
    cell.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  // A code of a cell on the screen: one more in it. A stocktake's cell (data-shown)
  // counts from 0 at its first scan; a cell at its data-max (fully picked) is refused.
  function scanCount(field, target) {
    const cell = target.closest(".cell");
    const counting = target.dataset.shown !== undefined;
    const base = counting && !cell.classList.contains("counted") ? 0 : parseInt(target.value, 10) || 0;
    scanMark(target);
    if (target.dataset.max && base >= parseInt(target.dataset.max, 10)) {
      scanSay(field, field.dataset.full.replace("%s", target.dataset.label), true);
      return;
    }
    target.value = base + 1;
    if (counting) {
      cell.classList.add("counted");
      cell.classList.remove("zeroed");
    }
    target.dispatchEvent(new Event("input", { bubbles: true }));
    scanSay(field, target.dataset.label + " → " + target.value, false);
  }

  // The server could not be reached (htmx's request failed, or fetch did).
  class Unreachable extends Error {}
  const reach = (promise) => promise.catch(() => { throw new Unreachable(); });

  // A code the screen does not know: the server adds it to the form (data-scan-add) or
  // finds its style (data-scan-lookup); else it is named and nothing changes. Throws
  // Unreachable when the server cannot be reached, so the code is tried again.
  async function scanAsk(field, code) {
    if (field.dataset.scanAdd) {
      await reach(htmx.ajax("GET", field.dataset.scanAdd, {
        source: field, target: field.form, swap: "outerHTML", values: { [field.name]: code },
      }));
      // The server counted the piece; say so unless it refused the code.
      const now = liveField(field);
      const target = now && cellFor(now, code);
      if (target && !now.closest(".field").classList.contains("has-error")) {
        scanSay(now, target.dataset.label + " → " + target.value, false);
        scanMark(target);
      }
      return true;
    }
    if (field.dataset.scanLookup) {
      const url = new URL(field.dataset.scanLookup, location.href);
      url.searchParams.set("q", code);
      const response = await reach(fetch(url, {
        credentials: "same-origin", headers: { "HX-Request": "true", "HX-Trigger": "search" },
      }));
      const found = response.headers.get("HX-Redirect");
      if (found) {
        scanQueue.length = 0;  // this page is left
        location.assign(found);
        return false;
      }
    }
    scanSay(field, field.dataset.unknown.replace("%s", code), true);
    return true;
  }

  async function scanDrain() {
    if (scanning) return;
    scanning = true;
    while (scanQueue.length) {
      const [fed, code] = scanQueue[0];
      const field = liveField(fed);
      try {
        const target = field && cellFor(field, code);
        if (!field) {
          // The field is gone (the page changed under it): nothing to scan into.
        } else if (target && target.matches("input")) {
          scanCount(field, target);
        } else if (target) {
          scanSay(field, target.dataset.label, false);  // the product page: show its figures
          scanMark(target);
        } else if (!(await scanAsk(field, code))) {
          break;
        }
        scanQueue.shift();
      } catch (error) {
        if (!(error instanceof Unreachable)) {
          scanQueue.shift();
          scanning = false;
          throw error;
        }
        // No connection: this code and those after it wait, in order, and are tried again.
        StockApp.connection.lost();
        await new Promise((resolve) => { setTimeout(resolve, 2000); });
      }
    }
    scanning = false;
    scanFocus();
  }

  function scan(field, code) {
    const text = String(code).trim();
    if (text) {
      scanQueue.push([field, text.slice(0, 100)]);
      scanDrain();
    }
  }
  window.StockApp = Object.assign(window.StockApp || {}, { scan });

  document.addEventListener("keydown", (event) => {
    const field = event.target;
    if (event.key !== "Enter" || !(field instanceof HTMLInputElement) || !field.matches("[data-scan]")) return;
    event.preventDefault();
    const code = field.value;
    field.value = "";
    scan(field, code);
  });
  // The Add button beside a field that takes a typed style code too.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-scan-button]");
    if (!button) return;
    const field = button.parentElement.querySelector("[data-scan]");
    const code = field.value;
    field.value = "";
    scan(field, code);
  });

  // The scan field of what is in front: the open dialog's, else the page's.
  function scanField() {
    const dialog = modal();
    if (dialog && dialog.open) return dialog.querySelector("[data-scan]");
    return Array.from(document.querySelectorAll("[data-scan]")).find((field) => !field.closest("dialog"));
  }
  const typing = (element) => element instanceof Element &&
    element.matches("input:not([data-scan]):not([type=checkbox]):not([type=radio]):not([type=button]), textarea, select");

  // The scan field has the focus on load and after every action that is not typing in
  // another field: a tap, a dialog opened, swapped or closed, a form rendered again.
  function scanFocus() {
    const field = scanField();
    const active = document.activeElement;
    if (!field || active === field) return;
    const dialog = modal();
    if (typing(active) && (!dialog || !dialog.open || dialog.contains(active))) return;
    field.focus({ preventScroll: true });
  }
  const scanFocusSoon = () => { setTimeout(scanFocus, 0); };
  scanFocus();
  document.addEventListener("htmx:afterSettle", scanFocusSoon);
  document.addEventListener("click", scanFocusSoon);
  if (modal()) modal().addEventListener("close", scanFocusSoon);

  // A scanner's burst that lands in another field (a cell being typed in, the note): on
  // its Enter the field gets back what it had, and the code goes to the scan field.
  const burst = { field: null, before: "", counted: false, keys: "", first: 0, last: 0 };
  // A stocktake's cell the burst typed in is as counted as it was before it.
  const countedCell = (field) => (field.dataset.shown === undefined ? null : field.closest(".cell"));
  document.addEventListener("keydown", (event) => {
    const field = event.target;
    if (!typing(field) || field.matches("select")) {
      burst.field = null;
      return;
    }
    const plain = event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey;
    const going = burst.field === field && event.timeStamp - burst.last <= BURST_GAP_MS;
    if (plain) {
      if (!going) {
        const cell = countedCell(field);
        const counted = Boolean(cell && cell.classList.contains("counted"));
        Object.assign(burst, { field, before: field.value, counted, keys: "", first: event.timeStamp });
      }
      burst.keys += event.key;
      burst.last = event.timeStamp;
      return;
    }
    const scanner = (field.form && field.form.querySelector("[data-scan]")) || scanField();
    const quick = going && burst.keys.length >= 4 &&
      (burst.last - burst.first) / (burst.keys.length - 1) <= WEDGE_MS;
    if (event.key === "Enter" && quick && scanner) {
      event.preventDefault();
      field.value = burst.before;
      if (countedCell(field)) countedCell(field).classList.toggle("counted", burst.counted);
      field.dispatchEvent(new Event("input", { bubbles: true }));
      scanner.focus({ preventScroll: true });
      scan(scanner, burst.keys);
    }
    burst.field = null;
  }, true);

  // Counting by scanner (盘点): a size typed or stepped by hand is counted too, and
  // "every unscanned size to 0" shows 0 in each size not counted before it is saved.
  document.addEventListener("input", (event) => {
    if (event.isTrusted && event.target.matches("input[data-shown]")) {
      event.target.closest(".cell").classList.add("counted");
    }
  });
  document.addEventListener("change", (event) => {
    const rule = event.target;
    if (!rule.matches("[data-zero-unscanned]")) return;
    rule.form.querySelectorAll("input[data-shown]").forEach((input) => {
      const cell = input.closest(".cell");
      if (cell.classList.contains("counted")) return;
      cell.classList.toggle("zeroed", rule.checked);
      input.value = rule.checked ? "0" : input.defaultValue;
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });
  // ---- end of Scanning -------------------------------------------------------------
})();
