//! Watch a Bitrix24 solution import and show its live progress.
//!
//! A Bitrix24 app starts an import with `configuration.import.register`,
//! receives a `processId`, and polls `configuration.import.get` until the
//! import ends. This crate is that loop: it parses every response into a
//! typed [`ImportStatus`], retries what the portal's error table says is
//! transient, and, compiled to WebAssembly, exports `watchImport` and its
//! clients to JavaScript.
//!
//! The modules below `js` hold no JavaScript types, so the parsing, the
//! error classification and the watcher's decisions test natively:
//!
//! ```
//! use b24_import_watch::{envelope, Value};
//!
//! let body = Value::Object(vec![(
//!     "result".to_owned(),
//!     Value::Object(vec![("status".to_owned(), Value::String("S".to_owned()))]),
//! )]);
//! let status = envelope::parse_get_response(Some(200), &body, Some(42), 0.0).unwrap();
//! assert_eq!(status.code, b24_import_watch::StatusCode::S);
//! assert!(!status.terminal);
//! ```

#![deny(missing_docs, missing_debug_implementations)]
// A panic poisons the wasm instance for the whole page, so library code has
// no panicking shortcuts; tests may use them.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

pub mod backoff;
pub mod batch;
pub mod envelope;
pub mod error;
pub mod process_id;
pub mod rate_limit;
pub mod schedule;
pub mod status;
mod text;
pub mod value;
pub mod watch;
pub mod webhook_url;

#[cfg(target_arch = "wasm32")]
pub mod js;

// Talc, because its code is smaller than the standard library's dlmalloc.
// The module runs on one thread, which `TalcSyncCell` requires.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

// The progress widget (`mountImportProgress`), on by default. Builds
// without it (`--no-default-features`) carry only the watch and clients.
#[cfg(all(target_arch = "wasm32", feature = "widget"))]
pub mod widget;

pub use error::{ErrorKind, Recovery, WatchError};
pub use status::{ImportStatus, Notification, Phase, Progress, ServerTime, State, StatusCode};
pub use value::Value;
pub use watch::{Step, Update, WatchConfig, Watcher};
