//! The JavaScript boundary: the exported API, the clients and the glue that
//! moves values between JS and the pure core. Nothing here decides policy.

pub mod api;
pub mod clients;
pub mod convert;
pub mod error;
mod frame;
pub(crate) mod glue;
pub mod options;
pub mod poller;
pub mod transport;
pub mod watch;

use std::future::Future;
use std::pin::Pin;
use wasm_bindgen::JsValue;

/// Runs `future` and returns a promise of its result. The future is boxed
/// first, so that the wasm carries one copy of `future_to_promise` for all
/// callers instead of one per future type.
pub(crate) fn boxed_promise(future: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> js_sys::Promise {
    let future: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>> = Box::pin(future);
    wasm_bindgen_futures::future_to_promise(future)
}
