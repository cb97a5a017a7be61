//! Getting back in from an email: reset links, "This wasn't me", finishing a sign-up, alerts.

mod emailed_links;
mod intruders;
mod new_devices;
