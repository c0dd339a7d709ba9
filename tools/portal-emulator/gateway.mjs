// The HTTP side of the REST API: `/rest/...` routing, parameters, authentication,
// fault injection, and sending the response, possibly late, broken or not at all.

import { applyResultFault, buildReplacementResponse, FaultError, faultKind, parseFaultSpec } from "./faults.mjs";
import { encodePhpJson, errorBody } from "./envelope.mjs";
import { parseBodyParams, parsePhpQuery, phpIntval } from "./params.mjs";
import { METHOD_NAMES, normalizeMethodName } from "./rest.mjs";

export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** A request body over MAX_BODY_BYTES. */
export class BodyTooLargeError extends Error {
  constructor() {
    super(`the request body exceeds ${MAX_BODY_BYTES} bytes`);
    this.name = "BodyTooLargeError";
  }
}

/**
 * Handles one `/rest/` request. `ctx` contains the emulator's registries (`auth`,
 * `registry`, `api`, `faults`) and the functions `clock`, `log`, `recordRequest`,
 * `setTimer`, `clearTimer` and `isClosed`. Resolves when the response is sent or, for a
 * request that gets no response, when it has been accepted.
 */
export async function handleRest(req, res, rawPath, rawQuery, ctx) {
  const route = parseRestPath(rawPath);
  const params = Object.assign(
    Object.create(null),
    parsePhpQuery(rawQuery),
    parseBodyParams(req.headers["content-type"], await readBody(req)),
  );

  const faultParameter = params._fault;
  const token = params.auth;
  delete params._fault;
  delete params.auth;

  const hasToken = token !== undefined && token !== "";
  const processId = params.processId === undefined ? null : phpIntval(params.processId);
  let authKind = "none";
  if (route.webhook !== null) {
    authKind = "webhook";
  } else if (hasToken) {
    authKind = "token";
  }
  const entry = ctx.recordRequest({ method: loggableMethodName(route.method), processId, auth: authKind });

  let fault;
  try {
    fault = selectFault(req.headers["x-emulator-fault"], faultParameter, ctx.faults, { method: route.method, processId });
  } catch (error) {
    if (!(error instanceof FaultError)) {
      throw error;
    }
    return send(res, jsonPlan(400, errorBody("EMULATOR_INVALID_FAULT", error.message)), null, entry, ctx);
  }
  entry.fault = fault?.name ?? null;
  const kind = fault === null ? null : faultKind(fault.name);

  if (kind === "replace") {
    const plan = buildReplacementResponse(fault, ctx.clock());
    if (plan === null) {
      // no_answer: the socket stays open until the client gives up or the emulator closes.
      ctx.log(`${entry.method} processId=${entry.processId ?? "-"} auth=${entry.auth} -> no response (fault no_answer)`);
      return undefined;
    }
    return send(res, plan, null, entry, ctx);
  }
  const delivery = kind === "delivery" ? fault : null;

  const authResult = authenticate(route, hasToken ? String(token) : null, ctx.auth);
  if (authResult.error !== undefined) {
    return send(res, jsonPlan(authResult.status, errorBody(authResult.error, authResult.description)), delivery, entry, ctx);
  }

  if (fault?.name === "purge" && processId !== null) {
    ctx.registry.purge(processId);
  }

  const { status, payload } = ctx.api.call(route.method, params, authResult.scopes);
  if (status === 200 && route.method === "configuration.import.register" && Number.isInteger(payload.result?.processId)) {
    entry.processId = payload.result.processId;
  }
  const delivered = kind === "result" && status === 200 ? applyResultFault(fault, route.method, payload) : payload;
  return send(res, jsonPlan(status, delivered), delivery, entry, ctx);
}

/**
 * Splits a REST path into the method and, for a webhook, the user id and secret.
 * `/rest/<method>` is an OAuth call, `/rest/<user id>/<secret>/<method>` a webhook
 * call. A path of another shape gets the empty method, which no method has.
 */
