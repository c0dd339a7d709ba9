// Static file serving: MIME types, index pages, prefixes, and rejected paths.

import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";

import { startEmulator } from "../../tools/portal-emulator/server.mjs";
import { startForTest } from "./helpers.mjs";

const SECRET_TEXT = "outside-the-root";

// Builds www/ and dist/ folders plus a file next to them that must stay unreachable.
async function makeSite(t) {
  const base = await mkdtemp(path.join(tmpdir(), "portal-emulator-static-"));
  t.after(() => rm(base, { recursive: true, force: true }));
  const www = path.join(base, "www");
  const dist = path.join(base, "dist");
  await mkdir(path.join(www, "empty"), { recursive: true });
  await mkdir(dist);
  await writeFile(path.join(base, "secret.txt"), SECRET_TEXT);
  await writeFile(path.join(www, "index.html"), "<!doctype html><title>demo</title>");
  await writeFile(path.join(www, "app.js"), "export const app = 1;");
  await writeFile(path.join(www, "style.css"), "body { margin: 0 }");
  await writeFile(path.join(www, "data.json"), "{}");
  await writeFile(path.join(www, "logo.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  await writeFile(path.join(www, "icon.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
  await writeFile(path.join(www, ".env"), SECRET_TEXT);
  await writeFile(path.join(dist, "pkg.wasm"), Buffer.from([0x00, 0x61, 0x73, 0x6d]));
  await writeFile(path.join(dist, "pkg.mjs"), "export default 1;");
  await writeFile(path.join(dist, "index.html"), "dist index");
  await symlink(path.join(base, "secret.txt"), path.join(www, "link.txt"));
  return { www, dist };
}

// Sends a request with the path exactly as given, without URL normalization.
function rawGet(url, rawPath, method = "GET") {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/`, { method, path: rawPath }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function startSite(t) {
  const { www, dist } = await makeSite(t);
  return startForTest(t, { staticRoots: { "/": www, "/dist/": dist } });
}

test("root serves index page", async (t) => {
  const emulator = await startSite(t);
  const response = await rawGet(emulator.url, "/");
  assert.equal(response.status, 200);
  assert.match(response.headers["content-type"], /^text\/html/);
  assert.match(response.text, /<title>demo<\/title>/);
});

test("MIME types by extension", async (t) => {
  const emulator = await startSite(t);
  const cases = [
    ["/app.js", "text/javascript"],
    ["/style.css", "text/css"],
    ["/data.json", "application/json"],
    ["/logo.png", "image/png"],
    ["/icon.svg", "image/svg+xml"],
    ["/index.html", "text/html"],
    ["/dist/pkg.wasm", "application/wasm"],
    ["/dist/pkg.mjs", "text/javascript"],
  ];
  for (const [file, type] of cases) {
    const response = await rawGet(emulator.url, file);
    assert.equal(response.status, 200, `${file} is served`);
    assert.equal(response.headers["content-type"].split(";")[0], type, `${file} is ${type}`);
  }
});

test("dist prefix has own root", async (t) => {
  const emulator = await startSite(t);
  const response = await rawGet(emulator.url, "/dist/");
  assert.equal(response.text, "dist index");
});

test("missing file is 404", async (t) => {
  const emulator = await startSite(t);
  assert.equal((await rawGet(emulator.url, "/nope.js")).status, 404);
});

test("directory is not listed", async (t) => {
  const emulator = await startSite(t);
  assert.equal((await rawGet(emulator.url, "/empty/")).status, 404);
});

test("traversal attempts are rejected", async (t) => {
  const emulator = await startSite(t);
  const attempts = [
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E%2Fsecret.txt",
    "/dist/..%2fsecret.txt",
    "/dist/../../secret.txt",
    "/..%5csecret.txt",
    "/app.js%00.png",
  ];
  for (const attempt of attempts) {
    const response = await rawGet(emulator.url, attempt);
    assert.equal(response.status, 403, `${attempt} is forbidden`);
    assert.equal(response.text.includes(SECRET_TEXT), false, `${attempt} leaks nothing`);
  }
});

test("symlink out of root rejected", async (t) => {
  const emulator = await startSite(t);
  const response = await rawGet(emulator.url, "/link.txt");
  assert.equal(response.status, 403);
  assert.equal(response.text.includes(SECRET_TEXT), false);
});

test("hidden files are rejected", async (t) => {
  const emulator = await startSite(t);
  const response = await rawGet(emulator.url, "/.env");
  assert.equal(response.status, 403);
  assert.equal(response.text.includes(SECRET_TEXT), false);
});

test("static files are read-only", async (t) => {
  const emulator = await startSite(t);
  const response = await rawGet(emulator.url, "/app.js", "POST");
  assert.equal(response.status, 405);
  assert.equal(response.headers.allow, "GET, HEAD");
});

test("HEAD sends no body", async (t) => {
  const emulator = await startSite(t);
  const response = await rawGet(emulator.url, "/app.js", "HEAD");
  assert.equal(response.status, 200);
  assert.equal(response.headers["content-length"], String("export const app = 1;".length));
  assert.equal(response.text, "");
});

test("no roots means 404", async (t) => {
  const emulator = await startForTest(t);
  assert.equal((await rawGet(emulator.url, "/index.html")).status, 404);
});

test("invalid root is rejected", async () => {
  await assert.rejects(startEmulator({ staticRoots: { "/": "relative/www" } }), /absolute directory path/);
  await assert.rejects(startEmulator({ staticRoots: { "/dist": "/tmp" } }), /must start and end with/);
});
