// Read-only static file serving for the demo page and the built package. There is no
// directory listing; a directory serves its index.html if it has one.

import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import path from "node:path";

const MIME_TYPES = Object.freeze({
  ".html": "text/html; charset=utf-8",
  ".htm": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
});
const FALLBACK_MIME_TYPE = "application/octet-stream";

/**
 * Checks the static roots and returns a handler `(req, res, rawPath) => Promise<boolean>`
 * that serves a file and returns true, or returns false when no root's prefix matches
 * the path. `roots` maps URL prefixes ("/", "/dist/") to absolute directory paths.
 * Throws when a prefix or directory is invalid.
 */
export async function createStaticHandler(roots) {
  const mounts = [];
  for (const [prefix, directory] of Object.entries(roots ?? {})) {
    if (!prefix.startsWith("/") || !prefix.endsWith("/")) {
      throw new Error(`static root prefix "${prefix}" must start and end with "/"`);
    }
    if (typeof directory !== "string" || !path.isAbsolute(directory)) {
      throw new Error(`static root for "${prefix}" must be an absolute directory path, got ${JSON.stringify(directory)}`);
    }
    const resolved = await realpath(directory);
    if (!(await stat(resolved)).isDirectory()) {
      throw new Error(`static root for "${prefix}" is not a directory: ${directory}`);
    }
    mounts.push({ prefix, directory: resolved });
  }
  // The longest prefix wins, so "/dist/" is served from its own root before "/".
  mounts.sort((a, b) => b.prefix.length - a.prefix.length);

  return async function serveStatic(req, res, rawPath) {
    const mount = mounts.find((candidate) => rawPath.startsWith(candidate.prefix));
    if (mount === undefined) {
      return false;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendText(res, 405, "Method not allowed", { Allow: "GET, HEAD" });
      return true;
    }

    const segments = decodeSegments(rawPath.slice(mount.prefix.length));
    if (segments === null) {
      sendText(res, 403, "Forbidden");
      return true;
    }

    const file = await resolveFile(mount.directory, segments);
    if (file === null) {
      sendText(res, 404, "Not found");
      return true;
    }
    if (file === "outside") {
      sendText(res, 403, "Forbidden");
      return true;
    }
    await sendFile(req, res, file);
    return true;
  };
}

// Returns the decoded path segments, or null for a traversal attempt: a `..` segment,
// an encoded slash or backslash, a NUL byte or malformed percent encoding. Hidden
// files (a segment starting with ".") are refused the same way.
function decodeSegments(relativePath) {
  const segments = [];
  for (const raw of relativePath.split("/")) {
    let segment;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (segment === "") {
      continue;
    }
    if (segment.startsWith(".") || /[/\\\0]/.test(segment)) {
      return null;
    }
    segments.push(segment);
  }
  return segments;
}

// Returns the real path of the file to serve, null when there is none, or "outside"
// when a symbolic link leads out of the root.
async function resolveFile(root, segments) {
  let candidate = path.join(root, ...segments);
  let info;
  try {
    candidate = await realpath(candidate);
    info = await stat(candidate);
  } catch {
    return null;
  }
  if (candidate !== root && !candidate.startsWith(root + path.sep)) {
    return "outside";
  }
  if (info.isDirectory()) {
    return resolveIndex(root, candidate);
  }
  return info.isFile() ? candidate : null;
}

async function resolveIndex(root, directory) {
  try {
    const index = await realpath(path.join(directory, "index.html"));
    if (!index.startsWith(root + path.sep)) {
      return "outside";
    }
    return (await stat(index)).isFile() ? index : null;
  } catch {
    return null;
  }
}

async function sendFile(req, res, file) {
  const type = MIME_TYPES[path.extname(file).toLowerCase()] ?? FALLBACK_MIME_TYPE;
  const info = await stat(file);
  res.writeHead(200, {
    "Content-Type": type,
    "Content-Length": info.size,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
  });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  // Headers are gone by now, so a read error can only cut the response short.
  stream.on("error", () => res.destroy());
  stream.pipe(res);
}

function sendText(res, status, text, headers = {}) {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", ...headers });
  res.end(`${text}\n`);
}
