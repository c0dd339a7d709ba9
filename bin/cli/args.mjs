// Command-line arguments of b24-import-watch. Messages never quote a value
// that could be the webhook URL: an extra positional argument or an unknown
// option is reported by its count or its name alone, and an invalid
// processId that contains "/" or ":" is not shown.
import { parseArgs } from "node:util";

import { maskSecrets, webhookSecret } from "./redact.mjs";
import { availableLanguages, environmentLanguage, matchLanguage, Texts } from "./texts.mjs";

/** Timers turn larger delays into 1 ms, so the watcher rejects them too. */
const MAX_DURATION_MS = 2_147_483_647;

/**
 * The processId rule of the library (src/process_id.rs): 1 to 16 decimal
 * digits, with a value from 1 to 2^53 − 1, the largest integer a JavaScript
 * number represents exactly.
 */
const PROCESS_ID_PATTERN = /^\d{1,16}$/;
const MAX_PROCESS_ID = Number.MAX_SAFE_INTEGER;

/**
 * The number of characters of an invalid processId that a message shows. A
 * longer value is cut and ends with "…".
 */
const MAX_SHOWN_PROCESS_ID = 40;

/** An argument such as -5 or -1.5, read as a value and never as an option. */
const NEGATIVE_NUMBER = /^-\d/;

const OPTIONS = {
  webhook: { type: "string" },
  json: { type: "boolean" },
  interval: { type: "string" },
  timeout: { type: "string" },
  lang: { type: "string" },
  help: { type: "boolean", short: "h" },
};

/** Invalid arguments; `message` is in the chosen language and contains no secret. */
export class UsageError extends Error {
  constructor(message) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Parses `argv` (without node and the script). Returns `{texts, help}` for
 * --help, else `{texts, help: false, processId, webhookUrl, json,
 * intervalMs, timeoutMs}`, with `processId` a number. Throws a UsageError
 * with `texts` attached when an argument is invalid.
 */
export function parseArguments(argv, env) {
  const languages = availableLanguages();
  let texts = new Texts(languageFromArgv(argv, languages) ?? environmentLanguage(env));
  const fail = (key, values) => {
    const error = new UsageError(texts.cli(key, values));
    error.texts = texts;
    return error;
  };

  let parsed;
  try {
    parsed = parseArgs({ args: positionalNegativeNumbers(argv), options: OPTIONS, allowPositionals: true, strict: false, tokens: true });
  } catch {
    throw fail("unknownOption", { option: "?" });
  }
  for (const token of parsed.tokens) {
    if (token.kind !== "option") continue;
    const spec = OPTIONS[token.name];
    if (spec === undefined) {
      throw fail("unknownOption", { option: token.rawName });
    }
    // Without strict parsing, "--webhook --json" would read "--json" as the
    // URL. A negative number such as "--interval -5" is a value, invalid later.
    const valueMissing =
      token.value === undefined || (!token.inlineValue && token.value.startsWith("-") && !NEGATIVE_NUMBER.test(token.value));
    if (spec.type === "string" && valueMissing) {
      throw fail("missingValue", { option: token.rawName });
    }
    if (spec.type === "boolean" && token.value !== undefined) {
      throw fail("unknownOption", { option: `${token.rawName}=…` });
    }
  }
  const { values, positionals } = parsed;

  if (values.lang !== undefined) {
    const id = matchLanguage(values.lang, languages);
    if (id === null) {
      throw fail("unknownLanguage", { value: values.lang.slice(0, 20), languages: languages.join(", ") });
    }
    texts = new Texts(id);
  }
  if (values.help) {
    return { texts, help: true };
  }

  if (positionals.length === 0) {
    throw fail("missingProcessId");
  }
  if (positionals.length > 1) {
    throw fail("extraArguments", { count: positionals.length });
  }
  const processId = readProcessId(positionals[0], fail, webhookSecrets(argv, env));
  const webhookUrl = values.webhook ?? env.B24_WEBHOOK_URL;
  if (webhookUrl === undefined || webhookUrl === "") {
    throw fail("missingWebhook");
  }

  return {
    texts,
    help: false,
    processId,
    webhookUrl,
    json: values.json === true,
    intervalMs: readDuration(values.interval, "--interval", fail),
    timeoutMs: readDuration(values.timeout, "--timeout", fail),
  };
}

/**
 * Returns the processId as a number, or throws a UsageError. The message
 * shows an invalid value, except one with "/" or ":", which could be the
 * webhook URL given in place of the id.
 */
function readProcessId(text, fail, secrets) {
  const id = PROCESS_ID_PATTERN.test(text) ? Number(text) : NaN;
  if (id >= 1 && id <= MAX_PROCESS_ID) {
    return id;
  }
  if (/[/:]/.test(text)) {
    throw fail("invalidProcessIdHidden");
  }
  // Masked before it is cut, so that no part of a secret remains.
  const masked = maskSecrets(text, secrets);
  const shown = masked.length > MAX_SHOWN_PROCESS_ID ? `${masked.slice(0, MAX_SHOWN_PROCESS_ID)}…` : masked;
  throw fail("invalidProcessId", { value: shown, max: MAX_PROCESS_ID });
}

function readDuration(text, option, fail) {
  if (text === undefined) {
    return undefined;
  }
  const ms = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  if (!(ms >= 1 && ms <= MAX_DURATION_MS)) {
    throw fail("invalidDuration", { option, value: text.slice(0, 20), min: 1, max: MAX_DURATION_MS });
  }
  return ms;
}

/**
 * Returns `argv` with each negative-number argument (`-5`) moved after a
 * `--`, so that parseArgs reads it as a positional argument and not as the
 * short option `-5`. A negative number right after an option that takes a
 * value stays in place as that value.
 */
function positionalNegativeNumbers(argv) {
  const kept = [];
  const numbers = [];
  let terminated = false;
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index];
    if (argument === "--") {
      kept.push(...argv.slice(index));
      terminated = true;
      break;
    }
    if (NEGATIVE_NUMBER.test(argument)) {
      numbers.push(argument);
      continue;
    }
    kept.push(argument);
    if (takesNextArgument(argument) && index + 1 < argv.length) {
      index += 1;
      kept.push(argv[index]);
    }
  }
  if (numbers.length === 0) {
    return argv;
  }
  return terminated ? [...kept, ...numbers] : [...kept, "--", ...numbers];
}

/** Tells whether parseArgs takes the argument after `argument` as its value. */
function takesNextArgument(argument) {
  return argument.startsWith("--") && !argument.includes("=") && OPTIONS[argument.slice(2)]?.type === "string";
}

/**
 * Returns the secrets of the webhook URLs given in --webhook options and in
 * B24_WEBHOOK_URL, read without a full parse, so that even the message about
 * an invalid argument can be masked.
 */
export function webhookSecrets(argv, env) {
  const urls = [env.B24_WEBHOOK_URL];
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index];
    if (argument === "--") break;
    if (argument === "--webhook") urls.push(argv[index + 1]);
    if (argument.startsWith("--webhook=")) urls.push(argument.slice("--webhook=".length));
  }
  return urls.filter((url) => typeof url === "string").map(webhookSecret).filter((secret) => secret !== null);
}

/**
 * Reads --lang before the full parse, so that a message about another
 * argument is already in the requested language. Returns null when --lang
 * is absent or unknown.
 */
function languageFromArgv(argv, languages) {
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index];
    if (argument === "--") break;
    if (argument === "--lang") return matchLanguage(argv[index + 1] ?? "", languages);
    if (argument.startsWith("--lang=")) return matchLanguage(argument.slice("--lang=".length), languages);
  }
  return null;
}
