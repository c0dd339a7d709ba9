// Shared pieces of the JS API tests: the package entry, an emulator per
// test file, and a BX24 double that follows the legacy library's contract.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join, dirname } from "node:path";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const fixturesDir = join(root, "..", "shared", "fixtures", "rest");

export function loadFixtures() {
  return readdirSync(fixturesDir)
    .filter((name) => name.endsWith(".json"))
    .map((name) => ({ name: name.replace(/\.json$/, ""), ...JSON.parse(readFileSync(join(fixturesDir, name), "utf8")) }));
}

/**
 * A stand-in for the legacy `BX24` library: `callMethod(method, params, cb)`
 * POSTs to the REST endpoint and calls `cb(result)` with `data()`, `error()`,
 * `error_description()`, `status` and `answer`. Like the real library, it
 * never calls back on an HTTP 5xx or a network failure.
 */
export function bx24Double(restUrl) {
  const calls = [];
  return {
    calls,
    callMethod(method, params, callback) {
      calls.push(method);
      fetch(`${restUrl}${method}.json`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(params ?? {}),
      })
        .then(async (response) => {
          if (response.status >= 500) return;
          const answer = await response.json();
          callback({
            status: response.status,
            answer,
            data: () => answer.result,
            error: () => answer.error ?? null,
            error_description: () => answer.error_description ?? "",
          });
        })
        .catch(() => {});
    },
  };
}

/** Collects every update, and resolves `done` with them when the watch settles. */
export function collector() {
  const updates = [];
  return { updates, callback: (update) => updates.push(update) };
}
