// Control endpoints under /_emulator/ that tests and demo pages use to steer the
// emulator. They serve loopback clients only, and only under a loopback Host name,
// which keeps DNS-rebinding pages out.

import { CredentialsError } from "./auth.mjs";
import { FaultError } from "./faults.mjs";
import { readBody } from "./gateway.mjs";
import { ScenarioError } from "./scenario.mjs";

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Handles one `/_emulator/` request. `ctx` contains the emulator's registries
 * (`registry`, `auth`, `faults`) and the functions `requests`, `reset`, `info` and
 * `createWebhookUrl`.
 */
export async function handleControl(req, res, rawPath, ctx) {
  if (!isLoopbackRequest(req)) {
    return sendJson(res, 403, { error: "FORBIDDEN", error_description: "Control endpoints accept loopback clients only." });
  }

  const routes = {
    "/_emulator/register": { POST: (body) => ({ processId: ctx.registry.register(body) }) },
    "/_emulator/tokens": { POST: (body) => ctx.auth.issueToken({ scopes: body.scopes, lifetimeMs: body.lifetimeMs }) },
    "/_emulator/refresh": { POST: (body) => refresh(ctx, body) },
    "/_emulator/webhooks": {
      POST: (body) => {
        // Both names carry the same URL: `webhookUrl` matches the module API, and the
        // demo page reads `url`.
        const webhookUrl = ctx.createWebhookUrl({ scopes: body.scopes, userId: body.userId });
        return { webhookUrl, url: webhookUrl };
      },
    },
    "/_emulator/faults": {
      GET: () => ctx.faults.pending(),
      POST: (body) => {
        ctx.faults.replace(body);
        return { pending: ctx.faults.pending().length };
      },
    },
    "/_emulator/requests": { GET: () => ctx.requests() },
    "/_emulator/reset": {
      POST: () => {
        ctx.reset();
        return { reset: true };
      },
    },
    "/_emulator/info": { GET: () => ctx.info() },
  };

  const route = routes[rawPath];
  if (route === undefined) {
    return sendJson(res, 404, { error: "NOT_FOUND", error_description: `No control endpoint ${rawPath}.` });
  }
  const handler = route[req.method];
  if (handler === undefined) {
    return sendJson(res, 405, {
      error: "METHOD_NOT_ALLOWED",
      error_description: `${rawPath} accepts ${Object.keys(route).join(", ")}.`,
    }, { Allow: Object.keys(route).join(", ") });
  }

  let body = {};
  if (req.method === "POST") {
    const text = (await readBody(req)).toString("utf8").trim();
    if (text !== "") {
      try {
        body = JSON.parse(text);
      } catch (error) {
        return sendJson(res, 400, { error: "INVALID_JSON", error_description: `The body is not valid JSON: ${error.message}` });
      }
    }
    if (body === null || typeof body !== "object") {
      return sendJson(res, 400, { error: "INVALID_BODY", error_description: "The body must be a JSON object or array." });
    }
  }

  try {
    return sendJson(res, 200, handler(body));
  } catch (error) {
    if (error instanceof ScenarioError || error instanceof FaultError || error instanceof CredentialsError) {
      return sendJson(res, 400, { error: "INVALID_ARGUMENT", error_description: error.message });
    }
    if (error instanceof RefreshError) {
      return sendJson(res, 400, { error: "invalid_grant", error_description: error.message });
    }
    throw error;
  }
}

class RefreshError extends Error {}

function refresh(ctx, body) {
  if (typeof body.refresh_token !== "string" || body.refresh_token === "") {
    throw new RefreshError("refresh_token is missing; send {\"refresh_token\": \"...\"}.");
  }
  const token = ctx.auth.refreshToken(body.refresh_token);
  if (token === null) {
    throw new RefreshError("The refresh token is unknown, already used or expired.");
  }
  return token;
}

function isLoopbackRequest(req) {
  const address = req.socket.remoteAddress ?? "";
  const loopbackAddress = address === "::1" || /^(::ffff:)?127\./.test(address);
  const host = String(req.headers.host ?? "").replace(/:\d+$/, "").toLowerCase();
  return loopbackAddress && LOOPBACK_HOSTS.has(host);
}

function sendJson(res, status, value, headers = {}) {
  const body = Buffer.from(JSON.stringify(value), "utf8");
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": body.length, ...headers });
  res.end(body);
}
