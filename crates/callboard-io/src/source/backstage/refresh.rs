//! `POST /api/catalog/refresh` and reading one entity back.

use reqwest::Method;
use serde_json::Value;

use super::{Remote, RemoteError};

impl Remote {
    /// Ask the backend to process `entity_ref` again (its location is
    /// re-read, its relations recomputed).
    pub async fn request_refresh(&self, entity_ref: &str) -> Result<(), RemoteError> {
        let body = serde_json::to_vec(&serde_json::json!({ "entityRef": entity_ref }))
            .expect("a ref serialises");
        self.fetch(Method::POST, self.api("/refresh"), Some(body), &mut |_| {})
            .await
            .map(|_| ())
    }

    /// One entity as the backend has it now (`None`: none, or not readable).
    pub async fn entity(&self, entity_ref: &str) -> Result<Option<Value>, RemoteError> {
        let answer = self
            .by_refs(&[entity_ref.to_lowercase()], &mut |_| {})
            .await?;
        let mut items = answer.items(self, 1)?;
        match items.pop().flatten() {
            Some(raw) => serde_json::from_str(raw.get()).map(Some).map_err(|e| {
                RemoteError::new(
                    super::ErrorKind::BadResponse,
                    format!(
                        "{}: by-refs answered an entity that is not JSON: {e}",
                        self.at()
                    ),
                )
            }),
            None => Ok(None),
        }
    }
}

/// An entity's processing errors (`status.items`), in words, sanitized.
pub fn processing_errors(entity: &Value) -> Vec<String> {
    let Some(items) = entity.pointer("/status/items").and_then(Value::as_array) else {
        return Vec::new();
    };
    items
        .iter()
        .map(|item| {
            let field = |p: &str| item.pointer(p).and_then(Value::as_str).unwrap_or_default();
            let level = field("/level");
            // The error's own message is the precise one; `message` often
            // repeats it with a prefix.
            let message = match field("/error/message") {
                "" => field("/message"),
                m => m,
            };
            let text = format!(
                "{}{}{}",
                if level.is_empty() {
                    String::new()
                } else {
                    format!("{level}: ")
                },
                message,
                match field("/error/name") {
                    "" => String::new(),
                    name => format!(" ({name})"),
                }
            );
            callboard_core::text::sanitize(&text).into_owned()
        })
        .collect()
}
