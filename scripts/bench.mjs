// Start-time and memory benchmark in headless Chromium. Prints markdown
// tables: the time to import the package entry (fetch, compile and
// instantiate the wasm), the memory of one watch over 10,000 polls, and the
// memory of 1,000 watch start/stop cycles. Exits 1 when memory grows past
// the bounds below between the first mark and the end. Slow timings never
// fail it, but a crash or a phase that hangs for 15 minutes does.
// Run: npm run bench (builds dist/wasm first).
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";

import { CHROMIUM_ARGS, root, startSite } from "../tests/e2e/harness.mjs";

const START_LOADS = 20;
const POLLS = 10_000;
const START_STOP_CYCLES = 1_000;
const MARK_AFTER = 100;

/** The leak bounds between the mark after the first 100 polls or cycles and the end. */
const MAX_WASM_GROWTH_PAGES = 1;
const MAX_JS_HEAP_GROWTH_BYTES = 1_000_000;

/** Ends a run that hangs, such as a watch whose `done` never settles. */
const PHASE_TIMEOUT_MS = 15 * 60_000;

// The test harness's flags, plus a `gc()` for the page and exact (not
// bucketed) `performance.memory` values.
const BENCH_CHROMIUM_ARGS = [...CHROMIUM_ARGS, "--js-flags=--expose-gc", "--enable-precise-memory-info"];

function quantile(sorted, q) {
  const index = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0], median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), max: sorted.at(-1) };
}

const ms = (value) => value.toFixed(1);
const kib = (bytes) => (bytes / 1024).toFixed(1);
const signedKib = (bytes) => `${bytes >= 0 ? "+" : ""}${kib(bytes)}`;
const signed = (value) => `${value >= 0 ? "+" : ""}${value}`;

function printTable(header, rows) {
  console.log(`| ${header.join(" | ")} |`);
  console.log(`|${header.map((_, index) => (index === 0 ? "---" : "---:")).join("|")}|`);
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
  console.log("");
}

async function withTimeout(promise, phaseName) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${phaseName} did not finish within ${PHASE_TIMEOUT_MS / 60_000} minutes; it hangs`)), PHASE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `probe` (an export of bench/start.js) in a page of a new browser context. */
async function runInFreshContext(browser, siteUrl, probe) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${siteUrl}/bench/index.html`);
    return await page.evaluate(async (name) => {
      const probes = await import("/bench/start.js");
      return probes[name]();
    }, probe);
  } finally {
    await context.close();
  }
}

async function benchStart(browser, siteUrl) {
  const importMs = [];
  const compileMs = [];
  const instantiateMs = [];
  let wasmBytes = 0;
  for (let load = 0; load < START_LOADS; load += 1) {
    importMs.push(await runInFreshContext(browser, siteUrl, "timeEntryImport"));
    const raw = await runInFreshContext(browser, siteUrl, "timeCompileAndInstantiate");
    compileMs.push(raw.compileMs);
    instantiateMs.push(raw.instantiateMs);
    wasmBytes = raw.wasmBytes;
  }

  console.log(`### Start: ${START_LOADS} loads, each in a new browser context (${kib(wasmBytes)} KiB of wasm)\n`);
  const rows = [
    ["`await import(\"/js/browser.js\")` (fetch, compile, instantiate, start)", summarize(importMs)],
    ["`WebAssembly.compile(bytes)`", summarize(compileMs)],
    ["`initSync({ module })` (instantiate and start)", summarize(instantiateMs)],
  ];
  printTable(
    ["step", "min (ms)", "median (ms)", "p90 (ms)", "max (ms)"],
    rows.map(([step, stats]) => [step, ms(stats.min), ms(stats.median), ms(stats.p90), ms(stats.max)]),
  );
}

/**
 * Prints the samples of one memory run and returns the bound violations
 * between the sample taken at `markAfter` and the last mid-run sample.
 */
function reportMemory(title, unit, samples, markAfter, total) {
  console.log(`### ${title}\n`);
  const first = samples.find((sample) => sample[unit] === markAfter);
  const last = samples.find((sample) => sample[unit] === total);
  printTable(
    ["mark", "wasm memory (pages)", "wasm memory (KiB)", "JS heap used (KiB)"],
    [
      ...samples.map((sample) => [sample.mark, sample.wasmPages, kib(sample.wasmPages * 65_536), kib(sample.jsHeapBytes)]),
      [
        `growth, ${first.mark} → ${last.mark}`,
        signed(last.wasmPages - first.wasmPages),
        signedKib((last.wasmPages - first.wasmPages) * 65_536),
        signedKib(last.jsHeapBytes - first.jsHeapBytes),
      ],
    ],
  );

  const violations = [];
  if (last.wasmPages - first.wasmPages > MAX_WASM_GROWTH_PAGES) {
    violations.push(
      `${title}: wasm memory grew by ${last.wasmPages - first.wasmPages} pages from "${first.mark}" to "${last.mark}"; the bound is ${MAX_WASM_GROWTH_PAGES} page (64 KiB)`,
    );
  }
  if (last.jsHeapBytes - first.jsHeapBytes > MAX_JS_HEAP_GROWTH_BYTES) {
    violations.push(
      `${title}: the JS heap grew by ${last.jsHeapBytes - first.jsHeapBytes} bytes from "${first.mark}" to "${last.mark}"; the bound is ${MAX_JS_HEAP_GROWTH_BYTES} bytes`,
    );
  }
  return violations;
}

