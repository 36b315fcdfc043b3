// Scanning with the tablet's camera, for tablets without a wedge scanner. A camera
// button beside every scan field (input[data-scan], also those htmx brings in later)
// opens the rear camera in an overlay; each code read is fed to that field as a
// scanner types it: the code, then Enter. The browser's BarcodeDetector reads where it
// has one; elsewhere the vendored ZXing (static/VENDORED.md), loaded on first use only.
(function () {
  "use strict";

  const FORMATS = ["ean_13", "code_128", "qr_code"];
  // A code seen again within this long is the same label still in view: it counts once.
  // Out of view this long, the next sight of it is a new scan.
  const REPEAT_MS = 1500;
  const LOOK_EVERY_MS = 120;

  const overlay = () => document.getElementById("camera");
  // One opening of the overlay: closing it (or opening it again) ends the previous one.
  let session = null;
  let detector = null;
  let zxing = null;

  // A camera button beside every scan field: the field and its button share a row.
  function equip() {
    const dialog = overlay();
    if (!dialog) return;
    document.querySelectorAll("input[data-scan]").forEach((field) => {
      if (field.parentElement.matches(".camera-row")) return;
      const focused = document.activeElement === field;
      const row = document.createElement("span");
      row.className = "camera-row";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "camera-button";
      button.dataset.camera = "";
      button.textContent = dialog.dataset.button;
      button.title = dialog.dataset.buttonTitle;
      field.before(row);
      row.append(field, button);
      if (focused) field.focus();
    });
  }
  equip();
  new MutationObserver(equip).observe(document.body, { childList: true, subtree: true });

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-camera]");
    if (button) open(button.parentElement.querySelector("input[data-scan]"));
    if (event.target.closest("[data-close-camera]")) overlay().close();
  });

  async function open(field) {
    const dialog = overlay();
    const mine = { field, fieldId: field.id, stream: null, timer: null, last: null, seen: 0 };
    session = mine;
    chime.prepare();  // sound may only start from a tap
    dialog.querySelector(".camera-last").hidden = true;
    say("starting");
    if (!dialog.open) dialog.showModal();
    try {
      if (!window.isSecureContext) return say("insecure");
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return say("missing");
      let stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      } catch (error) {
        return say(["NotAllowedError", "SecurityError"].includes(error.name) ? "denied" : "missing");
      }
      mine.stream = stream;
      if (session !== mine) return stop(mine);  // closed while the browser asked
      const video = dialog.querySelector("video");
      video.srcObject = stream;
      await video.play();
      let read;
      try {
        read = await decoder();
      } catch (error) {
        return say("failed");
      }
      if (session !== mine) return;
      say("ready");
      look(mine, video, read);
    } catch (error) {
      // Never a broken page: whatever went wrong, the overlay says the camera is not there.
      if (session === mine) say("missing");
    }
  }

  function say(which) {
    const dialog = overlay();
    const status = dialog.querySelector(".camera-status");
    status.textContent = dialog.dataset[which];
    status.classList.toggle("error", !["starting", "ready"].includes(which));
    dialog.querySelector(".camera-view").hidden = !["starting", "ready"].includes(which);
  }

  // Look at the preview every moment until the overlay closes.
  async function look(mine, video, read) {
    if (session !== mine) return;
    let code = null;
    if (video.readyState >= video.HAVE_CURRENT_DATA) {
      try {
        code = await read(video);
      } catch (error) {
        code = null;  // a frame the reader could not take: the next one
      }
    }
    if (session !== mine) return;
    if (code) seen(mine, code);
    mine.timer = setTimeout(() => look(mine, video, read), LOOK_EVERY_MS);
  }

  function seen(mine, code) {
    const now = performance.now();
    const held = code === mine.last && now - mine.seen < REPEAT_MS;
    mine.last = code;
    mine.seen = now;
    if (held) return;
    // The scan field as a wedge scanner would fill it. A form htmx swapped since has a
    // new field of the same id.
    const field = mine.field.isConnected ? mine.field : document.getElementById(mine.fieldId);
    if (!field) return;
    mine.field = field;
    field.value = code;
    field.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    chime.play();
    const dialog = overlay();
    dialog.querySelector(".camera-code").textContent = dialog.dataset.last.replace("%s", code);
    dialog.querySelector(".camera-last").hidden = false;
    echo();
  }

  // What the form said about the scan ("黑色 M → 2", or an unknown code), shown in the
  // overlay too, since the overlay covers the form.
  function echo() {
    if (!session || !overlay().open) return;
    const field = session.field.isConnected ? session.field : document.getElementById(session.fieldId);
    const box = field && field.closest(".scan");
    const message = box && (box.querySelector(".scan-message:not(:empty)") || box.querySelector(".error"));
    const result = overlay().querySelector(".camera-result");
    result.textContent = message ? message.textContent : "";
    result.classList.toggle("error", Boolean(message && message.classList.contains("error")));
  }
  document.addEventListener("htmx:afterSettle", echo);

  function stop(mine) {
    clearTimeout(mine.timer);
    if (mine.stream) mine.stream.getTracks().forEach((track) => track.stop());
  }

  document.addEventListener("close", (event) => {
    if (event.target !== overlay() || !session) return;
    const mine = session;
    session = null;
    stop(mine);
    overlay().querySelector("video").srcObject = null;
    // Back to the scan field: a wedge scanner or the next tap carries on there.
    const field = mine.field.isConnected ? mine.field : document.getElementById(mine.fieldId);
    if (field) field.focus();
  }, true);
  // The camera is not kept on behind another app or a locked screen.
  document.addEventListener("visibilitychange", () => {
    if (document.hidden && overlay() && overlay().open) overlay().close();
  });

  // read(video) → the code in view, or null.
  async function decoder() {
    if (!detector) detector = await nativeDetector() || await zxingReader();
    return detector;
  }

  async function nativeDetector() {
    if (!("BarcodeDetector" in window)) return null;
    try {
      const supported = await window.BarcodeDetector.getSupportedFormats();
      if (!FORMATS.every((format) => supported.includes(format))) return null;
      const native = new window.BarcodeDetector({ formats: FORMATS });
      return async (video) => {
        const found = await native.detect(video);
        return found.length ? found[0].rawValue : null;
      };
    } catch (error) {
      return null;
    }
  }

  async function zxingReader() {
    const ZXing = await loadZxing();
    const { EAN_13, CODE_128, QR_CODE } = ZXing.BarcodeFormat;
    const reader = new ZXing.BrowserMultiFormatReader();
    reader.possibleFormats = [EAN_13, CODE_128, QR_CODE];
    const code128 = new ZXing.BrowserMultiFormatReader();
    code128.possibleFormats = [CODE_128];
    const frame = document.createElement("canvas");
    const part = document.createElement("canvas");
    const context = frame.getContext("2d", { willReadFrequently: true });
    const decode = (which, canvas) => {
      try {
        return which.decodeFromCanvas(canvas).getText();
      } catch (error) {
        return null;  // no code in this picture
      }
    };
    return async (video) => {
      frame.width = video.videoWidth;
      frame.height = video.videoHeight;
      context.drawImage(video, 0, 0);
      const code = decode(reader, frame);
      if (code) return code;
      // ZXing 0.2.1 (@zxing/library 0.22) mistakes a Code 128 that starts in code set C
      // (digits only, such as 200123456789) for code set B when anything dark lies left of
      // the label on the same line: its Code128Reader.findStartPattern shrinks its typed
      // array of bar widths after the first miss. Read such a code again from where a
      // white gap (the label's edge or its quiet zone) begins the line.
      for (const left of whiteGaps(context, frame.width, frame.height)) {
        part.width = frame.width - left;
        part.height = frame.height;
        part.getContext("2d").drawImage(frame, left, 0, part.width, part.height, 0, 0, part.width, part.height);
        const found = decode(code128, part);
        if (found) return found;
      }
      return null;
    };
  }

  // Up to three places along the middle line of the picture where a long light run
  // starts after something dark: where a label or a quiet zone could begin.
  function whiteGaps(context, width, height) {
    const line = context.getImageData(0, Math.floor(height / 2), width, 1).data;
    const light = [];
    let min = 255;
    let max = 0;
    for (let x = 0; x < width; x += 1) {
      const y = (line[4 * x] * 299 + line[4 * x + 1] * 587 + line[4 * x + 2] * 114) / 1000;
      light.push(y);
      min = Math.min(min, y);
      max = Math.max(max, y);
    }
    const threshold = (min + max) / 2;
    const least = Math.max(8, Math.round(width / 80));
    const gaps = [];
    let start = -1;
    for (let x = 1; x < width && gaps.length < 3; x += 1) {
      if (light[x] > threshold && light[x - 1] <= threshold) start = x;
      if (light[x] <= threshold && start >= 0) {
        if (x - start >= least) gaps.push(start + Math.floor((x - start) / 2));
        start = -1;
      }
    }
    return gaps;
  }

  // The ZXing script, from this site, the first time it is needed.
  function loadZxing() {
    if (!zxing) {
      zxing = new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = overlay().dataset.decoder;
        script.onload = () => resolve(window.ZXingBrowser);
        script.onerror = () => {
          zxing = null;  // offline a moment: the next opening tries again
          script.remove();
          reject(new Error("decoder not loaded"));
        };
        document.head.append(script);
      });
    }
    return zxing;
  }

  // A short beep and a buzz for each code read, where the tablet can.
  const chime = {
    context: null,
    prepare() {
      try {
        const Context = window.AudioContext || window.webkitAudioContext;
        if (!this.context && Context) this.context = new Context();
        if (this.context) this.context.resume();
      } catch (error) {
        this.context = null;
      }
    },
    play() {
      try {
        if (this.context) {
          const tone = this.context.createOscillator();
          const volume = this.context.createGain();
          tone.frequency.value = 1760;
          volume.gain.value = 0.15;
          tone.connect(volume).connect(this.context.destination);
          tone.start();
          tone.stop(this.context.currentTime + 0.08);
        }
        if (navigator.vibrate) navigator.vibrate(60);
      } catch (error) {
        // Silent: the code was read all the same.
      }
    },
  };
})();
