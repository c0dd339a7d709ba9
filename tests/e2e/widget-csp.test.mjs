// The progress widget under a Content-Security-Policy without
// `style-src 'unsafe-inline'`, in headless Chromium. Such a policy blocks a
// <style> element in the widget's shadow root, so the widget attaches its
// styles as a constructable stylesheet, and uses the element only where the
// browser lacks constructable stylesheets.
//
// A small server on 127.0.0.1 serves the test page and its script from the
// strings below, with the policy that the page's `csp` query parameter
// names, and the package entry and the built wasm from the repository. The
// widget reads a fixed status from a client function, so the page makes no
// requests to a portal.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { readFile } from "node:fs/promises";
import { join, normalize, extname, sep } from "node:path";

import { launchBrowser, root, watchPageErrors } from "./harness.mjs";

/** The policy from the CSP header of each `csp` value; `none` sends no header. */
const POLICIES = {
  strict: "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'",
  none: null,
};

// No inline script, style or favicon, because the strict policy blocks all
// three and each would report a violation of its own.
const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Progress widget under a Content-Security-Policy</title>
  <script type="module" src="/widget-csp.js"></script>
</head>
<body>
  <div id="host"></div>
</body>
</html>
`;

// Mounts the widget on #host, showing a running import, and records each
// CSP violation as "directive blockedURI" in window.violations. With the
// query parameter `constructable=off` it first removes
// CSSStyleSheet.prototype.replaceSync, as in a browser without
// constructable stylesheets.
const PAGE_SCRIPT = `import { mountImportProgress } from "/js/browser.js";

window.violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.violations.push(event.effectiveDirective + " " + event.blockedURI);
});

if (new URLSearchParams(location.search).get("constructable") === "off") {
  delete CSSStyleSheet.prototype.replaceSync;
}

const running = { result: { status: "P", progress: { action: "load", step: 2, section: "CRM_STATUS" } } };
window.watch = mountImportProgress(document.getElementById("host"), 7, {
  client: async () => running,
  intervalMs: 60_000,
  lang: "en",
  theme: "light",
});
document.body.dataset.ready = "true";
`;

/** The colours that the widget's stylesheet gives the light theme. */
const STYLED = { background: "rgb(255, 255, 255)", titleColor: "rgb(32, 103, 176)", titleFontSize: "16px" };

let browser;
let site;

before(async () => {
  site = await startSite({ "/js/": join(root, "js"), "/dist/": join(root, "dist") });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await site?.close();
});

test("strict style-src keeps the widget styled", async () => {
  const reference = await openWidget({ csp: "none" });
  const shown = await openWidget({ csp: "strict" });

  assert.deepEqual(shown.violations, []);
  assert.deepEqual(shown.errors, []);
  assert.equal(shown.adoptedSheets, 1);
  assert.equal(shown.styleElements, 0);
  assert.equal(shown.background, STYLED.background);
  assert.equal(shown.titleColor, STYLED.titleColor);
  assert.equal(shown.titleFontSize, STYLED.titleFontSize);
  // The visually hidden texts take no room, and the icons stay 24 px.
  assert.equal(shown.iconHeight, 24);
  assert.ok(shown.height > 150, `widget height ${shown.height} px`);
  assert.ok(shown.height < 500, `widget height ${shown.height} px`);
  assert.equal(shown.height, reference.height);
});

test("style element without constructable stylesheets", async () => {
  const reference = await openWidget({ csp: "none" });
  const shown = await openWidget({ csp: "none", constructable: "off" });

  assert.deepEqual(shown.errors, []);
  assert.equal(shown.adoptedSheets, 0);
  assert.equal(shown.styleElements, 1);
  assert.equal(shown.background, STYLED.background);
  assert.equal(shown.titleColor, STYLED.titleColor);
  assert.equal(shown.height, reference.height);
});

// Shows that the first test can fail: the fallback <style> element is what
// the strict policy blocks.
test("strict style-src blocks the style element", async () => {
  const shown = await openWidget({ csp: "strict", constructable: "off" });

  assert.equal(shown.styleElements, 1);
  assert.deepEqual(shown.violations, ["style-src-elem inline"]);
  assert.notEqual(shown.titleColor, STYLED.titleColor);
  assert.ok(
    shown.errors.some((error) => error.includes("Content Security Policy")),
    `console errors: ${JSON.stringify(shown.errors)}`,
  );
});

/**
 * Opens the test page with `query`, waits until the widget shows the running
 * import, and returns what its styles did, the CSP violations and the page's
 * errors.
 */
async function openWidget(query) {
  const context = await browser.newContext({ viewport: { width: 560, height: 1000 } });
  const page = await context.newPage();
  const errors = watchPageErrors(page);
  try {
    await page.goto(`${site.url}/index.html?${new URLSearchParams(query)}`);
    await page.waitForFunction(
      () => document.querySelector("b24-import-progress")?.shadowRoot?.querySelector(".widget:not([hidden])")?.dataset.kind === "running",
      null,
      { timeout: 15_000 },
    );
    const shown = await page.evaluate(() => {
      const shadow = document.querySelector("b24-import-progress").shadowRoot;
      const widget = shadow.querySelector(".widget");
      const title = shadow.querySelector(".title");
      return {
        adoptedSheets: shadow.adoptedStyleSheets.length,
        styleElements: shadow.querySelectorAll("style").length,
        background: getComputedStyle(widget).backgroundColor,
        titleColor: getComputedStyle(title).color,
        titleFontSize: getComputedStyle(title).fontSize,
        iconHeight: shadow.querySelector(".icon").getBoundingClientRect().height,
        height: widget.getBoundingClientRect().height,
        violations: window.violations,
      };
    });
    return { ...shown, errors };
  } catch (error) {
    throw new Error(`${error.message}; page errors: ${JSON.stringify(errors)}`);
  } finally {
    await context.close();
  }
}

const CONTENT_TYPES = {
  ".js": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
};

/**
 * Serves the test page at /index.html, its script at /widget-csp.js, and
 * `roots` (URL prefix → directory) on 127.0.0.1. Only the page carries a
 * policy, because a document's policy governs what it loads.
 */
async function startSite(roots) {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    if (req.method !== "GET") {
      res.writeHead(405).end();
      return;
    }
    if (url.pathname === "/index.html") {
      const name = url.searchParams.get("csp");
      if (!Object.hasOwn(POLICIES, name)) {
        res.writeHead(400).end(`unknown csp ${name}`);
        return;
      }
      const headers = { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" };
      if (POLICIES[name] !== null) headers["Content-Security-Policy"] = POLICIES[name];
      res.writeHead(200, headers).end(PAGE_HTML);
      return;
    }
    if (url.pathname === "/widget-csp.js") {
      res.writeHead(200, { "Content-Type": CONTENT_TYPES[".js"], "Cache-Control": "no-store" }).end(PAGE_SCRIPT);
      return;
    }
    const prefix = Object.keys(roots).find((candidate) => url.pathname.startsWith(candidate));
    const relative = prefix === undefined ? null : normalize(decodeURIComponent(url.pathname.slice(prefix.length)));
    if (relative === null || relative.startsWith("..") || relative.includes(`${sep}..`)) {
      res.writeHead(404).end();
      return;
    }
    let body;
    try {
      body = await readFile(join(roots[prefix], relative));
    } catch {
      res.writeHead(404).end();
      return;
    }
    const type = CONTENT_TYPES[extname(relative)] ?? "application/octet-stream";
    res.writeHead(200, { "Content-Type": type, "Cache-Control": "no-store" }).end(body);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
  };
}
