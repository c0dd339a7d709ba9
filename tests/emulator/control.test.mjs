// Control endpoints, shutdown, and the command-line entry point.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { getStatus, request, startForTest } from "./helpers.mjs";

const SERVER_PATH = fileURLToPath(new URL("../../tools/portal-emulator/server.mjs", import.meta.url));

test("register endpoint takes scenario", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(`${emulator.url}/_emulator/register`, { json: { outcome: "E-no-details", firstRunDelayMs: 0 } });
  assert.deepEqual(response.body, { processId: 101 });
  assert.deepEqual(await getStatus(emulator, 101), { status: "E" });
});

test("register endpoint rejects scenario", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(`${emulator.url}/_emulator/register`, { json: { sections: ["bad code"] } });
  assert.equal(response.status, 400);
  assert.equal(response.body.error, "INVALID_ARGUMENT");
  assert.match(response.body.error_description, /section code/);
});

test("tokens and refresh endpoints", async (t) => {
  const emulator = await startForTest(t);
  const issued = await request(`${emulator.url}/_emulator/tokens`, { json: { scopes: ["configuration.import"], lifetimeMs: 5000 } });
  const refreshed = await request(`${emulator.url}/_emulator/refresh`, { json: { refresh_token: issued.body.refresh_token } });
  const reused = await request(`${emulator.url}/_emulator/refresh`, { json: { refresh_token: issued.body.refresh_token } });

  assert.equal(issued.body.expires_in, 5, "lifetime in seconds");
  assert.equal(refreshed.status, 200, "refresh works once");
  assert.equal(typeof refreshed.body.access_token, "string");
  assert.equal(reused.status, 400, "a used refresh token is rejected");
  assert.equal(reused.body.error, "invalid_grant");
});

test("webhooks endpoint creates webhook", async (t) => {
  const emulator = await startForTest(t);
  const created = await request(`${emulator.url}/_emulator/webhooks`, { json: { scopes: ["crm"] } });
  const response = await request(`${created.body.webhookUrl}configuration.import.get?processId=1`);
  assert.equal(created.body.url, created.body.webhookUrl, "url repeats webhookUrl");
  assert.equal(response.status, 403, "the new webhook has only its scopes");
});

test("requests and reset endpoints", async (t) => {
  const emulator = await startForTest(t);
  emulator.setFaults([{ fault: "query_limit", times: 5 }]);
  await request(`${emulator.webhookUrl}configuration.import.get?processId=1`);
  const logged = await request(`${emulator.url}/_emulator/requests`);
  const reset = await request(`${emulator.url}/_emulator/reset`, { method: "POST" });
  const afterReset = await request(`${emulator.webhookUrl}configuration.import.get?processId=1`);

  assert.equal(logged.body.length, 1, "one request logged");
  assert.equal(logged.body[0].fault, "query_limit");
  assert.deepEqual(reset.body, { reset: true });
  assert.equal(afterReset.status, 200, "the fault script is cleared");
  assert.equal(emulator.requests.length, 1, "the log restarted");
});

test("faults endpoint lists pending", async (t) => {
  const emulator = await startForTest(t);
  emulator.setFaults([{ fault: "slow", delayMs: 20, times: 3 }]);
  const response = await request(`${emulator.url}/_emulator/faults`);
  assert.deepEqual(response.body, [{ fault: "slow", times: 3, delayMs: 20 }]);
});

test("info endpoint hides secret", async (t) => {
  const emulator = await startForTest(t, { agentPeriodMs: 1500 });
  const response = await request(`${emulator.url}/_emulator/info`);
  const secret = emulator.webhookUrl.split("/").at(-2);
  assert.equal(response.body.url, emulator.url);
  assert.equal(response.body.agentPeriodMs, 1500);
  assert.equal(response.text.includes(secret), false);
});

