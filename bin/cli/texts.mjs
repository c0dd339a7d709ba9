// Texts of the command-line watcher. Labels of states, actions and sections
// come from the product's message files in i18n/<id>.json, the same files the
// progress widget uses. Texts that only the command line needs (help,
// argument errors) are in CLI_TEXTS below, in English and Russian; other
// languages get English there.
import { readFileSync, readdirSync } from "node:fs";

const I18N_DIR = new URL("../../i18n/", import.meta.url);
const FALLBACK = "en";

/**
 * BCP 47 language tags, for Intl, of the Bitrix24 language ids whose tag
 * differs from the id (Bitrix24 uses ua for Ukrainian, la for Spanish, br
 * for Brazilian Portuguese).
 */
const LOCALE_OF_ID = { ua: "uk", la: "es", br: "pt-BR" };

const CLI_TEXTS = {
  en: {
    usage: "Usage: b24-import-watch <processId> [--webhook <url>] [--json] [--interval <ms>] [--timeout <ms>] [--lang <id>]",
    help: `Watches a Bitrix24 solution import until it ends. Polls
configuration.import.get and shows the stage, step, section, elapsed time,
notices and errors. When stdout is not a terminal it prints one line per
change instead of the live display.

Arguments:
  <processId>       the import's id, as configuration.import.register returned it

Options:
  --webhook <url>   incoming webhook, https://PORTAL/rest/USER_ID/SECRET/ with
                    the configuration.import scope. Default: the
                    B24_WEBHOOK_URL environment variable, which keeps the
                    secret out of the shell history and the process list.
  --json            print every update as one line of JSON
  --interval <ms>   poll every <ms> milliseconds. Default: follow the
                    portal agent, which runs at most once a minute
  --timeout <ms>    stop watching after <ms> milliseconds. Default: no limit
  --lang <id>       language of the display: {languages}.
                    Default: from LC_ALL, LC_MESSAGES or LANG, else en
  -h, --help        print this help

Exit codes:
  0    the import finished (status F)
  1    the import failed (status E)
  2    the portal does not know the process (status U): a wrong id, or the
       data was purged about 3 days after the import ended
  3    watching failed, or the arguments are invalid
  130  interrupted with Ctrl-C; the import goes on on the portal`,
    seeHelp: "Run b24-import-watch --help for the usage.",
    missingProcessId: "missing <processId>: pass the id that configuration.import.register returned",
    extraArguments: "expected one <processId>, got {count} arguments",
    invalidProcessId: "invalid processId \"{value}\": expected a positive integer such as 42, at most {max}",
    invalidProcessIdHidden: "invalid processId: expected a positive integer such as 42 (the value is not shown because it looks like a URL)",
    unknownOption: "unknown option {option}",
    missingValue: "option {option} needs a value",
    invalidDuration: "invalid {option} \"{value}\": expected a whole number of milliseconds from {min} to {max}",
    missingWebhook: "missing the webhook: pass --webhook https://PORTAL/rest/USER_ID/SECRET/ or set B24_WEBHOOK_URL",
    unknownLanguage: "unknown language \"{value}\": expected one of {languages}",
    interrupted: "Stopped watching. The import goes on on the portal.",
    notice: "notice",
    error: "error, the import went on",
    exception: "critical error",
    stage: "Stage",
  },
  ru: {
    usage: "Использование: b24-import-watch <processId> [--webhook <url>] [--json] [--interval <мс>] [--timeout <мс>] [--lang <id>]",
    help: `Следит за импортом решения в Битрикс24 до его окончания. Опрашивает
configuration.import.get и показывает этап, шаг, раздел, прошедшее время,
замечания и ошибки. Если stdout не терминал, печатает по строке на каждое
изменение вместо живого экрана.

Аргументы:
  <processId>       номер импорта, который вернул configuration.import.register

Параметры:
  --webhook <url>   входящий вебхук https://ПОРТАЛ/rest/ID_ПОЛЬЗОВАТЕЛЯ/СЕКРЕТ/
                    с правом configuration.import. По умолчанию: переменная
                    окружения B24_WEBHOOK_URL, так секрет не попадёт в
                    историю команд и список процессов.
  --json            печатать каждое обновление одной строкой JSON
  --interval <мс>   опрашивать каждые <мс> миллисекунд. По умолчанию: вслед
                    за агентом портала, который работает не чаще раза в минуту
  --timeout <мс>    прекратить наблюдение через <мс> миллисекунд. По
                    умолчанию: без ограничения
  --lang <id>       язык вывода: {languages}.
                    По умолчанию: из LC_ALL, LC_MESSAGES или LANG, иначе en
  -h, --help        показать эту справку

Коды выхода:
  0    импорт завершён (статус F)
  1    импорт прерван из-за ошибки (статус E)
  2    портал не знает процесс (статус U): неверный номер или данные удалены
       примерно через 3 дня после окончания импорта
  3    наблюдение не удалось или аргументы неверны
  130  прервано по Ctrl-C; импорт на портале продолжается`,
    seeHelp: "Справка: b24-import-watch --help",
    missingProcessId: "не указан <processId>: передайте номер, который вернул configuration.import.register",
    extraArguments: "ожидался один <processId>, получено аргументов: {count}",
    invalidProcessId: "неверный processId \"{value}\": ожидается целое положительное число, например 42, не больше {max}",
    invalidProcessIdHidden: "неверный processId: ожидается целое положительное число, например 42 (значение не показано, потому что похоже на URL)",
    unknownOption: "неизвестный параметр {option}",
    missingValue: "параметру {option} нужно значение",
    invalidDuration: "неверное значение {option} \"{value}\": ожидается целое число миллисекунд от {min} до {max}",
    missingWebhook: "не указан вебхук: передайте --webhook https://ПОРТАЛ/rest/ID_ПОЛЬЗОВАТЕЛЯ/СЕКРЕТ/ или задайте B24_WEBHOOK_URL",
    unknownLanguage: "неизвестный язык \"{value}\": ожидается один из {languages}",
    interrupted: "Наблюдение остановлено. Импорт на портале продолжается.",
    notice: "замечание",
    error: "ошибка, импорт продолжен",
    exception: "критическая ошибка",
    stage: "Этап",
  },
};

