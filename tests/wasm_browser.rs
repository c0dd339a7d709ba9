#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The JavaScript boundary tested in a headless browser. The cases live in
//! `wasm_common` and also run in Node through `wasm_node.rs`.

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod wasm_common;