test("control errors are JSON", async (t) => {
  const emulator = await startForTest(t);
  const unknown = await request(`${emulator.url}/_emulator/nothing`);
  const wrongMethod = await request(`${emulator.url}/_emulator/info`, { method: "POST" });
  const badJson = await fetch(`${emulator.url}/_emulator/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "[{",
  });

  assert.equal(unknown.status, 404, "unknown endpoint");
  assert.equal(wrongMethod.status, 405, "wrong method");
  assert.equal(wrongMethod.headers.get("allow"), "GET");
  assert.equal(badJson.status, 400, "invalid JSON");
});

test("foreign Host is refused", async (t) => {
  const emulator = await startForTest(t);
  const { port } = new URL(emulator.url);
  const status = await new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), "127.0.0.1", () => {
      socket.write("GET /_emulator/info HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n");
    });
    let text = "";
    socket.on("data", (chunk) => {
      text += chunk;
    });
    socket.on("end", () => resolve(Number(text.split(" ")[1])));
    socket.on("error", reject);
  });
  assert.equal(status, 403);
});

test("close ends idle sockets", async (t) => {
  const emulator = await startForTest(t);
  const { port } = new URL(emulator.url);
  const socket = net.connect(Number(port), "127.0.0.1");
  await new Promise((resolve) => socket.once("connect", resolve));
  socket.write("GET /rest/batch HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  const closedSocket = new Promise((resolve) => socket.once("close", resolve));
  await new Promise((resolve) => setTimeout(resolve, 20));

  const started = Date.now();
  await emulator.close();
  await closedSocket;
  assert.ok(Date.now() - started < 1000);
});

test("close can be called twice", async (t) => {
  const emulator = await startForTest(t);
  await emulator.close();
  await emulator.close();
  await assert.rejects(fetch(emulator.url), TypeError);
});

test("port in use is reported", async (t) => {
  const emulator = await startForTest(t);
  const { port } = new URL(emulator.url);
  const { startEmulator } = await import("../../tools/portal-emulator/server.mjs");
  await assert.rejects(startEmulator({ port: Number(port) }), /EADDRINUSE/);
});

// Runs the CLI and resolves with its first stdout line, its child process and stderr so far.
function startCli(args) {
  const child = spawn(process.execPath, [SERVER_PATH, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const output = { stdout: "", stderr: "" };
  child.stdout.on("data", (chunk) => {
    output.stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output.stderr += chunk;
  });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const firstLine = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no output within 10 s; stderr: ${output.stderr}`)), 10_000);
    child.stdout.on("data", () => {
      if (output.stdout.includes("\n")) {
        clearTimeout(timer);
        resolve(output.stdout.split("\n")[0]);
      }
    });
    exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`exited early; stderr: ${output.stderr}`));
    });
  });
  // Tests that expect an early exit never await the first line.
  firstLine.catch(() => {});
  return { child, output, exited, firstLine };
}

test("CLI serves and stops cleanly", async (t) => {
  const cli = startCli(["--port", "0", "--agent-period-ms", "50", "--www", path.dirname(SERVER_PATH)]);
  t.after(() => cli.child.kill("SIGKILL"));
  const { url, webhookUrl } = JSON.parse(await cli.firstLine);
  const response = await request(`${webhookUrl}configuration.import.get?processId=1`);
  const page = await fetch(`${url}/server.mjs`);
  cli.child.kill("SIGTERM");
  const { code } = await cli.exited;
  const secret = webhookUrl.split("/").at(-2);

  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, "url on stdout");
  assert.equal(response.status, 200, "the webhook works");
  assert.equal(page.status, 200, "--www is served");
  assert.equal(code, 0, "exit code 0 after SIGTERM");
  assert.match(cli.output.stderr, /configuration\.import\.get processId=1 auth=webhook -> 200/, "requests logged to stderr");
  assert.equal(cli.output.stderr.includes(secret), false, "no secret on stderr");
});

test("CLI rejects unknown flag", async () => {
  const cli = startCli(["--colour"]);
  const { code } = await cli.exited;
  assert.equal(code, 2);
  assert.match(cli.output.stderr, /Usage:/);
});

test("CLI rejects bad number", async () => {
  const cli = startCli(["--agent-period-ms", "fast"]);
  const { code } = await cli.exited;
  assert.equal(code, 2);
  assert.match(cli.output.stderr, /--agent-period-ms must be a non-negative integer/);
});
