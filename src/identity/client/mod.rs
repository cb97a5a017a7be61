//! The client of a request in words people use: its device and browser, and its place.

mod device;
mod geo;

pub use device::{ClientHints, ClientInfo, Device, MAX_USER_AGENT, clip, parse as parse_device, warm_up};
pub use geo::{GeoIp, LOCAL_NETWORK, UNKNOWN_LOCATION};