/** Lists the Bitrix24 language ids that have a message file, sorted. */
export function availableLanguages() {
  return readdirSync(I18N_DIR)
    .filter((name) => name.endsWith(".json"))
    .map((name) => name.slice(0, -".json".length))
    .sort();
}

/**
 * Finds the language id for a Bitrix24 id (`ru`, `ua`) or a BCP 47 tag or
 * POSIX locale (`uk`, `pt_BR.UTF-8`). Returns null when none matches.
 */
export function matchLanguage(requested, languages = availableLanguages()) {
  const tag = String(requested).split(".")[0].replace("_", "-").toLowerCase();
  if (languages.includes(tag)) {
    return tag;
  }
  const primary = tag.split("-")[0];
  if (languages.includes(primary)) {
    return primary;
  }
  for (const [id, locale] of Object.entries(LOCALE_OF_ID)) {
    if (languages.includes(id) && locale.split("-")[0].toLowerCase() === primary) {
      return id;
    }
  }
  return null;
}

/** Returns the language of the environment (LC_ALL, LC_MESSAGES, LANG), or English. */
export function environmentLanguage(env) {
  for (const name of ["LC_ALL", "LC_MESSAGES", "LANG"]) {
    const value = env[name];
    if (value && value !== "C" && value !== "POSIX") {
      return matchLanguage(value) ?? FALLBACK;
    }
  }
  return FALLBACK;
}

function readMessages(id) {
  try {
    return JSON.parse(readFileSync(new URL(`${id}.json`, I18N_DIR), "utf8"));
  } catch {
    return {};
  }
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** Texts and number formats of one language. */
export class Texts {
  constructor(id) {
    this.id = id;
    this.locale = LOCALE_OF_ID[id] ?? id;
    this.messages = readMessages(id);
    this.fallbackMessages = id === FALLBACK ? this.messages : readMessages(FALLBACK);
    this.cliTexts = CLI_TEXTS[id] ?? CLI_TEXTS[FALLBACK];
    this.plurals = new Intl.PluralRules(this.locale);
    this.numbers = new Intl.NumberFormat(this.locale);
    this.units = Object.fromEntries(
      ["hour", "minute", "second"].map((unit) => [unit, new Intl.NumberFormat(this.locale, { style: "unit", unit, unitDisplay: "short" })]),
    );
  }

  /** Returns a message of i18n/<id>.json with its {placeholders} filled, or the key itself when no file has it. */
  message(key, values = {}) {
    const template = this.messages[key] ?? this.fallbackMessages[key];
    return typeof template === "string" ? fill(template, values) : key;
  }

  /** Returns a counted message of i18n/<id>.json, such as "3 notices", in the language's plural form. */
  plural(key, count, values = {}) {
    const forms = this.messages[key] ?? this.fallbackMessages[key];
    if (forms === null || typeof forms !== "object") {
      return `${key}: ${count}`;
    }
    const template = forms[this.plurals.select(count)] ?? forms.other ?? Object.values(forms)[0];
    return fill(String(template), { count: this.number(count), ...values });
  }

  /** Returns a text of the command line itself, with its {placeholders} filled. */
  cli(key, values = {}) {
    return fill(this.cliTexts[key] ?? CLI_TEXTS[FALLBACK][key], values);
  }

  number(value) {
    return this.numbers.format(value);
  }

  /** Formats a duration as its two largest units, such as "1 hr 5 min" or "42 sec". */
  duration(totalMs) {
    const total = Math.max(0, Math.floor(totalMs / 1000));
    const hours = Math.floor(total / 3600);
    const minutes = Math.floor((total % 3600) / 60);
    const seconds = total % 60;
    const parts = [];
    if (hours > 0) {
      parts.push(this.units.hour.format(hours));
      if (minutes > 0) parts.push(this.units.minute.format(minutes));
    } else if (minutes > 0) {
      parts.push(this.units.minute.format(minutes));
      if (seconds > 0) parts.push(this.units.second.format(seconds));
    } else {
      parts.push(this.units.second.format(seconds));
    }
    return parts.join(" ");
  }

  /** Returns the display name of an action, or the action itself when no file names it. */
  action(action) {
    const key = `action.${action}`;
    const label = this.message(key);
    return label === key ? action : label;
  }

  /** Returns the display name of an entity section, or its code when no file names it. */
  section(code) {
    const key = `section.${code}`;
    const label = this.message(key);
    return label === key ? code : label;
  }
}