/** Prints uncaught page errors; they make the run's numbers suspect but are no leak. */
function reportPageErrors(title, pageErrors) {
  for (const message of pageErrors) console.error(`warning: ${title}: uncaught page error: ${message}`);
}

async function openMemoryPage(browser, siteUrl) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  page.on("crash", () => console.error("bench: the benchmark page crashed"));
  await page.goto(`${siteUrl}/bench/index.html`);
  const ready = await page.evaluate(() => typeof globalThis.gc === "function" && typeof performance.memory === "object");
  if (!ready) {
    throw new Error("the page has no gc() or performance.memory; Chromium ignored --js-flags=--expose-gc or --enable-precise-memory-info");
  }
  return { context, page, pageErrors };
}

async function benchPolls(browser, siteUrl) {
  const { context, page, pageErrors } = await openMemoryPage(browser, siteUrl);
  try {
    const run = await page.evaluate(async (options) => (await import("/bench/memory.js")).runPolls(options), {
      polls: POLLS,
      markAfter: MARK_AFTER,
    });
    const title = `Polls: one watch, ${POLLS.toLocaleString("en")} requests, intervalMs 1`;
    const violations = reportMemory(title, "requests", run.samples, MARK_AFTER, POLLS - 1);
    console.log(
      `${run.requests} requests, ${run.updates} updates (${run.changedUpdates} changed), final status ${run.finalCode}, ` +
        `${ms(run.elapsedMs / 1000)} s (${(run.elapsedMs / run.requests).toFixed(2)} ms per poll).\n`,
    );
    reportPageErrors(title, pageErrors);
    return violations;
  } finally {
    await context.close();
  }
}

/**
 * Runs the start/stop cycles. With `free` false the watches are left to the
 * garbage collector as in the README; with `free` true each cycle calls
 * `watch.free()`, which shows whether growth comes from watches that are
 * never released.
 */
async function benchStartStop(browser, siteUrl, { free }) {
  const { context, page, pageErrors } = await openMemoryPage(browser, siteUrl);
  try {
    const run = await page.evaluate(async (options) => (await import("/bench/memory.js")).runStartStop(options), {
      cycles: START_STOP_CYCLES,
      markAfter: MARK_AFTER,
      free,
    });
    const release = free ? "each freed with watch.free()" : "left to the garbage collector";
    const title = `Start/stop: ${START_STOP_CYCLES.toLocaleString("en")} watches started and stopped, ${release}`;
    const violations = reportMemory(title, "cycles", run.samples, MARK_AFTER, START_STOP_CYCLES);
    console.log(
      `${ms(run.elapsedMs / 1000)} s; the never-settling client was called ${run.neverSettlingCalls} times, ` +
        `the S client ${run.startedCalls} times.\n`,
    );
    reportPageErrors(title, pageErrors);
    return violations;
  } finally {
    await context.close();
  }
}

function printMachine(browserVersion) {
  const cpus = os.cpus();
  console.log("## b24-import-watch start and memory benchmark\n");
  printTable(
    ["machine", ""],
    [
      ["CPU", `${cpus[0]?.model ?? "unknown"}, ${cpus.length} cores`],
      ["memory", `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`],
      ["OS", `${os.type()} ${os.release()} ${os.arch()}`],
      ["Chromium", browserVersion],
      ["Node", process.version],
      ["package", JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version],
    ],
  );
}

async function main() {
  const site = await startSite({
    staticRoots: {
      "/": join(root, "www"),
      "/js/": join(root, "js"),
      "/dist/": join(root, "dist"),
      "/bench/": join(root, "bench"),
    },
  });
  let browser;
  try {
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: BENCH_CHROMIUM_ARGS });
    printMachine(browser.version());

    await withTimeout(benchStart(browser, site.url), "the start benchmark");
    const pollViolations = await withTimeout(benchPolls(browser, site.url), "the polls benchmark");
    const collectedViolations = await withTimeout(benchStartStop(browser, site.url, { free: false }), "the start/stop benchmark");
    const freedViolations = await withTimeout(benchStartStop(browser, site.url, { free: true }), "the start/stop benchmark with free()");
    const violations = [...pollViolations, ...collectedViolations, ...freedViolations];

    console.log(
      `Bounds: between the mark after the first ${MARK_AFTER} polls or cycles and the end, wasm memory may grow by at most ` +
        `${MAX_WASM_GROWTH_PAGES} page (64 KiB) and the JS heap by at most ${MAX_JS_HEAP_GROWTH_BYTES.toLocaleString("en")} bytes.`,
    );
    if (violations.length > 0) {
      console.error(`\nMemory bound exceeded, which points to a leak:\n${violations.map((line) => `- ${line}`).join("\n")}`);
      if (collectedViolations.length > 0 && freedViolations.length === 0) {
        console.error(
          "The same cycles stay within the bounds when each watch is freed with watch.free(), so stopped ImportWatch " +
            "objects are never garbage-collected, because something that the wasm side keeps refers back to them. " +
            "One such reference is an Error created inside stop(): until its `stack` is read, V8 keeps its stack " +
            "frames, and with them the ImportWatch as the receiver of stop().",
        );
      }
      process.exitCode = 1;
    } else {
      console.log("Every run stayed within the bounds.");
    }
  } finally {
    await browser?.close();
    await site.close();
  }
}

await main();
