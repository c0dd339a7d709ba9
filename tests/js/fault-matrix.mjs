// The fault matrix: every fault the portal emulator injects, what a watch
// must do about it, and the expected outcome for the webhook client and for
// the client over the BX24 library. faults.test.mjs checks the outcomes,
// secrets.test.mjs scans the text they produce, and
// scripts/reliability-table.mjs prints the list as the table of
// docs/RELIABILITY.md.
// The module contains data only, so the table script runs without the wasm
// build; helpers.mjs runs the rows.

/** The clients the matrix runs against, by their key in `FAULT_CASES`. */
export const CLIENT_KINDS = ["webhook", "bx24"];

// Where a fault is injected: into the first poll, before any status is
// known, and into the first poll after a `P` status arrived.
export const FIRST = "first";
export const RUNNING = "running";
const BOTH = [FIRST, RUNNING];

// The BX24 library never calls back on an HTTP 5xx, a cut connection or a
// body that is not JSON, so its client sees these faults as a timeout.
const SILENT = { when: BOTH, result: "F", error: { kind: "timeout" }, note: "the library gives no answer" };

/**
 * One row per fault. `params` are the fault's own parameters, `options`
 * override `FAST` for this row. For each client: `when` the fault is
 * injected (each time once), `result` the status `done` resolves with or
 * `"reject"`, `error` the fields of the error in the update (or of the
 * rejection), `waitMs` the least delay before the next request,
 * `waitsForReset` whether the next request waits for `operating_reset_at`,
 * `refreshes` the `refreshAuth` calls, `hugeNotices` whether an update
 * carries the 5 MB list, and `message` a pattern the error message must match.
 * The rows use `FAST` timings from helpers.mjs (`requestTimeoutMs` 400).
 */
