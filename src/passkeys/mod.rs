//! Passkeys (WebAuthn, through webauthn-rs): add, name, list, rename, remove; and "Sign in with
//! a passkey" on the log-in page, without an email (discoverable credentials). A passkey
//! sign-in counts as both factors. The WebAuthn ceremony in the browser is `public/passkeys.js`,
//! loaded only by the pages that offer passkeys (see `pages::SCRIPT`).

pub mod api;
pub mod pages;

