// The portal shell: a page on the portal's origin that embeds an app page in an
// iframe and replies to its frame-protocol commands, as a Bitrix24 portal page
// does, and a second listener that serves app pages from another origin.

import http from "node:http";
import { fileURLToPath } from "node:url";

import { createStaticHandler } from "../static.mjs";

/** The directory of the shell page, served at SHELL_PREFIX on the portal's origin. */
export const SHELL_PAGE_DIR = fileURLToPath(new URL("./page/", import.meta.url));
export const SHELL_PREFIX = "/_shell/";

const HOST = "127.0.0.1";

/**
 * Starts a static file server for app pages on 127.0.0.1 and resolves with
 * `{url, close()}`. The port differs from the portal's, so the app page runs
 * on another origin, as apps do on a real portal. `roots` maps URL prefixes to
 * absolute directories, as the emulator's `staticRoots` does.
 */
export async function startAppServer({ roots, port = 0, log = () => {} }) {
  const serveStatic = await createStaticHandler(roots);
  const sockets = new Set();

  const server = http.createServer((req, res) => {
    const [rawPath] = String(req.url ?? "/").split("?");
    serveStatic(req, res, rawPath)
      .then((served) => {
        if (!served) {
          res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
          res.end("Not found\n");
        }
      })
      .catch((error) => {
        log(`app server: internal error on ${req.method} ${rawPath.slice(0, 200)}: ${error.message}`);
        if (res.headersSent) {
          res.destroy();
          return;
        }
        res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
        res.end("Internal server error\n");
      });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const url = `http://${HOST}:${server.address().port}`;
  log(`app pages on ${url}`);

  let closing = null;
  return {
    url,
    close() {
      if (closing === null) {
        closing = new Promise((resolve) => {
          server.close(() => resolve());
          for (const socket of sockets) {
            socket.destroy();
          }
        });
      }
      return closing;
    },
  };
}

/**
 * Builds the address of the shell page that opens `app` (an absolute URL, or a
 * path resolved against `appBaseUrl`). The other options set what the shell
 * sends in `getInitData`; tools/portal-emulator/shell/README.md lists them.
 */
export function buildShellUrl(portalUrl, appBaseUrl, options) {
  const {
    app,
    scopes,
    tokenLifetimeMs,
    authExpiresS,
    lang,
    placement,
    placementOptions,
    appOptions,
    userOptions,
    isAdmin,
    install,
    firstRun,
    appSid,
    ...unknown
  } = options ?? {};
  const unknownNames = Object.keys(unknown);
  if (unknownNames.length > 0) {
    throw new TypeError(`unknown shell option ${unknownNames[0]}; see the options in tools/portal-emulator/shell/README.md`);
  }
  if (typeof app !== "string" || app === "") {
    throw new TypeError("the shell needs options.app, the app page's URL or a path on the app server");
  }
  if (!/^https?:\/\//.test(app) && appBaseUrl === null) {
    throw new TypeError(`app "${app.slice(0, 100)}" is a path, but no app server runs: pass appRoots to startEmulator or an absolute URL`);
  }

  const query = new URLSearchParams();
  query.set("app", new URL(app, appBaseUrl ?? undefined).href);
  if (scopes !== undefined) {
    if (!Array.isArray(scopes) || !scopes.every((scope) => typeof scope === "string" && !scope.includes(","))) {
      throw new TypeError(`scopes must be an array of scope names, got ${JSON.stringify(scopes)}`);
    }
    query.set("scopes", scopes.join(","));
  }
  setInteger(query, "tokenLifetimeMs", tokenLifetimeMs, 1);
  setInteger(query, "authExpires", authExpiresS, 0);
  setText(query, "lang", lang);
  setText(query, "placement", placement);
  setText(query, "appSid", appSid);
  setJson(query, "placementOptions", placementOptions);
  setJson(query, "appOptions", appOptions);
  setJson(query, "userOptions", userOptions);
  setFlag(query, "admin", isAdmin);
  setFlag(query, "install", install);
  setFlag(query, "firstRun", firstRun);
  return `${portalUrl}${SHELL_PREFIX}?${query}`;
}

function setInteger(query, name, value, min) {
  if (value === undefined) {
    return;
  }
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`${name} must be an integer of at least ${min}, got ${JSON.stringify(value)}`);
  }
  query.set(name, String(value));
}

function setText(query, name, value) {
  if (value === undefined) {
    return;
  }
  if (typeof value !== "string" || value === "") {
    throw new TypeError(`${name} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  query.set(name, value);
}

function setJson(query, name, value) {
  if (value !== undefined) {
    query.set(name, JSON.stringify(value));
  }
}

function setFlag(query, name, value) {
  if (value === undefined) {
    return;
  }
  if (typeof value !== "boolean") {
    throw new TypeError(`${name} must be true or false, got ${JSON.stringify(value)}`);
  }
  query.set(name, value ? "Y" : "N");
}
