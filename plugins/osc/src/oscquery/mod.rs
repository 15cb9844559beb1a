//! An OSCQuery server (the Vidvox OSCQuery proposal) for tools that browse and drive the
//! instrument: `GET /path` answers the namespace as JSON (`?VALUE`, `?HOST_INFO` and the other
//! attribute queries answer one attribute), and a websocket on the same port streams the values of
//! `LISTEN`ed paths as binary OSC, announces `PATH_CHANGED`, and takes binary OSC writes.

mod http;
mod namespace;
mod server;
#[cfg(test)]
mod socket_tests;

pub use namespace::{Access, Leaf, Range, Value};
pub use server::{HostInfo, OscQueryServer};
