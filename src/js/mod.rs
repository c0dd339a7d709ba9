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
