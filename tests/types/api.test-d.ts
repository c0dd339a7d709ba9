// Compile-time tests of js/index.d.ts, checked by `tsc -p tests/types`.
// Each `@ts-expect-error` line must fail to compile, so a declaration that
// grows too permissive breaks the check.
import { expectTypeOf } from "expect-type";
import {
  WatchError,
  ImportClient,
  ImportWatch,
  watchImport,
  getImportStatus,
  parseImportStatus,
  bx24Client,
  webhookClient,
  b24jssdkClient,
  mountImportProgress,
  type Bx24Like,
  type B24jssdkLike,
  type Client,
  type ClientFunction,
  type ImportAction,
  type ImportNotification,
  type ImportPhase,
  type ImportProgress,
  type ImportState,
  type ImportStatus,
  type ImportUpdate,
  type JsonValue,
  type RateLimit,
  type ServerTime,
  type StatusCode,
  type WatchErrorKind,
  type WatchOptions,
  type WidgetOptions,
} from "b24-import-watch";

declare const status: ImportStatus;
declare const update: ImportUpdate;
declare const error: WatchError;

// Status letters and states are closed unions.
expectTypeOf<StatusCode>().toEqualTypeOf<"S" | "P" | "F" | "E" | "U">();
expectTypeOf<ImportState>().toEqualTypeOf<"started" | "running" | "finished" | "failed" | "unknown">();
expectTypeOf<ImportAction>().toEqualTypeOf<"start" | "init_background" | "manifest" | "clean" | "load" | "finish">();
expectTypeOf<WatchErrorKind>().toEqualTypeOf<
  "rest" | "network" | "timeout" | "invalid_response" | "invalid_argument" | "aborted"
>();

// ImportStatus fields.
expectTypeOf(status.processId).toEqualTypeOf<number | null>();
expectTypeOf(status.code).toEqualTypeOf<StatusCode>();
expectTypeOf(status.state).toEqualTypeOf<ImportState>();
expectTypeOf(status.terminal).toEqualTypeOf<boolean>();
expectTypeOf(status.progress).toEqualTypeOf<ImportProgress | null>();
expectTypeOf(status.phase).toEqualTypeOf<ImportPhase | null>();
expectTypeOf(status.notices).toEqualTypeOf<readonly ImportNotification[]>();
expectTypeOf(status.errors).toEqualTypeOf<readonly ImportNotification[]>();
expectTypeOf(status.exceptions).toEqualTypeOf<readonly ImportNotification[]>();
expectTypeOf(status.additional).toEqualTypeOf<JsonValue | null>();
expectTypeOf(status.createdItems).toEqualTypeOf<readonly JsonValue[]>();
expectTypeOf(status.time).toEqualTypeOf<ServerTime | null>();
expectTypeOf<keyof ImportStatus>().toEqualTypeOf<
  | "processId"
  | "code"
  | "state"
  | "terminal"
  | "progress"
  | "phase"
  | "notices"
  | "errors"
  | "exceptions"
  | "additional"
  | "createdItems"
  | "time"
>();

// A status is read-only, its lists too.
// @ts-expect-error code is readonly
status.code = "F";
// @ts-expect-error the notices list is readonly
status.notices.push({ code: "", message: "", type: "notice" });

// Progress and phase.
declare const progress: ImportProgress;
expectTypeOf(progress.step).toEqualTypeOf<number>();
expectTypeOf(progress.section).toEqualTypeOf<string | null>();
expectTypeOf<"load">().toExtend<ImportProgress["action"]>();
expectTypeOf<null>().toExtend<ImportProgress["action"]>();
// Actions that a later portal version adds still type-check as strings.
expectTypeOf<"some_future_action">().toExtend<ImportProgress["action"]>();
expectTypeOf<ImportPhase["index"]>().toEqualTypeOf<0 | 1 | 2 | 3 | 4 | 5>();
expectTypeOf<ImportPhase["count"]>().toEqualTypeOf<6>();

