//! The browser contract of the Active sessions list: every element id and `data-*` attribute
//! that the server's markup ([`super::rows`]) writes and the browser code ([`super::browser`])
//! reads. Both sides name them only through this module, so a typo is a compile error.

use leptos::attr::{AttributeValue, custom::CustomAttr, custom::custom_attribute};

/// Element ids.
pub mod id {
    /// The `<ul>` of sessions ("Active sessions").
    pub const LIST: &str = "session-list";
    /// The `status` region that says what an action did.
    pub const STATUS: &str = "sessions-status";
    /// The "Log out all other sessions" button.
    pub const BULK: &str = "logout-others";
    pub const DIALOG: &str = "confirm-dialog";
    pub const HEADING: &str = "confirm-heading";
    pub const BODY: &str = "confirm-body";
    pub const PASSWORD_FIELD: &str = "confirm-password-field";
    pub const PASSWORD: &str = "confirm-password";
    /// The "Session name" field (renaming).
    pub const NAME_FIELD: &str = "confirm-name-field";
    pub const NAME: &str = "confirm-name";
    pub const ERROR: &str = "confirm-error";
    pub const ACTION: &str = "confirm-action";

    /// A row's ⋮ button.
    pub fn menu_button(session: &str) -> String {
        format!("actions-{session}")
    }

    /// A row's menu.
    pub fn menu(session: &str) -> String {
        format!("menu-{session}")
    }
}

/// `data-*` attribute names (`data::X`), `[data-…]` selectors for the browser code
/// (`select::X`) and the names as literals for longer selectors (`data_literal!(X)`), all from
/// one list.
macro_rules! data_attributes {
    ($($(#[$doc:meta])* $name:ident = $value:literal,)*) => {
        pub mod data {
            $($(#[$doc])* pub const $name: &str = $value;)*
        }
        pub mod select {
            $(pub const $name: &str = concat!("[", $value, "]");)*
        }
        /// A `data::` name as a literal, for compound selectors built with `concat!`.
        #[allow(unused_macros)]
        macro_rules! data_literal {
            $(($name) => { $value };)*
        }
        #[allow(unused_imports)]
        pub(crate) use data_literal;
    };
}

data_attributes! {
    /// On the list: the server's clock when it rendered (ms since the epoch).
    NOW = "data-now",
    /// On the list: until when ending other sessions needs no password.
    REAUTH_UNTIL = "data-reauth-until",
    /// On a row: its session's public id.
    SESSION_ID = "data-session-id",
    /// On a row: the device label, for the confirm question.
    DEVICE = "data-device",
    /// On a row: its approximate place, for "New sign-in: Chrome on Windows, London".
    PLACE = "data-place",
    /// On a row: present when it is this browser's session.
    CURRENT = "data-current",
    /// On an "Active now" badge: when it turns "Idle" (ms since the epoch).
    ACTIVE_UNTIL = "data-active-until",
    /// On a `<time>`: the moment to show in the viewer's time zone.
    LOCAL = "data-local",
    /// On a text: the moment it says "3 minutes ago" about.
    AGO = "data-ago",
    /// On a ⋮ button: the session whose menu it opens.
    MENU_BUTTON = "data-menu-button",
    /// On a menu item: the session it ends.
    END = "data-end",
    /// On a menu item: the session it renames.
    RENAME = "data-rename",
    /// On a menu item: the session "This wasn't me" is about.
    NOT_ME = "data-not-me",
    /// On a row: the element that shows its title (its name, or its device label).
    TITLE = "data-title",
    /// On a row: present when the person named the session.
    NAMED = "data-named",
    /// On the "Log out all other sessions" button.
    END_OTHERS = "data-end-others",
    /// On the dialog's Cancel button.
    CANCEL = "data-cancel",
    /// On the dialog's form.
    CONFIRM = "data-confirm",
    /// On the "only device" note, shown when no other session is left.
    ONLY_NOTE = "data-only-note",
    /// On the block with the bulk action, hidden when no other session is left.
    BULK = "data-bulk",
    /// Set on the panel once the browser code runs (CSS shows the menus instead of links).
    LIVE = "data-live",
    /// On a hidden sentence in the dialog: the error code it explains (the browser shows it).
    ERROR_MESSAGE = "data-error-message",
}

/// An attribute of this contract with its value, for markup: `<li {..attr(data::CURRENT, "")}>`.
pub fn attr<V: AttributeValue>(name: &'static str, value: V) -> CustomAttr<&'static str, V> {
    custom_attribute(name, value)
}
