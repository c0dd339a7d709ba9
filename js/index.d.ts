// Type declarations of the b24-import-watch package entry.

/** The status letter of an import. */
export type StatusCode = "S" | "P" | "F" | "E" | "U";

/** The status in words: S started, P running, F finished, E failed, U unknown process. */
export type ImportState = "started" | "running" | "finished" | "failed" | "unknown";

/** The six actions of an import, in order. `clean` is skipped when the manifest sets SKIP_CLEARING=Y. */
export type ImportAction = "start" | "init_background" | "manifest" | "clean" | "load" | "finish";

/** Where the import is within its current action. */
export interface ImportProgress {
  /** The current action; `null` in the gap after `finish` ran, before the status turns F. Unknown future actions pass through as strings. */
  readonly action: ImportAction | (string & {}) | null;
  /** The step within the action (chunks of files for init_background, files of the section for load). */
  readonly step: number;
  /** The code of the entity section in work, such as "CRM_STATUS"; `null` when there is none. */
  readonly section: string | null;
}

/** The position of the current action among the six. */
export interface ImportPhase {
  /** Zero-based index into start, init_background, manifest, clean, load, finish. */
  readonly index: 0 | 1 | 2 | 3 | 4 | 5;
  /** Always 6. */
  readonly count: 6;
}

/** One entry of the server's notice, errors or exception lists. */
export interface ImportNotification {
  /** The server's code; often "". */
  readonly code: string;
  readonly message: string;
  /** "notice", "error" or "exception" as the server labelled it. */
  readonly type: string;
}

/** The `time` block of the REST response; every field is `null` when the portal omits it. */
export interface ServerTime {
  /** Unix seconds. */
  readonly start: number | null;
  /** Unix seconds. */
  readonly finish: number | null;
  /** Seconds. */
  readonly duration: number | null;
  /** Seconds. */
  readonly processing: number | null;
  /** ISO 8601 with offset. */
  readonly dateStart: string | null;
  /** ISO 8601 with offset. */
  readonly dateFinish: string | null;
  /** Seconds of the method's operating-time budget used. */
  readonly operating: number | null;
  /** Unix seconds when the operating-time budget resets. */
  readonly operatingResetAt: number | null;
}

/** JSON data as the server sent it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The typed status of one import. */
export interface ImportStatus {
  /** The watched process id, or `null` when parsed without one. */
  readonly processId: number | null;
  readonly code: StatusCode;
  readonly state: ImportState;
  /** True for F, E and U: the status can no longer change. */
  readonly terminal: boolean;
  /** Present for P, and for E when the import stopped during an action. */
  readonly progress: ImportProgress | null;
  /** `null` without progress or for an action this version does not know. */
  readonly phase: ImportPhase | null;
  /** Non-critical messages, in server order whether the list came as an array or an object. */
  readonly notices: readonly ImportNotification[];
  /** Errors after which the import went on. */
  readonly errors: readonly ImportNotification[];
  /** Errors that stopped the import (status E follows). */
  readonly exceptions: readonly ImportNotification[];
  /** Solution-specific data sent with F, as sent. */
  readonly additional: JsonValue | null;
  /** The items of the server's createItemList: its entries when it is an array, its values in key order when it is an object. */
  readonly createdItems: readonly JsonValue[];
  readonly time: ServerTime | null;
}

/** The class of a failure. */
export type WatchErrorKind = "rest" | "network" | "timeout" | "invalid_response" | "invalid_argument" | "aborted";

/** An error from watching an import. The message says what failed and what to do; it never holds a webhook secret or a token. */
export class WatchError extends Error {
  /** "AbortError" after stop() or an aborted signal, "TimeoutError" for a time limit, else "WatchError". */
  readonly name: "WatchError" | "AbortError" | "TimeoutError";
  readonly kind: WatchErrorKind;
  /** The REST error code for kind "rest" (may be ""), else null. */
  readonly code: string | null;
  /** The HTTP status when a response arrived and the client exposes it. */
  readonly httpStatus: number | null;
  /** Whether a later attempt can succeed with nothing changed. */
  readonly retryable: boolean;
  /** The server's delay hint in milliseconds (Retry-After, operating_reset_at). */
  readonly retryAfterMs: number | null;
  private constructor();
}

