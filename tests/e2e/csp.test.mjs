// The package under a Content-Security-Policy in headless Chromium. A small
// static server on 127.0.0.1 serves tests/e2e/pages/csp/, the package entry
// and the built wasm, with the policy named in the page's query string. The
// page watches an import on the emulator, which listens on another port and
// so is another origin.
//
// The policy the package needs: scripts from the page's origin, WebAssembly
// compilation ('wasm-unsafe-eval'), and fetch to the page's origin (the
// .wasm file) and to the portal. Without 'wasm-unsafe-eval' the module does
// not load; without the portal in connect-src every request fails.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { readFile } from "node:fs/promises";
import { join, normalize, extname, sep } from "node:path";

import { launchBrowser, root, watchPageErrors } from "./harness.mjs";
import { startEmulator } from "../../tools/portal-emulator/server.mjs";

const PAGE_LIMIT_MS = 30_000;
const OUTCOME = "body[data-final], body[data-error], body[data-load-error]";

let browser;
let portal;
let site;

before(async () => {
  portal = await startEmulator({ port: 0, agentPeriodMs: 100, firstRunDelayMs: 200 });
  site = await startStaticSite({
    "/": join(root, "tests", "e2e", "pages", "csp"),
    "/js/": join(root, "js"),
    "/dist/": join(root, "dist"),
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await site?.close();
  await portal?.close();
});

/** Returns the policy of that name for a portal at `portalOrigin`, or null for an unknown name. */
function policyFor(name, portalOrigin) {
  const policies = {
    needed: `default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' ${portalOrigin}`,
    "no-wasm-eval": `default-src 'none'; script-src 'self'; connect-src 'self' ${portalOrigin}`,
    "no-portal": `default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'`,
  };
  return policies[name] ?? null;
}

test("needed policy watches to F", async () => {
  const { body, errors, requests } = await openPage("needed");

  assert.equal(body.loadError, undefined);
  assert.equal(body.error, undefined);
  assert.equal(body.final, "F");
  assert.equal(body.violations, undefined);
  assert.deepEqual(errors, []);
  assert.ok(requests > 3, `requests to the portal: ${requests}`);
});

test("missing wasm-unsafe-eval blocks module", async () => {
  const { body, requests } = await openPage("no-wasm-eval");

  assert.match(body.loadError ?? "", /WebAssembly|CompileError/);
  assert.equal(body.final, undefined);
  assert.match(body.violations ?? "", /^script-src wasm-eval$/m);
  assert.equal(requests, 0, "requests to the portal");
});

test("missing portal origin blocks requests", async () => {
  const { body, requests } = await openPage("no-portal", { maxConsecutiveErrors: 2 });

  assert.equal(body.loadError, undefined);
  assert.match(body.error ?? "", /^network: /);
  assert.match(body.violations ?? "", new RegExp(`^connect-src ${portal.url}/`, "m"));
  assert.equal(requests, 0, "requests to the portal");
});

/**
 * Opens the page under the named policy with a new import, waits for its
 * outcome, and returns the page's data attributes, its errors and the number
 * of requests the portal received for the import.
 */
async function openPage(policy, extraQuery = {}) {
  const processId = portal.register();
  const page = await browser.newPage();
  const errors = watchPageErrors(page);
  try {
    const query = new URLSearchParams({ csp: policy, processId: String(processId), webhook: portal.webhookUrl, ...extraQuery });
    await page.goto(`${site.url}/index.html?${query}`);
    await page.waitForSelector(OUTCOME, { state: "attached", timeout: PAGE_LIMIT_MS });
    const body = await page.evaluate(() => ({ ...document.body.dataset }));
    const requests = portal.requests.filter((request) => request.processId === processId).length;
    return { body, errors, requests };
  } finally {
    await page.close();
  }
}

const CONTENT_TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
};

/**
 * Serves `roots` (URL prefix → directory, the longest prefix wins) on
 * 127.0.0.1. HTML responses carry the policy named by the `csp` query
 * parameter; other files need none, because a document's policy governs
 * what it loads.
 */
async function startStaticSite(roots) {
  const prefixes = Object.keys(roots).sort((a, b) => b.length - a.length);
  let portalOrigin = "";
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const prefix = prefixes.find((candidate) => url.pathname.startsWith(candidate));
    const relative = prefix === undefined ? null : normalize(decodeURIComponent(url.pathname.slice(prefix.length)));
    if (req.method !== "GET" || relative === null || relative.startsWith("..") || relative.includes(`${sep}..`)) {
      res.writeHead(404).end();
      return;
    }
    const type = CONTENT_TYPES[extname(relative)] ?? "application/octet-stream";
    let body;
    try {
      body = await readFile(join(roots[prefix], relative));
    } catch {
      res.writeHead(404).end();
      return;
    }
    const headers = { "Content-Type": type, "Cache-Control": "no-store" };
    if (type.startsWith("text/html")) {
      const policy = policyFor(url.searchParams.get("csp"), portalOrigin);
      if (policy === null) {
        res.writeHead(400).end("unknown csp");
        return;
      }
      headers["Content-Security-Policy"] = policy;
    }
    res.writeHead(200, headers).end(body);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  portalOrigin = portal.url;
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    }),
  };
}
