#!/usr/bin/env node
// A local Bitrix24 portal emulator for the configuration.import.* REST methods, with a
// simulated import agent, webhook and OAuth auth, fault injection and static files.
// Use it as a module (startEmulator) or run it as a command (see README.md).

import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { ImportRegistry } from "./agent.mjs";
import { AuthRegistry } from "./auth.mjs";
import { handleControl } from "./control.mjs";
import { encodePhpJson, errorBody } from "./envelope.mjs";
import { FaultScript } from "./faults.mjs";
import { BodyTooLargeError, handleRest } from "./gateway.mjs";
import { RestApi } from "./rest.mjs";
import { createStaticHandler } from "./static.mjs";
import { buildShellUrl, SHELL_PAGE_DIR, SHELL_PREFIX, startAppServer } from "./shell/index.mjs";

const HOST = "127.0.0.1";
const DEFAULT_AGENT_PERIOD_MS = 60_000;
const DEFAULT_TOKEN_LIFETIME_MS = 3_600_000;
// The request log keeps the newest entries only, so a long-running emulator stays small.
const MAX_LOGGED_REQUESTS = 10_000;

const CORS_HEADERS = Object.freeze({
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
  "Access-Control-Allow-Headers": "Content-Type, X-Emulator-Fault",
  "Access-Control-Expose-Headers": "Retry-After",
});

/**
 * Starts an emulator on 127.0.0.1 and resolves when it listens. Rejects when an option
 * is invalid, a static root does not exist, or the port is taken.
 *
 * Options, with defaults:
 * - `port`: 0, which picks a free port.
 * - `agentPeriodMs`: 60000. `firstRunDelayMs`: agentPeriodMs.
 * - `tokenLifetimeMs`: 3600000.
 * - `staticRoots`: URL prefix to absolute directory, none by default.
 * - `appRoots`: the same for app pages, served by a second listener on its own port
 *   (`appPort`, 0 by default), so that apps in the shell run on another origin.
 * - `log`: receives one line per request and never a secret or token.
 * - `now`: a clock in ms, Date.now by default. Tests pass a manual clock to move time.
 */
