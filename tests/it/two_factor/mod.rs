//! Two-factor authentication: the authenticator app, recovery codes, the log-in's second step.

mod authenticator;
