//! The client of a request in words people use: its device and browser, and its place.

pub mod device;
pub mod geo;
