// Type-checked against the installed tarball with `tsc --strict --noEmit`,
// which proves that the package's "types" export resolves for a consumer.
import { watchImport, webhookClient, WatchError, type ImportStatus, type ImportUpdate } from "b24-import-watch";

const client = webhookClient("https://example.bitrix24.com/rest/1/secret/");
const watch = watchImport(101, (update: ImportUpdate) => update.status?.code, { client, schedule: "agent", rateLimit: "standard" });
const final: ImportStatus = await watch.done;
const outcome: "F" | "E" | "U" | "S" | "P" = final.code;
export const summary = { outcome, isError: (value: unknown) => value instanceof WatchError };
