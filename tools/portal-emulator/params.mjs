// Request parameters as a PHP portal parses them: query strings and form bodies with
// bracket keys (`data[MANIFEST][CODE]=x`, `list[]=a`), JSON bodies, and PHP's integer cast.

const MAX_KEY_DEPTH = 32;

/**
 * Parses a query string or an `application/x-www-form-urlencoded` body the way PHP
 * fills `$_GET`/`$_POST`. Bracket keys build nested objects, `[]` appends at the next
 * integer key, and a later duplicate key overwrites an earlier one. Objects have a null
 * prototype, so keys such as `__proto__` stay plain data.
 */
export function parsePhpQuery(text) {
  const root = Object.create(null);
  if (!text) {
    return root;
  }

  // URLSearchParams decodes `+` and percent escapes and keeps malformed escapes as
  // literal text, which is also what PHP's urldecode does.
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const path = splitBracketKey(rawKey);
    if (path !== null) {
      assignPath(root, path, value);
    }
  }
  return root;
}

// Returns the key segments of `a[b][]`, as ["a", "b", ""], or null for a key PHP drops.
function splitBracketKey(key) {
  const match = /^([^[\]]+)((?:\[[^\]]*\])*)/.exec(key);
  if (match === null) {
    return null;
  }

  const path = [match[1]];
  for (const segment of match[2].matchAll(/\[([^\]]*)\]/g)) {
    path.push(segment[1]);
  }
  return path.length > MAX_KEY_DEPTH ? null : path;
}

function assignPath(root, path, value) {
  let container = root;
  for (let i = 0; i < path.length; i += 1) {
    const key = path[i] === "" ? String(nextIndex(container)) : path[i];
    if (i === path.length - 1) {
      container[key] = value;
      return;
    }
    const child = container[key];
    if (child === null || typeof child !== "object") {
      container[key] = Object.create(null);
    }
    container = container[key];
  }
}

function nextIndex(container) {
  let next = 0;
  for (const key of Object.keys(container)) {
    if (/^(0|[1-9]\d*)$/.test(key)) {
      next = Math.max(next, Number(key) + 1);
    }
  }
  return next;
}

/**
 * Parses a request body by its Content-Type. JSON and form bodies give an object of
 * parameters. Any other type, an empty body, invalid JSON or a JSON value that is not
 * an object gives no parameters, as PHP ignores such bodies.
 */
export function parseBodyParams(contentType, body) {
  const type = String(contentType ?? "").split(";")[0].trim().toLowerCase();
  if (body.length === 0) {
    return Object.create(null);
  }

  if (type === "application/json") {
    try {
      const value = JSON.parse(body.toString("utf8"));
      return value !== null && typeof value === "object" && !Array.isArray(value)
        ? value
        : Object.create(null);
    } catch {
      return Object.create(null);
    }
  }

  if (type === "application/x-www-form-urlencoded") {
    return parsePhpQuery(body.toString("utf8"));
  }

  return Object.create(null);
}

/**
 * Converts a value with PHP 8's `(int)` cast rules. A string is read up to the first
 * character that cannot continue a number: "12abc" is 12, "abc" is 0, "1e3" is 1000.
 * Booleans are 1 or 0. An array or object is 0 when empty and 1 otherwise.
 */
export function phpIntval(value) {
  if (typeof value === "number") {
    return Number.isFinite(value) ? Math.trunc(value) : 0;
  }
  if (typeof value === "boolean") {
    return value ? 1 : 0;
  }
  if (typeof value === "string") {
    const match = /^[ \t\n\r\v\f]*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)/.exec(value);
    if (match === null) {
      return 0;
    }
    const number = Math.trunc(Number(match[1]));
    return Number.isFinite(number) ? number : 0;
  }
  if (value !== null && typeof value === "object") {
    return Object.keys(value).length > 0 ? 1 : 0;
  }
  return 0;
}

/** Returns whether a parameter value is a PHP array, that is, a JSON object or array. */
export function isPhpArray(value) {
  return value !== null && typeof value === "object";
}
