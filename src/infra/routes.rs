//! Every path of the site, written once. The router (`app`) declares the same pages as
//! segments; `tests/it/architecture.rs` checks each constant here is a route it serves.

/// Where people land after signing in.
pub const HOME: &str = ACTIVE_SESSIONS;

pub const LOGIN: &str = "/login";
pub const SIGNUP: &str = "/signup";
pub const ACTIVE_SESSIONS: &str = "/active-sessions";
/// The no-JS confirm page for "Log out all other sessions".
pub const END_OTHERS: &str = "/active-sessions/end-others";
pub const ACCOUNT_SETTINGS: &str = "/settings/account";
pub const SECURITY_ACTIVITY: &str = "/settings/security";
pub const HEALTH: &str = "/healthz";
/// What crawlers may read (answered to anyone, never a redirect to log in).
pub const ROBOTS: &str = "/robots.txt";
/// "Forgot password?": asks for the email to send a reset link to.
pub const FORGOT_PASSWORD: &str = "/forgot-password";
/// Where a reset link leads: "Set new password".
pub const RESET_PASSWORD: &str = "/reset-password";
/// Where a "This wasn't me" link leads.
pub const NOT_ME: &str = "/not-me";
/// Where the link that confirms a new account's email address leads.
pub const VERIFY_EMAIL: &str = "/verify-email";

/// The pages emailed links lead to: each takes its token out of the address at once.
pub const EMAIL_LINK_PAGES: [&str; 3] = [RESET_PASSWORD, NOT_ME, VERIFY_EMAIL];

/// New-device verification: the code emailed to the account, before any session exists.
pub const VERIFY_DEVICE: &str = "/login/verify";
/// After a recovery ("This wasn't me", a password reset): the sign-in methods added lately.
pub const REVIEW: &str = "/settings/review";

/// The second step of a log-in with two-factor authentication on.
pub const TWO_FACTOR_LOGIN: &str = "/login/two-factor";
/// The same step with a recovery code instead of the app's code.
pub const RECOVERY_LOGIN: &str = "/login/recovery-code";
/// Setting up an authenticator app: the QR code and the setup key.
pub const TWO_FACTOR_SETUP: &str = "/settings/two-factor";
/// Fresh recovery codes, shown once.
pub const RECOVERY_CODES: &str = "/settings/two-factor/recovery-codes";
/// Where the passkeys section of the account settings starts.
pub const PASSKEYS_SECTION: &str = "/settings/account#passkeys";
/// Where the auto sign-out section of the account settings starts.
pub const AUTO_SIGN_OUT_SECTION: &str = "/settings/account#auto-sign-out";
/// Where the two-factor section of the account settings starts.
pub const TWO_FACTOR_SECTION: &str = "/settings/account#two-factor";

/// The administrators' console: the glance, user search, one user, the admin log. Anyone else
/// is answered as for a page that does not exist.
pub const ADMIN: &str = "/admin";
pub const ADMIN_USERS: &str = "/admin/users";
pub const ADMIN_LOG: &str = "/admin/log";

pub fn admin_user(user_id: i64) -> String {
    format!("{ADMIN_USERS}/{user_id}")
}

/// Whether `path` is part of the administrators' console (pages and server functions).
pub fn is_admin_only(path: &str) -> bool {
    path == ADMIN || path.starts_with("/admin/") || path.starts_with("/api/admin/")
}

/// Stylesheets of pages other than the Active sessions page (served from `public/styles`).
pub const STYLES: &str = "/styles";
pub const PAGE_STYLES: &str = "/styles/pages.css";
pub const ADMIN_STYLES: &str = "/styles/admin.css";

/// The event stream every signed-in tab holds (server-sent events).
pub const EVENTS: &str = "/events";

/// Every row of the Active sessions list (the live list refreshes with it).
pub const SESSION_ROWS: &str = "/active-sessions/rows";

/// One row of the Active sessions list, rendered on the server for the live list.
pub fn session_row(id: &str) -> String {
    format!("{ACTIVE_SESSIONS}/rows/{id}")
}

/// The browser code of passkeys (served from the site root; only passkey pages load it).
pub const PASSKEYS_SCRIPT: &str = "/passkeys.js";

/// Old spellings of the Active sessions page, redirected to it.
pub const OLD_ACTIVE_SESSIONS: [&str; 2] = ["/active-session", "/activesession"];

/// The signed-in pages with fixed paths (each must show "Log out").
pub const SIGNED_IN_PAGES: [&str; 6] = [ACTIVE_SESSIONS, END_OTHERS, ACCOUNT_SETTINGS, SECURITY_ACTIVITY, TWO_FACTOR_SETUP, REVIEW];

/// The no-JS confirm page for ending one session.
pub fn end_session(id: &str) -> String {
    format!("{ACTIVE_SESSIONS}/{id}/end")
}

/// One session's details: its whole history.
pub fn session_details(id: &str) -> String {
    format!("{ACTIVE_SESSIONS}/{id}/details")
}

/// The no-JS page for naming a session.
pub fn rename_session(id: &str) -> String {
    format!("{ACTIVE_SESSIONS}/{id}/rename")
}

/// The no-JS confirm page for "This wasn't me" on a session.
pub fn not_me_session(id: &str) -> String {
    format!("{ACTIVE_SESSIONS}/{id}/not-me")
}

/// Pages anyone may see, signed in or not.
pub fn is_public(path: &str) -> bool {
    matches!(
        path,
        LOGIN | SIGNUP | HEALTH | TWO_FACTOR_LOGIN | RECOVERY_LOGIN | VERIFY_DEVICE | FORGOT_PASSWORD | RESET_PASSWORD | NOT_ME
            | VERIFY_EMAIL
    )
        || OLD_ACTIVE_SESSIONS.contains(&path)
}

/// A path inside this site to go to after a form, or `None` (protects against open redirects).
pub fn local_path(candidate: &str) -> Option<&str> {
    let ok = candidate.starts_with('/')
        && !candidate.starts_with("//")
        && !candidate.contains('\\')
        && !candidate.chars().any(|c| c.is_control())
        && candidate.len() <= 512;
    ok.then_some(candidate)
}
