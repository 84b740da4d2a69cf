//! The state the app and its screens share: what the workers answered (or
//! are still computing), the status bar's message, the progress of a sync,
//! the overlay on top of the screens, and the effects queued for the event
//! loop.

use std::collections::HashMap;
use std::sync::Arc;

use crate::messages::{DepsDetail, EntityDetail, Request};
use crate::widgets::LineEdit;

#[derive(Debug, Clone)]
pub enum Loadable<T> {
    Loading,
    Ready(T),
    Failed(String),
}

impl<T> Loadable<T> {
    pub fn ready(&self) -> Option<&T> {
        match self {
            Loadable::Ready(t) => Some(t),
            _ => None,
        }
    }
}

/// What the config says beyond keys and theme, for the entity panes:
/// the per-company hosts of plugin surfaces, the scorecard of the Health
/// section.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub surfaces: callboard_core::catalog::surfaces::SurfaceHosts,
    pub scorecard: callboard_core::health::Scorecard,
}

/// Entity details by canonical ref.
pub type Details = HashMap<String, Loadable<Arc<EntityDetail>>>;
/// Dependency trees by canonical ref.
pub type Deps = HashMap<String, Loadable<Arc<DepsDetail>>>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub error: bool,
    pub at_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncState {
    pub total: usize,
    pub index: usize,
    pub current: String,
    pub failed: usize,
    pub succeeded: usize,
    /// Asked to stop; the status bar says so until it has.
    pub cancelling: bool,
    /// The key that cancels it, for the status bar (`s`).
    pub cancel_key: String,
}

/// What is over the screens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// The `:` line, in place of the status bar.
    Command(LineEdit),
    /// The key list.
    Help {
        scroll: usize,
    },
}

/// Work for the event loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Request(Request),
    /// Put text on the clipboard; `what` says what it is, for the message.
    Copy {
        text: String,
        what: String,
    },
    /// Open a URL (or, over SSH / without a display, show and copy it).
    OpenUrl(String),
    StartSync,
    /// Cancel the running sync (the previous snapshot stays).
    CancelSync,
    /// Refresh these stale remote sources in the background (at start).
    Refresh(Vec<String>),
    /// Ctrl-Z: give the terminal back and stop until `fg`.
    Suspend,
}

/// Facts about the session the keys depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Env {
    pub no_color: bool,
    /// The terminal's background, when it could be told at start (for
    /// the `auto` theme).
    pub background: Option<crate::termbg::Background>,
}
