#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The JavaScript boundary tested in Node, the runner's default. The cases
//! live in `wasm_common` and also run in a browser through `wasm_browser.rs`.

mod wasm_common;
