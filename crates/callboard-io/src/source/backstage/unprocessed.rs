//! The backend's own view of catalog hygiene: entities that failed or are
//! still pending processing (`GET /entities/unprocessed/failed` and
//! `/pending`, from the catalog's unprocessed-entities module), with their
//! errors and the location they came from.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::client::Remote;
use super::error::RemoteError;
use super::retry::RetryPolicy;
use crate::config::Endpoint;
use crate::remotes::Remotes;
use callboard_core::catalog::EntityRef;

/// Which list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnprocessedState {
    Failed,
    Pending,
}

impl UnprocessedState {
    fn path(self) -> &'static str {
        match self {
            UnprocessedState::Failed => "/entities/unprocessed/failed",
            UnprocessedState::Pending => "/entities/unprocessed/pending",
        }
    }
}

/// One entity the backend has not (successfully) processed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unprocessed {
    pub state: UnprocessedState,
    /// `kind:namespace/name` of the unprocessed entity, lower-cased.
    pub entity_ref: String,
    /// Where it was read from (`file:…`, `url:…`).
    pub location: Option<String>,
    /// The processing errors, as `Name: message`.
    pub errors: Vec<String>,
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    entities: Vec<Row>,
}

#[derive(Deserialize)]
struct Row {
    #[serde(default)]
    entity_ref: Option<String>,
    #[serde(default)]
    unprocessed_entity: Option<serde_json::Value>,
    #[serde(default)]
    location_key: Option<String>,
    #[serde(default)]
    errors: Option<serde_json::Value>,
}

impl Row {
    fn into_unprocessed(self, state: UnprocessedState) -> Unprocessed {
        let entity = self.unprocessed_entity.unwrap_or_default();
        let field =
            |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let metadata = entity.get("metadata").cloned().unwrap_or_default();
        let entity_ref = self
            .entity_ref
            .map(|r| r.to_lowercase())
            .unwrap_or_else(|| {
                EntityRef::new(
                    field(&entity, "kind").as_deref().unwrap_or("unknown"),
                    field(&metadata, "namespace")
                        .as_deref()
                        .unwrap_or("default"),
                    field(&metadata, "name").as_deref().unwrap_or("unknown"),
                )
                .canonical()
            });
        let annotation = |k: &str| {
            metadata
                .get("annotations")
                .and_then(|a| a.get(k))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        // `errors` is a JSON array, or (on some databases) a string of one.
        let errors = match self.errors {
            Some(serde_json::Value::String(s)) => serde_json::from_str(&s).unwrap_or_default(),
            Some(v) => v,
            None => serde_json::Value::Null,
        };
        let errors = errors
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|e| {
                        let name = field(e, "name").unwrap_or_else(|| "Error".to_string());
                        let message = field(e, "message").unwrap_or_default();
                        format!("{name}: {message}")
                    })
                    .collect()
            })
            .unwrap_or_default();
        Unprocessed {
            state,
            entity_ref,
            location: self
                .location_key
                .or_else(|| annotation("backstage.io/managed-by-location")),
            errors,
        }
    }
}

impl Remote {
    /// One of the two unprocessed lists.
    pub async fn unprocessed(
        &self,
        state: UnprocessedState,
    ) -> Result<Vec<Unprocessed>, RemoteError> {
        let url = self.api(state.path());
        let body = self
            .fetch(Method::GET, url.clone(), None, &mut |_| {})
            .await?;
        let answer: Answer = self.parse(&url, &body)?;
        Ok(answer
            .entities
            .into_iter()
            .map(|row| row.into_unprocessed(state))
            .collect())
    }
}

/// Both lists of one endpoint, failed first (quick retries).
pub fn fetch_unprocessed(
    remotes: &Remotes,
    name: &str,
    endpoint: &Endpoint,
) -> Result<Vec<Unprocessed>, RemoteError> {
    let remote = remotes.remote(name, endpoint, RetryPolicy::quick())?;
    remotes.block_on(async {
        let mut all = remote.unprocessed(UnprocessedState::Failed).await?;
        all.extend(remote.unprocessed(UnprocessedState::Pending).await?);
        Ok(all)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_as_the_backend_sends_them() {
        let row: Row = serde_json::from_value(json!({
            "entity_id": null, "entity_ref": null,
            "unprocessed_entity": {"apiVersion": "backstage.io/v1alpha1", "kind": "Location",
                "metadata": {"name": "example-ai-resources", "annotations": {
                    "backstage.io/managed-by-location": "file:/x/all-ai-resources.yaml"}}},
            "errors": [{"name": "NotAllowedError", "message": "not of an allowed kind"}],
            "location_key": "file:/x/all-ai-resources.yaml"
        }))
        .unwrap();
        let u = row.into_unprocessed(UnprocessedState::Pending);
        assert_eq!(u.entity_ref, "location:default/example-ai-resources");
        assert_eq!(u.location.as_deref(), Some("file:/x/all-ai-resources.yaml"));
        assert_eq!(u.errors, ["NotAllowedError: not of an allowed kind"]);

        let row: Row = serde_json::from_value(json!({
            "entity_ref": "Component:default/X",
            "errors": "[{\"name\":\"InputError\",\"message\":\"bad\"}]"
        }))
        .unwrap();
        let u = row.into_unprocessed(UnprocessedState::Failed);
        assert_eq!(u.entity_ref, "component:default/x");
        assert_eq!(u.errors, ["InputError: bad"]);
        assert_eq!(u.location, None);
    }
}