export function parseRestPath(rawPath) {
  const parts = rawPath.slice("/rest/".length).split("/").map(safeDecode);
  if (parts.length === 1) {
    return { method: normalizeMethodName(parts[0]), webhook: null };
  }
  if ((parts.length === 2 || parts.length === 3) && /^\d+$/.test(parts[0])) {
    return { method: normalizeMethodName(parts[2] ?? ""), webhook: { userId: parts[0], secret: parts[1] } };
  }
  return { method: "", webhook: null };
}

function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Reads a request body into a Buffer; rejects with BodyTooLargeError past MAX_BODY_BYTES. */
export function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners("data");
        req.resume();
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

// Logs name only known methods, because a client that builds a URL wrongly may put
// its webhook secret or token where the method goes.
function loggableMethodName(method) {
  if (method === "") {
    return "(no method)";
  }
  return METHOD_NAMES.includes(method) ? method : "(unknown method)";
}

function selectFault(headerValue, parameterValue, script, request) {
  if (typeof headerValue === "string" && headerValue.trim() !== "") {
    return parseFaultSpec(headerValue.trim());
  }
  if (typeof parameterValue === "string" && parameterValue.trim() !== "") {
    return parseFaultSpec(parameterValue.trim());
  }
  return script.take(request);
}

function authenticate(route, token, auth) {
  if (route.webhook !== null) {
    const scopes = auth.findWebhook(route.webhook.userId, route.webhook.secret);
    return scopes === null
      ? { status: 401, error: "INVALID_CREDENTIALS", description: "Invalid request credentials" }
      : { scopes };
  }
  if (token === null) {
    return { status: 401, error: "NO_AUTH_FOUND", description: "Wrong authorization data" };
  }
  const check = auth.checkToken(token);
  if (check.error === "expired_token") {
    return { status: 401, error: "expired_token", description: "The access token provided has expired." };
  }
  if (check.error !== undefined) {
    return { status: 401, error: "invalid_token", description: "The access token provided is invalid." };
  }
  return { scopes: check.scopes };
}

function jsonPlan(status, payload) {
  return {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8" },
    body: encodePhpJson(payload),
  };
}

// Sends a response. A delivery fault may delay it (slow), cut the body (invalid_json),
// drop the body (empty_body) or drop the connection halfway (reset).
function send(res, plan, delivery, entry, ctx) {
  entry.httpStatus = plan.status;
  const body = Buffer.from(plan.body, "utf8");
  const note = delivery === null ? "" : ` fault=${delivery.name}`;
  const summary = `${entry.method} processId=${entry.processId ?? "-"} auth=${entry.auth} -> ${plan.status}`;

  const write = () => {
    if (res.destroyed || ctx.isClosed()) {
      return;
    }
    switch (delivery?.name) {
      case "invalid_json": {
        // Any JSON object cut in half lacks its closing brace, so it cannot parse.
        const truncated = body.subarray(0, Math.max(1, Math.floor(body.length / 2)));
        res.writeHead(plan.status, { ...plan.headers, "Content-Length": truncated.length });
        res.end(truncated);
        break;
      }
      case "empty_body":
        res.writeHead(plan.status, { ...plan.headers, "Content-Length": 0 });
        res.end();
        break;
      case "reset":
        // Content-Length promises the whole body, so the client sees the cut.
        res.writeHead(plan.status, { ...plan.headers, "Content-Length": body.length });
        res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
        break;
      default:
        res.writeHead(plan.status, { ...plan.headers, "Content-Length": body.length });
        res.end(body);
    }
    ctx.log(`${summary}${note}`);
  };

  if (delivery?.name === "slow") {
    return new Promise((resolve) => {
      const timer = ctx.setTimer(() => {
        write();
        resolve();
      }, delivery.params.delayMs);
      res.on("close", () => {
        ctx.clearTimer(timer);
        resolve();
      });
    });
  }
  write();
  return undefined;
}
