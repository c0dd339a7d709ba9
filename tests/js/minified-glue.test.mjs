// The build minifies the JS glue. Two statements in src/js/glue.js read an
// error's `stack` only for its side effect: V8 keeps an error's stack frames,
// and the ImportWatch that stop() ran on, until the stack is read. A
// minifier that drops such a read brings back a leak of stopped watches,
// which only the memory benchmark would show.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;

function builtGlue() {
  const snippets = join(root, "dist", "wasm", "snippets");
  const [folder] = readdirSync(snippets);
  return readFileSync(join(snippets, folder, "src", "js", "glue.js"), "utf8");
}

test("WatchError still reads its own stack", () => {
  const glue = builtGlue();
  const watchError = glue.slice(glue.indexOf("class WatchError"), glue.indexOf("export function abortController"));
  assert.match(watchError, /this\.stack/);
});

test("abortController still reads the abort reason's stack", () => {
  const glue = builtGlue();
  const start = glue.indexOf("export function abortController");
  const body = glue.slice(start, glue.indexOf("export function", start + 1));
  assert.match(body, /\.abort\(\)/);
  assert.match(body, /Reflect\.get\(\w+,\s*"stack"\)/);
});
