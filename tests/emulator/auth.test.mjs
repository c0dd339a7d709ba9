// Authentication: webhooks, OAuth tokens in each request encoding, expiry, refresh, scopes.

import assert from "node:assert/strict";
import { test } from "node:test";

import { manualClock, request, startForTest } from "./helpers.mjs";

const GET_PATH = "configuration.import.get";

test("default webhook is accepted", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(`${emulator.webhookUrl}${GET_PATH}?processId=1`);
  assert.equal(response.status, 200);
  assert.match(emulator.webhookUrl, /^http:\/\/127\.0\.0\.1:\d+\/rest\/1\/[a-z0-9]{16}\/$/, "webhook URL form");
});

test("wrong webhook secret rejected", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(`${emulator.url}/rest/1/wrongsecret00000/${GET_PATH}?processId=1`);
  assert.equal(response.status, 401);
  assert.deepEqual(response.body, { error: "INVALID_CREDENTIALS", error_description: "Invalid request credentials" });
});

test("wrong webhook user rejected", async (t) => {
  const emulator = await startForTest(t);
  const url = emulator.webhookUrl.replace("/rest/1/", "/rest/2/");
  const response = await request(`${url}${GET_PATH}?processId=1`);
  assert.equal(response.status, 401);
  assert.equal(response.body.error, "INVALID_CREDENTIALS");
});

test("token works in every encoding", async (t) => {
  const emulator = await startForTest(t);
  const { access_token: token } = emulator.issueToken();
  const url = `${emulator.url}/rest/${GET_PATH}.json`;

  const query = await request(`${url}?processId=1&auth=${token}`);
  const json = await request(url, { json: { processId: 1, auth: token } });
  const form = await request(url, { form: { processId: "1", auth: token } });

  assert.equal(query.status, 200, "auth in the query string");
  assert.equal(json.status, 200, "auth in a JSON body");
  assert.equal(form.status, 200, "auth in a form body");
  assert.deepEqual(emulator.requests.map((entry) => entry.auth), ["token", "token", "token"], "logged as token auth");
});

test("missing auth is rejected", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(`${emulator.url}/rest/${GET_PATH}?processId=1`);
  assert.equal(response.status, 401);
  assert.deepEqual(response.body, { error: "NO_AUTH_FOUND", error_description: "Wrong authorization data" });
  assert.equal(emulator.requests[0].auth, "none");
});

test("unknown token is rejected", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(`${emulator.url}/rest/${GET_PATH}?processId=1&auth=0123abcd`);
  assert.equal(response.status, 401);
  assert.equal(response.body.error, "invalid_token");
});

test("token expires after lifetime", async (t) => {
  const clock = manualClock();
  const emulator = await startForTest(t, { now: clock.now, tokenLifetimeMs: 60_000 });
  const { access_token: token } = emulator.issueToken();
  const url = `${emulator.url}/rest/${GET_PATH}?processId=1&auth=${token}`;

  clock.advance(59_999);
  const before = await request(url);
  clock.advance(1);
  const after = await request(url);

  assert.equal(before.status, 200, "valid just before the lifetime ends");
  assert.equal(after.status, 401, "HTTP 401 after it");
  assert.deepEqual(after.body, { error: "expired_token", error_description: "The access token provided has expired." });
});

test("token lifetime per token", async (t) => {
  const clock = manualClock();
  const emulator = await startForTest(t, { now: clock.now });
  const token = emulator.issueToken({ lifetimeMs: 1000 });
  clock.advance(1000);
  const response = await request(`${emulator.url}/rest/${GET_PATH}?processId=1&auth=${token.access_token}`);
  assert.equal(token.expires_in, 1);
  assert.equal(response.body.error, "expired_token");
});

test("token object has BX24 shape", async (t) => {
  const emulator = await startForTest(t);
  const token = emulator.issueToken();
  assert.deepEqual(Object.keys(token).sort(), ["access_token", "domain", "expires_in", "member_id", "refresh_token"]);
  assert.equal(token.expires_in, 3600);
  assert.equal(token.domain, new URL(emulator.url).host);
  assert.match(token.access_token, /^[0-9a-f]{70}$/);
});

test("refresh gives working token", async (t) => {
  const clock = manualClock();
  const emulator = await startForTest(t, { now: clock.now, tokenLifetimeMs: 1000 });
  const first = emulator.issueToken();
  clock.advance(5000);
  const second = emulator.refreshToken(first.refresh_token);
  const response = await request(`${emulator.url}/rest/${GET_PATH}?processId=1&auth=${second.access_token}`);

  assert.notEqual(second.access_token, first.access_token, "a new access token");
  assert.equal(response.status, 200, "the new token works");
  assert.equal(emulator.refreshToken(first.refresh_token), null, "a refresh token works once");
  assert.equal(emulator.refreshToken("nonsense"), null, "an unknown refresh token gives null");
});

test("missing scope is rejected", async (t) => {
  const emulator = await startForTest(t);
  const token = emulator.issueToken({ scopes: ["crm"] });
  const webhookUrl = emulator.createWebhook({ scopes: ["user"] });
  const byToken = await request(`${emulator.url}/rest/${GET_PATH}?processId=1&auth=${token.access_token}`);
  const byWebhook = await request(`${webhookUrl}${GET_PATH}?processId=1`);

  assert.equal(byToken.status, 403, "token without the scope");
  assert.deepEqual(byToken.body, {
    error: "insufficient_scope",
    error_description: "The request requires higher privileges than provided by the access token",
  });
  assert.equal(byWebhook.status, 403, "webhook without the scope");
  assert.equal(byWebhook.body.error, "insufficient_scope");
});

test("scoped webhook is accepted", async (t) => {
  const emulator = await startForTest(t);
  const webhookUrl = emulator.createWebhook({ scopes: ["configuration.import"] });
  const response = await request(`${webhookUrl}${GET_PATH}?processId=1`);
  assert.notEqual(webhookUrl, emulator.webhookUrl);
  assert.equal(response.status, 200);
});

test("batch checks scope per command", async (t) => {
  const emulator = await startForTest(t);
  const token = emulator.issueToken({ scopes: ["crm"] });
  const response = await request(`${emulator.url}/rest/batch`, {
    json: { auth: token.access_token, cmd: { a: `${GET_PATH}?processId=1` } },
  });
  assert.equal(response.status, 200);
  assert.equal(response.body.result.result_error.a.error, "insufficient_scope");
});

test("invalid token options throw", async (t) => {
  const emulator = await startForTest(t);
  assert.throws(() => emulator.issueToken({ lifetimeMs: 0 }), /lifetimeMs must be an integer/);
  assert.throws(() => emulator.issueToken({ scopes: "crm" }), /scopes must be an array/);
});
