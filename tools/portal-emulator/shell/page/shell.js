// The portal side of the Bitrix24 frame protocol, as the portal's app layout
// script implements it (modules/rest/install/js/rest/applayout.js of the rest
// module). The app page runs in an iframe whose name is
// "DOMAIN|PROTOCOL|APP_SID"; it posts "command:JSON-params:callbackId:APP_SID"
// (or an object {method, params, callback, appSid}) to this page, and this page
// replies "callbackId:JSON-result" to the app's origin. Tokens come from the
// emulator's auth registry through its control endpoints, so REST calls from
// the app meet the same checks as any other token.
//
// State for tests is on `window.portalShell`; it never holds a token.

const REST_PATH = "/rest/";
const TITLE_PREFIX = "Portal emulator: ";

const query = new URLSearchParams(location.search);
const state = {
  appSid: query.get("appSid") ?? randomSid(),
  appOrigin: null,
  ready: false,
  /** Commands from the app, in arrival order: {command, answered}. */
  commands: [],
  /** Messages that were not accepted: {origin, reason}. */
  rejected: [],
  /** The number of refreshAuth commands that got a new token. */
  refreshes: 0,
  title: null,
  installFinished: false,
  error: null,
};
window.portalShell = state;

let token = null;
let frame = null;
let firstRun = flag("firstRun", false);
// Refreshes run one after another, because each refresh token works once.
let refreshChain = Promise.resolve();

const handlers = {
  getInitData: (_params, answer) => {
    answer(initData());
    firstRun = false;
  },
  refreshAuth: (_params, answer) => {
    refreshChain = refreshChain.then(() => refresh(answer));
  },
  getInterface: (_params, answer) => {
    answer({ command: Object.keys(handlers), event: [] });
  },
  setTitle: (params, answer) => {
    state.title = String(params?.title ?? "");
    document.getElementById("shell-title").textContent = TITLE_PREFIX + state.title;
    answer(params);
  },
  resizeWindow: (params, answer) => {
    const width = params?.width === "100%" ? "100%" : `${Number.parseInt(params?.width, 10) || 100}px`;
    const height = Number.parseInt(params?.height, 10);
    frame.style.width = width;
    if (height > 0) {
      frame.style.height = `${height}px`;
    }
    const box = frame.getBoundingClientRect();
    answer({ width: box.width, height: box.height });
  },
  setScroll: (params, answer) => answer(params),
  setInstall: (params, answer) => answer(params),
  setInstallFinish: (params, answer) => {
    state.installFinished = params?.value !== false;
    answer(params);
  },
  setAppOption: (params, answer) => answer(params),
  setUserOption: (params, answer) => answer(params),
  reloadWindow: () => {
    frame.src = frame.src;
  },
};

start().catch((error) => fail(`the shell could not start: ${error.message}`));

async function start() {
  const app = query.get("app");
  if (app === null) {
    throw new Error("the address has no app parameter; open /_shell/?app=<app page URL>");
  }
  const appUrl = new URL(app);
  if (appUrl.protocol !== "http:" && appUrl.protocol !== "https:") {
    throw new Error(`the app URL must use http or https, got ${appUrl.protocol}`);
  }
  state.appOrigin = appUrl.origin;

  token = await controlRequest("/_emulator/tokens", {
    scopes: query.has("scopes") ? query.get("scopes").split(",").filter(Boolean) : undefined,
    lifetimeMs: query.has("tokenLifetimeMs") ? Number(query.get("tokenLifetimeMs")) : undefined,
  });

  window.addEventListener("message", onMessage);
  frame = document.createElement("iframe");
  frame.id = "app-frame";
  // The app library reads DOMAIN, PROTOCOL and APP_SID from window.name.
  frame.name = `${location.host}|${location.protocol === "https:" ? 1 : 0}|${state.appSid}`;
  frame.src = appUrl.href;
  document.getElementById("shell-main").append(frame);
  state.ready = true;
}

