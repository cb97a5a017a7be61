//! What every page and request stands on: security headers and cross-site refusals, the
//! promises of SECURITY.md that cut across features, logs without secrets, the process, the
//! parsers under random input, and the page's weight on the wire.

mod headers;
mod logs;
mod process;
mod properties;
mod security;
mod wire;
