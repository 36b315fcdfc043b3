// StockApp's little bit of JavaScript: the dialog, messages, steppers and the scanner.
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
  document.body.addEventListener("stock-changed", () => {
    const dialog = modal();
    if (dialog && dialog.open) dialog.close();
  });
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-close-modal]")) modal().close();
  });

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

  // A dropped connection: say so, and leave the form as it is.
  const offline = (shown) => { document.getElementById("offline").hidden = !shown; };
  document.addEventListener("htmx:sendError", () => offline(true));
  document.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.successful || event.detail.xhr.status === 422) offline(false);
  });
  document.addEventListener("htmx:responseError", (event) => {
    if (event.detail.xhr.status >= 500) offline(true);
  });

  // + and − beside a quantity.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-step]");
    if (!button) return;
    const input = button.parentElement.querySelector("input");
    const next = (parseInt(input.value, 10) || 0) + parseInt(button.dataset.step, 10);
    input.value = Math.max(next, 0);
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
    if (!input) {
      message.textContent = scan.dataset.unknown.replace("%s", code);
      message.classList.add("error");
      return;
    }
    const base = input.value === "" ? parseInt(input.dataset.shown || "0", 10) : parseInt(input.value, 10) || 0;
    input.value = base + 1;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    message.textContent = input.dataset.label + " → " + input.value;
    message.classList.remove("error");
    const cell = input.closest(".cell");
    cell.classList.remove("scanned");
    void cell.offsetWidth;  // restart the highlight
    cell.classList.add("scanned");
  });
})();