// Notifications and the time block.
expectTypeOf<ImportNotification>().toEqualTypeOf<{ readonly code: string; readonly message: string; readonly type: string }>();
expectTypeOf<keyof ServerTime>().toEqualTypeOf<
  "start" | "finish" | "duration" | "processing" | "dateStart" | "dateFinish" | "operating" | "operatingResetAt"
>();
expectTypeOf<ServerTime["dateStart"]>().toEqualTypeOf<string | null>();
expectTypeOf<ServerTime["operatingResetAt"]>().toEqualTypeOf<number | null>();

// ImportUpdate.
expectTypeOf(update.status).toEqualTypeOf<ImportStatus | null>();
expectTypeOf(update.changed).toEqualTypeOf<boolean>();
expectTypeOf(update.attempt).toEqualTypeOf<number>();
expectTypeOf(update.nextPollInMs).toEqualTypeOf<number | null>();
expectTypeOf(update.error).toEqualTypeOf<WatchError | null>();
// @ts-expect-error an update is readonly
update.attempt = 2;

// WatchError.
expectTypeOf(error).toExtend<Error>();
expectTypeOf(error.name).toEqualTypeOf<"WatchError" | "AbortError" | "TimeoutError">();
expectTypeOf(error.kind).toEqualTypeOf<WatchErrorKind>();
expectTypeOf(error.code).toEqualTypeOf<string | null>();
expectTypeOf(error.httpStatus).toEqualTypeOf<number | null>();
expectTypeOf(error.retryable).toEqualTypeOf<boolean>();
expectTypeOf(error.retryAfterMs).toEqualTypeOf<number | null>();
// @ts-expect-error errors come from the package only
new WatchError();
function narrow(thrown: unknown): WatchErrorKind | null {
  return thrown instanceof WatchError ? thrown.kind : null;
}
expectTypeOf(narrow).returns.toEqualTypeOf<WatchErrorKind | null>();

// watchImport and ImportWatch.
const watch = watchImport(101, (received) => {
  expectTypeOf(received).toEqualTypeOf<ImportUpdate>();
});
expectTypeOf(watch).toEqualTypeOf<ImportWatch>();
expectTypeOf(watch.done).toEqualTypeOf<Promise<ImportStatus>>();
expectTypeOf(watch.latest).toEqualTypeOf<ImportStatus | null>();
expectTypeOf(watch.stop).toEqualTypeOf<() => void>();
expectTypeOf(watch.free).toEqualTypeOf<() => void>();
watchImport("101", () => {}, {});
// @ts-expect-error the callback is required
watchImport(101);
// @ts-expect-error a process id is a number or a string of digits
watchImport(true, () => {});
// @ts-expect-error done is readonly
watch.done = Promise.resolve(status);
// @ts-expect-error watches come from watchImport only
new ImportWatch();

// Every option, with its accepted values.
const controller = new AbortController();
const allOptions: WatchOptions = {
  client: webhookClient("https://example.bitrix24.com/rest/1/secret/"),
  intervalMs: 60_000,
  minIntervalMs: 2_000,
  requestTimeoutMs: 30_000,
  timeoutMs: 3_600_000,
  maxConsecutiveErrors: 10,
  signal: controller.signal,
  schedule: "agent",
  logger: (level, message) => {
    expectTypeOf(level).toEqualTypeOf<"info" | "warn" | "error">();
    expectTypeOf(message).toEqualTypeOf<string>();
  },
  hiddenIntervalMs: 300_000,
  rateLimit: "enterprise",
};
watchImport(101, () => {}, allOptions);
watchImport(101, () => {}, { schedule: "fixed", rateLimit: "standard" });
watchImport(101, () => {}, { rateLimit: { perSecond: 2, burst: 50 } });
expectTypeOf<RateLimit>().toEqualTypeOf<
  "standard" | "enterprise" | { readonly perSecond: number; readonly burst: number }
