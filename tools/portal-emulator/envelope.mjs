// The REST envelope: the `time` block, error bodies, and JSON encoded the way the PHP
// portal encodes it.

/**
 * Formats a Unix time in ms as ISO 8601 with the machine's UTC offset
 * ("2024-12-04T15:00:00+03:00"), the format of `date_start` and `date_finish`.
 */
export function formatAtomDate(ms) {
  const offsetMinutes = -new Date(ms).getTimezoneOffset();
  const shifted = new Date(Math.floor(ms / 1000) * 1000 + offsetMinutes * 60_000);
  const sign = offsetMinutes >= 0 ? "+" : "-";
  const hours = String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, "0");
  const minutes = String(Math.abs(offsetMinutes) % 60).padStart(2, "0");
  return `${shifted.toISOString().slice(0, 19)}${sign}${hours}:${minutes}`;
}

/**
 * Builds a `time` block. `start`, `finish`, `duration`, `processing` and `operating`
 * are float seconds, `operating_reset_at` is integer Unix seconds.
 */
export function buildTimeBlock({ startMs, durationMs, processingMs, operatingSeconds, operatingResetAt }) {
  // A zero would encode as the integer 0, and real portals always report a fraction.
  const duration = Math.max(durationMs, 0.01) / 1000;
  const processing = Math.min(Math.max(processingMs, 0.005) / 1000, duration);
  const start = startMs / 1000;
  const block = {
    start,
    finish: start + duration,
    duration,
    processing,
    date_start: formatAtomDate(startMs),
    date_finish: formatAtomDate(startMs + duration * 1000),
  };
  if (operatingSeconds !== undefined) {
    block.operating = operatingSeconds;
    block.operating_reset_at = operatingResetAt;
  }
  return block;
}

const PHP_ESCAPES = {
  "<": "\\u003C",
  ">": "\\u003E",
  "&": "\\u0026",
  "'": "\\u0027",
  "/": "\\/",
};

/**
 * Encodes a value like PHP's json_encode with JSON_HEX_TAG, JSON_HEX_AMP and
 * JSON_HEX_APOS: `/` as `\/`, `< > & '` as `\u003C`-style escapes and every non-ASCII
 * UTF-16 unit as `\uXXXX`. Error texts in the official REST docs show `\u003Cbr\u003E`.
 * The other escapes are PHP defaults, not checked against a live portal.
 * A client with a real JSON decoder reads the same strings either way.
 */
export function encodePhpJson(value) {
  // These characters can only occur inside JSON strings, so replacing them in the
  // whole text never touches the structure.
  return JSON.stringify(value).replace(/[<>&'/\u0080-\uffff]/g, (char) => {
    return PHP_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

/**
 * Returns what PHP's json_encode emits for an array with these [key, value] entries:
 * a JSON array when the keys are 0..n-1 in order (an empty PHP array is `[]`), else an
 * object.
 */
export function phpArray(entries) {
  const isList = entries.every(([key], index) => String(key) === String(index));
  if (isList) {
    return entries.map(([, value]) => value);
  }
  return Object.fromEntries(entries.map(([key, value]) => [String(key), value]));
}

/** Builds an error body. `code` is usually a string but may be an integer, as in Bitrix24. */
export function errorBody(code, description) {
  return { error: code, error_description: description };
}