export const FAULT_CASES = [
  {
    fault: "query_limit",
    http: "503 `QUERY_LIMIT_EXCEEDED`, `Retry-After: 1`",
    behaviour: "retry after `Retry-After`",
    // Injected while running only: the agent finishes the import within the
    // wait, so a fault at the first poll would leave no P for a second one.
    webhook: { when: [RUNNING], result: "F", error: { kind: "rest", code: "QUERY_LIMIT_EXCEEDED", httpStatus: 503, retryAfterMs: 1000 }, waitMs: 1000 },
    bx24: SILENT,
  },
  {
    fault: "operation_time_limit",
    http: "429 `OPERATION_TIME_LIMIT`, `time.operating_reset_at`",
    behaviour: "wait until `operating_reset_at`, then retry",
    params: { resetAfterMs: 300 },
    webhook: { when: [RUNNING], result: "F", error: { kind: "rest", code: "OPERATION_TIME_LIMIT", httpStatus: 429 }, waitsForReset: true },
    bx24: { when: [RUNNING], result: "F", error: { kind: "rest", code: "OPERATION_TIME_LIMIT", httpStatus: 429 }, waitsForReset: true },
  },
  {
    fault: "overload_limit",
    http: "503 `OVERLOAD_LIMIT`",
    behaviour: "fail: the portal's REST access is blocked by hand",
    webhook: {
      when: [FIRST],
      result: "reject",
      error: { kind: "rest", code: "OVERLOAD_LIMIT", httpStatus: 503 },
      message: /OVERLOAD_LIMIT.*ask them to lift the block/,
      note: "the message says to ask the portal's administrator to lift the block",
    },
    bx24: { ...SILENT, note: "the library hides the code, so the block looks transient" },
  },
  {
    fault: "internal_error",
    http: "500 `INTERNAL_SERVER_ERROR`",
    behaviour: "retry with backoff",
    webhook: { when: BOTH, result: "F", error: { kind: "rest", code: "INTERNAL_SERVER_ERROR", httpStatus: 500 } },
    bx24: SILENT,
  },
  {
    fault: "html_502",
    http: "502, nginx HTML page",
    behaviour: "retry with backoff",
    webhook: { when: BOTH, result: "F", error: { kind: "invalid_response", code: null, httpStatus: 502 } },
    bx24: SILENT,
  },
  {
    fault: "invalid_json",
    http: "200, half the JSON",
    behaviour: "retry with backoff",
    webhook: { when: BOTH, result: "F", error: { kind: "invalid_response", code: null, httpStatus: 200 } },
    bx24: SILENT,
  },
  {
    fault: "empty_body",
    http: "200, empty body",
    behaviour: "retry with backoff",
    webhook: { when: BOTH, result: "F", error: { kind: "invalid_response", code: null, httpStatus: 200 } },
    bx24: SILENT,
  },
  {
    fault: "reset",
    http: "200, connection reset mid-body",
    behaviour: "retry with backoff",
    webhook: { when: BOTH, result: "F", error: { kind: "network", code: null, httpStatus: null } },
    bx24: SILENT,
  },
  {
    fault: "no_answer",
    http: "none, connection left open",
    behaviour: "time out after `requestTimeoutMs`, retry",
    webhook: { when: BOTH, result: "F", error: { kind: "timeout", code: null } },
    bx24: { ...SILENT, note: undefined },
  },
  {
    fault: "slow",
    http: "200 after 1500 ms (`requestTimeoutMs` 400)",
    behaviour: "time out after `requestTimeoutMs`, retry",
    params: { delayMs: 1500 },
    webhook: { when: BOTH, result: "F", error: { kind: "timeout", code: null } },
    bx24: { ...SILENT, note: undefined },
  },
  {
    fault: "expired_token",
    http: "401 `expired_token`",
    behaviour: "refresh the token once, retry; a webhook cannot refresh, so fail",
    webhook: {
      when: [FIRST],
      result: "reject",
      error: { kind: "rest", code: "expired_token", httpStatus: 401 },
      message: /expired_token.*cannot refresh.*webhook/,
      note: "the message says that a webhook cannot refresh",
    },
    bx24: { when: [RUNNING], result: "F", refreshes: 1 },
  },
  {
    fault: "unknown_status",
    http: "200, `status: \"X\"`",
    behaviour: "retry with backoff",
    webhook: { when: BOTH, result: "F", error: { kind: "invalid_response", code: null, httpStatus: 200 }, message: /"X"/ },
    bx24: { when: BOTH, result: "F", error: { kind: "invalid_response", code: null, httpStatus: 200 }, message: /"X"/ },
  },
  {
    fault: "null_result",
    http: "200, `result: null`",
    behaviour: "retry with backoff",
    webhook: { when: BOTH, result: "F", error: { kind: "invalid_response", code: null, httpStatus: 200 } },
    bx24: { when: BOTH, result: "F", error: { kind: "invalid_response", code: null, httpStatus: 200 } },
  },
  {
    fault: "purge",
    http: "200, `status: \"U\"` after `P`",
    behaviour: "end with `U`",
    webhook: { when: [RUNNING], result: "U" },
    bx24: { when: [RUNNING], result: "U" },
  },
  {
    fault: "huge_body",
    http: "200, 5 MB `notice` list",
    behaviour: "parse it and go on",
    options: { requestTimeoutMs: 10_000 },
    webhook: { when: BOTH, result: "F", hugeNotices: true },
    bx24: { when: BOTH, result: "F", hugeNotices: true },
  },
];

/** Describes the expected outcome of one client, for the table. */
export function describeOutcome(expected) {
  const parts = [];
  if (expected.result === "reject") {
    parts.push(`fails at once: ${describeError(expected.error)}`);
  } else {
    if (expected.error !== undefined) parts.push(`retried after ${describeError(expected.error)}`);
    if (expected.waitMs !== undefined) parts.push(`next request ≥ ${expected.waitMs} ms later`);
    if (expected.waitsForReset) parts.push("next request after `operating_reset_at`");
    if (expected.refreshes !== undefined) parts.push(`\`refreshAuth\` called ${expected.refreshes === 1 ? "once" : `${expected.refreshes} times`}, request retried`);
    if (expected.hugeNotices) parts.push("the update carries every notice");
    parts.push(`ends \`${expected.result}\``);
  }
  const text = parts.join("; ");
  return expected.note === undefined ? text : `${text} (${expected.note})`;
}

function describeError(error) {
  const words = [`\`${error.kind}\``];
  if (error.code) words.push(`\`${error.code}\``);
  return `${words.join(" ")} error`;
}

/** Renders `FAULT_CASES` as a markdown table. */
export function renderTable(cases = FAULT_CASES) {
  const escape = (text) => text.replaceAll("|", "\\|");
  const lines = [
    "| fault | HTTP | expected behaviour | webhook outcome | BX24 outcome |",
    "|---|---|---|---|---|",
  ];
  for (const row of cases) {
    const cells = [`\`${row.fault}\``, row.http, row.behaviour, describeOutcome(row.webhook), describeOutcome(row.bx24)];
    lines.push(`| ${cells.map(escape).join(" | ")} |`);
  }
  return `${lines.join("\n")}\n`;
}
