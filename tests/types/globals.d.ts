// The global that the legacy frame library (//api.bitrix24.com/api/v1/)
// defines, as far as examples/frame-bx24 uses it.
import type { Bx24Like } from "b24-import-watch";

declare global {
  const BX24: Bx24Like & { init(callback: () => void): void };
}