function onMessage(event) {
  if (event.origin !== state.appOrigin) {
    return reject(event.origin, "unexpected origin");
  }
  if (event.source !== frame.contentWindow) {
    return reject(event.origin, "not the app frame");
  }

  const message = parseMessage(event.data);
  if (message === null) {
    return reject(event.origin, "not a frame protocol message");
  }
  if (message.appSid !== state.appSid) {
    return reject(event.origin, "wrong APP_SID");
  }

  const entry = { command: message.command, answered: false };
  state.commands.push(entry);
  showLog(message.command);
  const handler = Object.hasOwn(handlers, message.command) ? handlers[message.command] : undefined;
  if (handler === undefined) {
    // The portal sends no reply to a command it does not offer.
    entry.unsupported = true;
    return undefined;
  }
  const answer = (result) => {
    entry.answered = true;
    if (message.callback) {
      const text = result === undefined ? "" : JSON.stringify(result);
      frame.contentWindow.postMessage(`${message.callback}:${text}`, state.appOrigin);
    }
  };
  handler(message.params, answer);
  return undefined;
}

// Splits "command:params:callback:appSid" the way the portal does: the first
// part is the command, the last two are the callback id and APP_SID, and what
// lies between is the JSON params, which may contain colons themselves.
function parseMessage(data) {
  if (data !== null && typeof data === "object") {
    return {
      command: String(data.method ?? ""),
      params: data.params || {},
      callback: data.callback ? String(data.callback) : "",
      appSid: String(data.appSid ?? ""),
    };
  }
  if (typeof data !== "string") {
    return null;
  }
  const parts = data.split(":");
  if (parts.length < 3) {
    return null;
  }
  const paramsText = parts.slice(1, parts.length - 2).join(":");
  let params = {};
  if (paramsText !== "") {
    try {
      params = JSON.parse(paramsText);
    } catch {
      return null;
    }
  }
  return { command: parts[0], params, callback: parts[parts.length - 2], appSid: parts[parts.length - 1] };
}

function initData() {
  return {
    DOMAIN: location.host,
    PATH: REST_PATH,
    LANG: query.get("lang") ?? "en",
    PROTOCOL: location.protocol === "https:" ? 1 : 0,
    AUTH_ID: token.access_token,
    REFRESH_ID: token.refresh_token,
    AUTH_EXPIRES: authExpires(),
    IS_ADMIN: flag("admin", true),
    MEMBER_ID: token.member_id,
    APP_OPTIONS: json("appOptions", {}),
    USER_OPTIONS: json("userOptions", {}),
    PLACEMENT: query.get("placement") ?? "DEFAULT",
    PLACEMENT_OPTIONS: json("placementOptions", {}),
    INSTALL: flag("install", false),
    FIRST_RUN: firstRun,
  };
}

// AUTH_EXPIRES is in seconds. The authExpires parameter overrides it, so that
// a test can make the app believe in a token the portal has already expired,
// as a skewed clock does.
function authExpires() {
  return query.has("authExpires") ? Number(query.get("authExpires")) : token.expires_in;
}

async function refresh(answer) {
  try {
    token = await controlRequest("/_emulator/refresh", { refresh_token: token.refresh_token });
  } catch (error) {
    // The portal page shows an alert and never answers when it gets no new token.
    fail(`refreshAuth failed: ${error.message}`);
    return;
  }
  state.refreshes += 1;
  answer({ AUTH_ID: token.access_token, AUTH_EXPIRES: authExpires(), REFRESH_ID: token.refresh_token });
}

async function controlRequest(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) {
    throw new Error(`${path} returned ${response.status} ${answer.error}: ${answer.error_description}`);
  }
  return answer;
}

function reject(origin, reason) {
  state.rejected.push({ origin, reason });
  showLog(`rejected a message from ${origin}: ${reason}`);
}

function fail(message) {
  state.error = message;
  const element = document.getElementById("shell-error");
  element.textContent = message;
  element.hidden = false;
}

function showLog(text) {
  const item = document.createElement("li");
  item.textContent = text;
  document.getElementById("shell-log").append(item);
}

function flag(name, fallback) {
  return query.has(name) ? query.get(name) === "Y" : fallback;
}

function json(name, fallback) {
  return query.has(name) ? JSON.parse(query.get(name)) : fallback;
}

function randomSid() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, "0")).join("");
}
