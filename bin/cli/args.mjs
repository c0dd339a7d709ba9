// Command-line arguments of b24-import-watch. Messages never quote a value
// that could be the webhook URL: an extra positional argument or an unknown
// option is reported by its count or its name alone.
import { parseArgs } from "node:util";

import { availableLanguages, environmentLanguage, matchLanguage, Texts } from "./texts.mjs";

/** Timers turn larger delays into 1 ms, so the watcher rejects them too. */
const MAX_DURATION_MS = 2_147_483_647;

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
 * intervalMs, timeoutMs}`. Throws a UsageError with `texts` attached when
 * an argument is invalid.
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
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: false, tokens: true });
  } catch {
    throw fail("unknownOption", { option: "?" });
  }
  for (const token of parsed.tokens) {
    if (token.kind !== "option") continue;
    const spec = OPTIONS[token.name];
    if (spec === undefined) {
      throw fail("unknownOption", { option: token.rawName });
    }
    // Without strict parsing, "--webhook --json" would read "--json" as the URL.
    const valueMissing = token.value === undefined || (!token.inlineValue && token.value.startsWith("-"));
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
  const webhookUrl = values.webhook ?? env.B24_WEBHOOK_URL;
  if (webhookUrl === undefined || webhookUrl === "") {
    throw fail("missingWebhook");
  }

  return {
    texts,
    help: false,
    processId: positionals[0],
    webhookUrl,
    json: values.json === true,
    intervalMs: readDuration(values.interval, "--interval", fail),
    timeoutMs: readDuration(values.timeout, "--timeout", fail),
  };
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