/** The report the callback receives after every poll. */
export interface ImportUpdate {
  /** The last status read successfully; `null` only while no poll has succeeded yet. */
  readonly status: ImportStatus | null;
  /** Whether this poll brought a status that differs from the previous one. */
  readonly changed: boolean;
  /** The number of this poll, from 1. */
  readonly attempt: number;
  /** Milliseconds until the next poll; `null` when the watch has ended. */
  readonly nextPollInMs: number | null;
  /** The error of this poll, if it failed; the watch retries transient ones. */
  readonly error: WatchError | null;
}

/** A REST client as a function: resolves with the whole response body ({result, time} or {error, error_description}), as an object or as JSON text. A rejection with a plain error counts as a network error and is retried. */
export type ClientFunction = (method: string, params: Record<string, unknown>) => Promise<unknown>;

/** The part of the legacy frame library (`BX24`, from //api.bitrix24.com/api/v1/) that bx24Client uses. */
export interface Bx24Like {
  /** Calls `callback` with the library's result object; never calls back on an HTTP 5xx or a network failure. */
  callMethod(method: string, params: object, callback: (result: unknown) => void): void;
  /** Called once after an expired_token or invalid_token error, then the request is retried once. */
  refreshAuth?(callback: (auth: unknown) => void): void;
}

/** A client made by bx24Client(), b24jssdkClient() or webhookClient(). */
export class ImportClient {
  private constructor();
  readonly kind: "bx24" | "b24jssdk" | "webhook";
  /** Calls a REST method; resolves with the whole response body, rejects with a WatchError when the request fails. */
  call(method: string, params?: Record<string, unknown>): Promise<unknown>;
  free(): void;
}

/** Anything `watchImport` accepts as `options.client`: a client object, a function, or the BX24 or @bitrix24/b24jssdk object itself. */
export type Client = ImportClient | ClientFunction | Bx24Like | B24jssdkLike;

/** The request rate of the poller that the watches on one client share. */
export type RateLimit =
  /** 2 requests per second, 50 queued: the limit of most Bitrix24 plans. */
  | "standard"
  /** 5 requests per second, 250 queued: the Enterprise plan's limit. */
  | "enterprise"
  | {
      /** Requests per second, a positive number. */
      readonly perSecond: number;
      /** Requests that may be sent at once before the rate applies, a whole number from 1 to 100000. */
      readonly burst: number;
    };

/** Options of `watchImport` and `getImportStatus`. Durations are whole milliseconds up to 2147483647. */
export interface WatchOptions {
  /** How to reach the portal; default: the frame's BX24 library when the page has one. */
  client?: Client;
  /**
   * Upper bound between polls. Default 180000 with the agent-aware schedule,
   * long enough for the 120 s between runs of a cron-driven agent, and 60000
   * with `"fixed"` (the agent runs at most once a minute).
   */
  intervalMs?: number;
  /** Lower bound between polls. Default 2000. */
  minIntervalMs?: number;
  /** "agent" follows the portal agent's cadence and polls just after its predicted runs; "fixed" polls every intervalMs. Default "agent". Every delay lies between minIntervalMs and intervalMs. */
  schedule?: "agent" | "fixed";
  /** Time limit of one request. Default 30000. */
  requestTimeoutMs?: number;
  /** Time limit of the whole watch; no limit by default. */
  timeoutMs?: number;
  /** Failed requests in a row that end the watch, a whole number from 1 to 1000000. Default 10. */
  maxConsecutiveErrors?: number;
  /** Lower bound between polls while the page is hidden (a background tab). Default 300000. A page that becomes visible again polls at once. */
  hiddenIntervalMs?: number;
  /** The request rate of the client's poller. Default "standard". */
  rateLimit?: RateLimit;
  /** Aborting it stops the watch like stop(). */
  signal?: AbortSignal;
  /** Receives retries and caught errors; silent by default. Messages never hold secrets. */
  logger?: (level: "info" | "warn" | "error", message: string) => void;
}

