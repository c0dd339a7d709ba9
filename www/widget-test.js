// Helpers for tests/e2e/widget.test.mjs: the package entry, a client that
// replays fixed response bodies, a record of live timers, and a snapshot of
// what the widget shows. The tests call them through page.evaluate.
import { mountImportProgress, webhookClient, WatchError } from "/js/browser.js";

// Counts the intervals that are set and not yet cleared, so a test can see
// that stop() clears the widget's clock.
const liveIntervals = new Set();
const setIntervalOriginal = window.setInterval.bind(window);
const clearIntervalOriginal = window.clearInterval.bind(window);
window.setInterval = (handler, ms, ...rest) => {
  const id = setIntervalOriginal(handler, ms, ...rest);
  liveIntervals.add(id);
  return id;
};
window.clearInterval = (id) => {
  liveIntervals.delete(id);
  clearIntervalOriginal(id);
};

/**
 * A client function for `options.client`. `get` lists the answers to
 * configuration.import.get in order, and the last one repeats. An entry is
 * `{body}` (resolved as the whole response body) or `{fail: message}`
 * (rejects with a TypeError, which the watch treats as a network error and
 * retries). `unregister` is the body for configuration.import.unregister.
 */
function replay({ get, unregister = { result: { success: "Y" } } }) {
  const calls = [];
  const client = async (method, params) => {
    calls.push({ method, params });
    if (method === "configuration.import.unregister") return unregister;
    const entry = get[Math.min(calls.filter((call) => call.method === method).length - 1, get.length - 1)];
    if (entry.fail !== undefined) throw new TypeError(entry.fail);
    return entry.body;
  };
  client.calls = calls;
  return client;
}

/** The shadow root of the mounted widget, or null. */
function shadow() {
  return document.querySelector("b24-import-progress")?.shadowRoot ?? null;
}

/** What the widget shows, as plain data. */
function snapshot() {
  const root = shadow();
  if (!root) return null;
  const text = (selector) => root.querySelector(selector)?.textContent ?? null;
  const widget = root.querySelector(".widget");
  const bar = root.querySelector("[role=progressbar]");
  const cancel = root.querySelector(".cancel");
  return {
    kind: widget.dataset.kind,
    theme: widget.dataset.theme,
    lang: widget.getAttribute("lang"),
    title: text(".title"),
    subtitle: text(".subtitle"),
    detail: text(".detail"),
    section: text(".section"),
    connection: root.querySelector(".connection").dataset.active === "true" ? text(".connection") : null,
    elapsed: text(".elapsed"),
    next: text(".next"),
    live: root.querySelector("[aria-live]").textContent,
    steps: [...root.querySelectorAll(".step")].map((step) => ({
      name: step.querySelector(".name").textContent,
      state: step.dataset.state,
      current: step.getAttribute("aria-current"),
    })),
    bar: {
      now: bar.getAttribute("aria-valuenow"),
      min: bar.getAttribute("aria-valuemin"),
      max: bar.getAttribute("aria-valuemax"),
      text: bar.getAttribute("aria-valuetext"),
    },
    lists: [...root.querySelectorAll(".list:not([hidden])")].map((list) => ({
      type: list.dataset.type,
      title: list.querySelector(".list-title").textContent,
      items: [...list.querySelectorAll("li")].map((item) => item.textContent),
      collapsed: !list.querySelector("details").hidden,
      summary: list.querySelector("summary").textContent,
    })),
    cancel: cancel.hidden
      ? null
      : {
          open: !root.querySelector(".cancel > .button").hidden,
          confirming: !root.querySelector(".confirm").hidden,
          result: root.querySelector(".cancel-result").hidden ? null : text(".cancel-result"),
        },
  };
}

window.widgetTest = {
  mountImportProgress,
  webhookClient,
  WatchError,
  replay,
  shadow,
  snapshot,
  liveIntervals: () => liveIntervals.size,
};
document.body.dataset.ready = "true";
