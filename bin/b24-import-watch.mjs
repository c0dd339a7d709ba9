#!/usr/bin/env node
// b24-import-watch <processId> --webhook <url>: watches a Bitrix24 solution
// import from a terminal or a script until it ends. Exit codes: 0 for F, 1
// for E, 2 for U, 3 when watching fails or an argument is invalid, 130
// after Ctrl-C (143 after SIGTERM). Run with --help for the options.
import { parseArguments, UsageError, webhookSecrets } from "./cli/args.mjs";
import { JsonDisplay, LiveDisplay, PlainDisplay } from "./cli/display.mjs";
import { maskWrites } from "./cli/redact.mjs";
import { availableLanguages } from "./cli/texts.mjs";

const EXIT_CODE_OF_STATUS = { F: 0, E: 1, U: 2 };
const EXIT_WATCH_FAILED = 3;
const EXIT_CODE_OF_SIGNAL = { SIGINT: 130, SIGTERM: 143 };
const EXIT_BROKEN_PIPE = 141;

async function main() {
  const argv = process.argv.slice(2);
  // The messages are written without the webhook secret. Should one quote
  // it anyway, every write masks it before it reaches a terminal or a log.
  const secrets = webhookSecrets(argv, process.env);
  maskWrites(process.stdout, secrets);
  maskWrites(process.stderr, secrets);

  let args;
  try {
    args = parseArguments(argv, process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`b24-import-watch: ${error.message}\n${error.texts.cli("seeHelp")}\n`);
    return EXIT_WATCH_FAILED;
  }
  const { texts } = args;
  if (args.help) {
    process.stdout.write(`${texts.cli("usage")}\n\n${texts.cli("help", { languages: availableLanguages().join(", ") })}\n`);
    return 0;
  }

  // Loaded after the arguments are checked, so --help and usage errors do
  // not wait for the wasm module.
  const { watchImport, webhookClient } = await import("../js/node.js");

  let client;
  try {
    client = webhookClient(args.webhookUrl);
  } catch (error) {
    // webhookClient's messages show the URL's form, never the URL.
    process.stderr.write(`b24-import-watch: ${error.message}\n`);
    return EXIT_WATCH_FAILED;
  }

  const startedAt = Date.now();
  const { processId } = args;
  const stream = process.stdout;
  const display = args.json
    ? new JsonDisplay({ stream, processId })
    : stream.isTTY
      ? new LiveDisplay({ stream, texts, processId, startedAt, color: !("NO_COLOR" in process.env) && process.env.TERM !== "dumb" })
      : new PlainDisplay({ stream, texts, processId, startedAt });

  // --interval means a poll every <ms> milliseconds; without it the watch
  // follows the portal agent's cadence, the library's default.
  const options = { client };
  if (args.intervalMs !== undefined) {
    Object.assign(options, { schedule: "fixed", intervalMs: args.intervalMs, minIntervalMs: Math.min(args.intervalMs, 2_000) });
  }
  if (args.timeoutMs !== undefined) {
    options.timeoutMs = args.timeoutMs;
  }

  const watch = watchImport(processId, (update) => display.update(update), options);

  let stoppedBy = null;
  const onSignal = (signal) => {
    if (stoppedBy !== null) {
      // A second Ctrl-C while stopping ends the process at once.
      display.close();
      process.exit(EXIT_CODE_OF_SIGNAL[signal]);
    }
    stoppedBy = signal;
    watch.stop();
  };
  // A reader that goes away (`| head`) ends the watch quietly, with the
  // shell's exit code for SIGPIPE.
  stream.on("error", (error) => {
    if (error.code !== "EPIPE") throw error;
    watch.stop();
    process.exit(EXIT_BROKEN_PIPE);
  });
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // Whatever ends the process, the terminal gets its cursor back.
  process.on("exit", () => display.close());

  try {
    const final = await watch.done;
    display.close();
    return EXIT_CODE_OF_STATUS[final.code] ?? EXIT_WATCH_FAILED;
  } catch (error) {
    display.close();
    if (stoppedBy !== null) {
      process.stderr.write(`${texts.cli("interrupted")}\n`);
      return EXIT_CODE_OF_SIGNAL[stoppedBy];
    }
    process.stderr.write(`b24-import-watch: ${texts.message("watch.failed", { message: error.message })}\n`);
    return EXIT_WATCH_FAILED;
  }
}

/**
 * Exits once stdout and stderr have taken everything written so far. An exit
 * code alone is not enough: an idle keep-alive connection of fetch could
 * hold the process open for seconds.
 */
function exitAfterFlush(code) {
  process.exitCode = code;
  let pending = 2;
  const flushed = () => {
    pending -= 1;
    if (pending === 0) process.exit(code);
  };
  process.stdout.write("", flushed);
  process.stderr.write("", flushed);
}

main().then(exitAfterFlush, (error) => {
  process.stderr.write(`b24-import-watch: unexpected error: ${error?.stack ?? error}\n`);
  exitAfterFlush(EXIT_WATCH_FAILED);
});