>();
expectTypeOf<keyof WatchOptions>().toEqualTypeOf<
  | "client"
  | "intervalMs"
  | "minIntervalMs"
  | "requestTimeoutMs"
  | "timeoutMs"
  | "maxConsecutiveErrors"
  | "signal"
  | "schedule"
  | "logger"
  | "hiddenIntervalMs"
  | "rateLimit"
>();
// @ts-expect-error unknown schedule
watchImport(101, () => {}, { schedule: "cron" });
// @ts-expect-error unknown rate limit plan
watchImport(101, () => {}, { rateLimit: "professional" });
// @ts-expect-error a rate limit object needs burst
watchImport(101, () => {}, { rateLimit: { perSecond: 2 } });
// @ts-expect-error unknown option
watchImport(101, () => {}, { interval: 1000 });
// @ts-expect-error durations are numbers of milliseconds
watchImport(101, () => {}, { intervalMs: "60s" });
// @ts-expect-error the logger gets a level and a message, not an object
watchImport(101, () => {}, { logger: (entry: { level: string }) => entry });

// getImportStatus and parseImportStatus.
expectTypeOf(getImportStatus(101, { client: bx24Client() })).toEqualTypeOf<Promise<ImportStatus>>();
expectTypeOf(parseImportStatus({ result: { status: "S" } })).toEqualTypeOf<ImportStatus>();
expectTypeOf(parseImportStatus("{\"result\":{\"status\":\"S\"}}", "101")).toEqualTypeOf<ImportStatus>();
parseImportStatus({}, null);

// Clients.
const hook = webhookClient("https://example.bitrix24.com/rest/1/secret/");
expectTypeOf(hook).toEqualTypeOf<ImportClient>();
expectTypeOf(hook.kind).toEqualTypeOf<"bx24" | "b24jssdk" | "webhook">();
expectTypeOf(hook.call("configuration.import.get", { processId: 101 })).toEqualTypeOf<Promise<unknown>>();
hook.call("app.info");
// @ts-expect-error kind is readonly
hook.kind = "bx24";
// @ts-expect-error webhookClient takes the URL as a string
webhookClient(new URL("https://example.bitrix24.com/rest/1/secret/"));
// @ts-expect-error clients come from the factories only
new ImportClient();

const bx24: Bx24Like = {
  callMethod(method, params, callback) {
    expectTypeOf(method).toEqualTypeOf<string>();
    callback({ method, params });
  },
};
bx24Client(bx24);
bx24Client();
// @ts-expect-error BX24 needs callMethod
bx24Client({ refreshAuth() {} });

const sdk: B24jssdkLike = {
  actions: { v2: { call: { make: async ({ method, params }) => ({ method, params }) } } },
};
expectTypeOf(b24jssdkClient(sdk)).toEqualTypeOf<ImportClient>();
// @ts-expect-error b24jssdkClient needs the SDK object
b24jssdkClient();

// A function client: (method, params) => Promise<body>.
const clientFunction: ClientFunction = async (method, params) => {
  expectTypeOf(method).toEqualTypeOf<string>();
  expectTypeOf(params).toEqualTypeOf<Record<string, unknown>>();
  return { result: { status: "S" } };
};
const clients: Client[] = [hook, clientFunction, bx24, sdk];
for (const client of clients) {
  watchImport(101, () => {}, { client });
}
// @ts-expect-error a client is not a URL string
watchImport(101, () => {}, { client: "https://example.bitrix24.com/rest/1/secret/" });

// The widget takes every watch option plus its own, and returns a watch.
declare const host: HTMLElement;
const widgetOptions: WidgetOptions = { ...allOptions, lang: "ru", theme: "dark", allowCancel: true, onFinish: (final) => final.code, onError: (failure) => failure.kind };
expectTypeOf(mountImportProgress(host, 101, widgetOptions)).toEqualTypeOf<ImportWatch>();
mountImportProgress(host, "101", { lang: "pt-BR" });
// @ts-expect-error unknown theme
mountImportProgress(host, 101, { theme: "blue" });
// @ts-expect-error the widget needs an element, not a selector
mountImportProgress("#import", 101);