/** A running watch. */
export class ImportWatch {
  private constructor();
  /** Stops polling; no callback runs afterwards, and `done` rejects with an AbortError (marked handled). */
  stop(): void;
  /** Resolves with the terminal status (F, E or U); rejects with a WatchError when watching itself fails. */
  readonly done: Promise<ImportStatus>;
  /** The last status read, or null before the first successful poll. */
  readonly latest: ImportStatus | null;
  free(): void;
}

/** Polls configuration.import.get until the import ends, calling `callback` after every poll. Invalid arguments reject `done` before any request. */
export function watchImport(processId: number | string, callback: (update: ImportUpdate) => void, options?: WatchOptions): ImportWatch;

/** Reads the status once, with no retries. */
export function getImportStatus(processId: number | string, options?: WatchOptions): Promise<ImportStatus>;

/** Parses a whole configuration.import.get response body (object or JSON text); throws a WatchError for an error body. */
export function parseImportStatus(body: unknown, processId?: number | string | null): ImportStatus;

/** A client over the legacy frame library's BX24.callMethod, with its own per-request time limit. */
export function bx24Client(bx24?: Bx24Like): ImportClient;

/** A client that POSTs to an incoming webhook, https://PORTAL/rest/USER_ID/SECRET/ (http only for 127.0.0.1/localhost). */
export function webhookClient(url: string): ImportClient;

/** The part of a @bitrix24/b24jssdk B24Frame or B24Hook that b24jssdkClient uses; pass the SDK object itself. */
export interface B24jssdkLike {
  readonly actions?: { readonly v2: { readonly call: { make(options: { method: string; params?: object }): Promise<unknown> } } };
  callMethod?(method: string, params?: object): Promise<unknown>;
}

/** A client over @bitrix24/b24jssdk (a B24Frame from initializeB24Frame() or a B24Hook); the SDK's own retries and token refresh stay in charge, so this client adds none. */
export function b24jssdkClient(b24: B24jssdkLike): ImportClient;

/** The Bitrix24 language ids the progress widget has texts for. */
export type WidgetLanguage = "en" | "ru" | "ua" | "de" | "la" | "br" | "pl" | "fr" | "it" | "tr";

/** Options of `mountImportProgress`: the WatchOptions plus the widget's own. */
export interface WidgetOptions extends WatchOptions {
  /** A Bitrix24 language id ("ua" Ukrainian, "la" Spanish, "br" Portuguese) or a BCP 47 tag ("uk", "es", "pt-BR"). Default: the portal's language (BX24.getLang(), or getLang() of a b24jssdk B24Frame passed as client), else the browser's, else English. Other languages fall back to English. */
  lang?: WidgetLanguage | (string & {});
  /** Called once with the terminal status (F, E or U), after the widget shows it. */
  onFinish?: (status: ImportStatus) => void;
  /** Called once when watching fails for good; not after stop() or a cancellation. */
  onError?: (error: WatchError) => void;
  /** Offers "Cancel import" with a confirmation step inside the widget; it calls configuration.import.unregister through the same client. Default false. */
  allowCancel?: boolean;
  /** "auto" follows prefers-color-scheme. Default "auto". The --b24iw-* CSS custom properties on the element change the colours. */
  theme?: "light" | "dark" | "auto";
}

/** Shows the live progress of an import inside `element`, whose children are set aside until stop() puts them back; the final state stays until then. After a cancellation from the widget, polling stops and `done` rejects with an AbortError. Throws a WatchError of kind "invalid_argument" for invalid arguments, before it changes the page. */
export function mountImportProgress(element: HTMLElement, processId: number | string, options?: WidgetOptions): ImportWatch;