export async function startEmulator(options = {}) {
  const config = readOptions(options);
  const clock = config.now;
  const log = (line) => config.log(line);

  const sockets = new Set();
  const timers = new Set();
  let requestLog = [];
  let closed = false;
  let baseUrl = "";
  let appServer = null;

  const auth = new AuthRegistry({
    clock,
    tokenLifetimeMs: config.tokenLifetimeMs,
    domain: () => new URL(baseUrl).host,
  });
  const registry = new ImportRegistry({
    clock,
    agentPeriodMs: config.agentPeriodMs,
    firstRunDelayMs: config.firstRunDelayMs,
  });
  const api = new RestApi({ registry, clock });
  const faults = new FaultScript();
  const serveStatic = await createStaticHandler({ [SHELL_PREFIX]: SHELL_PAGE_DIR, ...config.staticRoots });

  const webhookUrlOf = ({ userId, secret }) => `${baseUrl}/rest/${userId}/${secret}/`;
  const setTimer = (callback, delayMs) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      callback();
    }, delayMs);
    timers.add(timer);
    return timer;
  };

  const context = {
    auth,
    registry,
    api,
    faults,
    clock,
    log,
    setTimer,
    clearTimer: (timer) => {
      clearTimeout(timer);
      timers.delete(timer);
    },
    isClosed: () => closed,
    recordRequest: ({ method, processId, auth: authKind }) => {
      const entry = { at: clock(), method, processId, auth: authKind, httpStatus: null, fault: null };
      requestLog.push(entry);
      if (requestLog.length > MAX_LOGGED_REQUESTS) {
        requestLog.splice(0, requestLog.length - MAX_LOGGED_REQUESTS);
      }
      return entry;
    },
    requests: () => requestLog.map((entry) => ({ ...entry })),
    reset: () => {
      requestLog = [];
      faults.clear();
    },
    info: () => ({
      url: baseUrl,
      restUrl: `${baseUrl}/rest/`,
      agentPeriodMs: config.agentPeriodMs,
      firstRunDelayMs: config.firstRunDelayMs,
      tokenLifetimeMs: config.tokenLifetimeMs,
      processes: registry.size,
      tokenRefreshes: auth.refreshCount,
      appUrl: appServer?.url ?? null,
    }),
    createWebhookUrl: (webhookOptions) => webhookUrlOf(auth.createWebhook(webhookOptions)),
  };

  const server = http.createServer((req, res) => {
    routeRequest(req, res, context, serveStatic).catch((error) => {
      if (closed || res.destroyed) {
        // The client or close() dropped the connection while the request was read.
        log(`connection closed before the response to ${req.method} ${describePath(req.url)}`);
        return;
      }
      log(`internal error on ${req.method} ${describePath(req.url)}: ${error.stack ?? error}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const body = encodePhpJson(errorBody("INTERNAL_SERVER_ERROR", "Internal server error"));
      res.writeHead(500, { "Content-Type": "application/json; charset=utf-8" });
      res.end(body);
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  baseUrl = `http://${HOST}:${server.address().port}`;
  const webhookUrl = webhookUrlOf(auth.createWebhook());
  log(`listening on ${baseUrl}`);

  if (config.appRoots !== null) {
    try {
      appServer = await startAppServer({ roots: config.appRoots, port: config.appPort, log });
    } catch (error) {
      await new Promise((resolve) => server.close(resolve));
      throw error;
    }
  }

  let closing = null;
  return {
    url: baseUrl,
    webhookUrl,
    /** Creates a webhook (all scopes unless `scopes` is given) and returns its URL. */
    createWebhook: (webhookOptions = {}) => context.createWebhookUrl(webhookOptions),
    issueToken: (tokenOptions = {}) => auth.issueToken(tokenOptions),
    refreshToken: (refreshToken) => auth.refreshToken(refreshToken),
    register: (scenario) => registry.register(scenario),
    setFaults: (script) => faults.replace(script),
    /** A copy of the request log, oldest first. */
    get requests() {
      return context.requests();
    },
    reset: () => context.reset(),
    /** The origin of the app pages (`appRoots`), or null when there are none. */
    appUrl: appServer?.url ?? null,
    /**
     * Returns the address of the portal shell that opens the app page `options.app`,
     * an absolute URL or a path on the app server. shell/README.md lists the options.
     */
    shellUrl: (shellOptions) => buildShellUrl(baseUrl, appServer?.url ?? null, shellOptions),
    /** The number of successful token refreshes, the shell's included. */
    get tokenRefreshes() {
      return auth.refreshCount;
    },
    /** Stops listening, drops every open connection (hung ones too) and cancels delayed responses. */
    close() {
      if (closing === null) {
        closed = true;
        closing = new Promise((resolve) => {
          server.close(() => resolve());
          for (const timer of timers) {
            clearTimeout(timer);
          }
          timers.clear();
          for (const socket of sockets) {
            socket.destroy();
          }
        })
          .then(() => appServer?.close())
          .then(() => log("stopped"));
      }
      return closing;
    },
  };
}

async function routeRequest(req, res, context, serveStatic) {
  for (const [name, value] of Object.entries(CORS_HEADERS)) {
    res.setHeader(name, value);
  }
  const [rawPath, rawQuery = ""] = splitTarget(req.url);

  if (req.method === "OPTIONS") {
    res.writeHead(204, { "Access-Control-Max-Age": "600" });
    res.end();
    return;
  }

  try {
    if (rawPath.startsWith("/rest/")) {
      await handleRest(req, res, rawPath, rawQuery, context);
      return;
    }
    if (rawPath.startsWith("/_emulator/")) {
      await handleControl(req, res, rawPath, context);
      return;
    }
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) {
      throw error;
    }
    const body = encodePhpJson(errorBody("EMULATOR_BODY_TOO_LARGE", error.message));
    res.writeHead(413, { "Content-Type": "application/json; charset=utf-8", Connection: "close" });
    res.end(body);
    return;
  }

  if (await serveStatic(req, res, rawPath)) {
    return;
  }
  res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
  res.end("Not found\n");
}

// Splits a request target into the raw path and query. The path is not normalized,
// so that the static handler can reject `..` segments.
function splitTarget(target) {
  const text = String(target ?? "/");
  const separator = text.indexOf("?");
  return separator === -1 ? [text] : [text.slice(0, separator), text.slice(separator + 1)];
}

// Webhook paths carry the secret, so error logs name only what precedes it.
function describePath(target) {
  const [rawPath] = splitTarget(target);
  return /^\/rest\/\d+\//.test(rawPath) ? "/rest/<webhook>/..." : rawPath.slice(0, 200);
}

function readOptions(options) {
  const config = {
    port: readInteger(options.port, "port", 0, 65535, 0),
    agentPeriodMs: readInteger(options.agentPeriodMs, "agentPeriodMs", 1, Number.MAX_SAFE_INTEGER, DEFAULT_AGENT_PERIOD_MS),
    tokenLifetimeMs: readInteger(options.tokenLifetimeMs, "tokenLifetimeMs", 1, Number.MAX_SAFE_INTEGER, DEFAULT_TOKEN_LIFETIME_MS),
    staticRoots: options.staticRoots ?? {},
    appRoots: options.appRoots ?? null,
    appPort: readInteger(options.appPort, "appPort", 0, 65535, 0),
    log: options.log ?? (() => {}),
    now: options.now ?? Date.now,
  };
  config.firstRunDelayMs = readInteger(options.firstRunDelayMs, "firstRunDelayMs", 0, Number.MAX_SAFE_INTEGER, config.agentPeriodMs);
  if (typeof config.log !== "function") {
    throw new TypeError("log must be a function that takes one line of text");
  }
  if (typeof config.now !== "function") {
    throw new TypeError("now must be a function that returns the time in ms");
  }
  if (typeof config.staticRoots !== "object" || config.staticRoots === null) {
    throw new TypeError("staticRoots must be an object mapping URL prefixes to absolute directory paths");
  }
  if (config.appRoots !== null && typeof config.appRoots !== "object") {
    throw new TypeError("appRoots must be an object mapping URL prefixes to absolute directory paths");
  }
  return config;
}

function readInteger(value, name, min, max, fallback) {
  if (value === undefined) {
    return fallback;
  }
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

const USAGE = `Usage: node tools/portal-emulator/server.mjs [options]

Options:
  --port N               port on 127.0.0.1 to listen on; 0 picks a free port (default 0)
  --agent-period-ms N    period of the simulated import agent in ms (default 60000)
  --first-run-ms N       delay from register to the first agent run in ms (default: the period)
  --token-lifetime-ms N  lifetime of OAuth access tokens in ms (default 3600000)
  --www DIR              serve DIR at /
  --dist DIR             serve DIR at /dist/
  --app-root DIR         serve DIR at / on a second port for app pages; the portal
                         shell at /_shell/?app=<app page URL> embeds them
  --app-port N           port of the app pages; 0 picks a free port (default 0)
  --help                 print this help

Prints {"url", "webhookUrl", "appUrl"} as one JSON line on stdout when listening, then logs
requests to stderr. Stops on SIGINT or SIGTERM.`;

async function main(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: "string" },
        "agent-period-ms": { type: "string" },
        "first-run-ms": { type: "string" },
        "token-lifetime-ms": { type: "string" },
        www: { type: "string" },
        dist: { type: "string" },
        "app-root": { type: "string" },
        "app-port": { type: "string" },
        help: { type: "boolean" },
      },
    }));
  } catch (error) {
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const staticRoots = {};
  if (values.www !== undefined) {
    staticRoots["/"] = path.resolve(values.www);
  }
  if (values.dist !== undefined) {
    staticRoots["/dist/"] = path.resolve(values.dist);
  }

  let options;
  try {
    options = {
      port: cliInteger(values.port, "--port"),
      agentPeriodMs: cliInteger(values["agent-period-ms"], "--agent-period-ms"),
      firstRunDelayMs: cliInteger(values["first-run-ms"], "--first-run-ms"),
      tokenLifetimeMs: cliInteger(values["token-lifetime-ms"], "--token-lifetime-ms"),
      staticRoots,
      appRoots: values["app-root"] === undefined ? undefined : { "/": path.resolve(values["app-root"]) },
      appPort: cliInteger(values["app-port"], "--app-port"),
      log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
    };
  } catch (error) {
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    return 2;
  }

  let emulator;
  try {
    emulator = await startEmulator(options);
  } catch (error) {
    process.stderr.write(`portal emulator failed to start: ${error.message}\n`);
    return 1;
  }

  process.stdout.write(`${JSON.stringify({ url: emulator.url, webhookUrl: emulator.webhookUrl, appUrl: emulator.appUrl })}\n`);
  await new Promise((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await emulator.close();
  return 0;
}

function cliInteger(text, flag) {
  if (text === undefined) {
    return undefined;
  }
  if (!/^\d+$/.test(text)) {
    throw new RangeError(`${flag} must be a non-negative integer, got "${text}"`);
  }
  return Number(text);
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
