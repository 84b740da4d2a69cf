//! The template screens' requests (the entity, drafts, planning and
//! running) and the worker's answers. Secrets travel in [`SecretValues`],
//! whose `Debug` never shows them.

use std::path::PathBuf;

use serde_json::{Map, Value};

use callboard_core::template::RunEvent;

/// Secret values: compared, cloned and moved, never printed.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretValues(pub Map<String, Value>);

impl std::fmt::Debug for SecretValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretValues({} redacted)", self.0.len())
    }
}

/// Asks a remote run to cancel; compared by identity.
pub use callboard_io::remotes::Cancel as CancelHandle;

/// What a run needs from the form.
#[derive(Clone, PartialEq, Eq)]
pub struct RunInput {
    pub key: String,
    pub entity: Value,
    /// The template's folder (local sources only).
    pub base_dir: Option<PathBuf>,
    pub values: Map<String, Value>,
    pub secrets: SecretValues,
}

// `values` may hold `password` widget values (they travel in `values`):
// the Debug form names the keys only.
impl std::fmt::Debug for RunInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunInput")
            .field("key", &self.key)
            .field("base_dir", &self.base_dir)
            .field("values", &self.values.keys().collect::<Vec<_>>())
            .field("secrets", &self.secrets)
            .finish_non_exhaustive()
    }
}

/// Work for the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateRequest {
    /// The entity, its folder and any saved draft.
    Open(String),
    SaveDraft {
        key: String,
        steps: Vec<Value>,
        values: Map<String, Value>,
    },
    DeleteDraft(String),
    /// Run into memory and report the tree (nothing written).
    Plan(Box<RunInput>),
    /// Run and write into `target`.
    Run {
        input: Box<RunInput>,
        target: String,
    },
    /// Run on the Backstage backend of this source.
    RunRemote {
        input: Box<RunInput>,
        source: String,
        cancel: CancelHandle,
    },
}

/// Answers.
#[derive(Debug, Clone)]
pub enum TemplateMsg {
    Opened {
        key: String,
        result: Result<Box<Opened>, String>,
    },
    Planned {
        key: String,
        result: Result<Plan, String>,
    },
    Event(RunEvent),
    Notice(String),
}

#[derive(Debug, Clone)]
pub struct Opened {
    pub entity: Value,
    pub base_dir: Option<PathBuf>,
    pub draft: Option<Map<String, Value>>,
    /// The Backstage source it came from, for remote runs.
    pub remote: Option<String>,
    /// A draft that could not be read, and why.
    pub draft_error: Option<String>,
}

/// The file tree a local run will write.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Files (`/`-separated paths) with their sizes.
    pub files: Vec<(String, usize)>,
    /// Steps that will not run here, with the reason.
    pub skipped: Vec<(String, String)>,
    pub error: Option<String>,
}
