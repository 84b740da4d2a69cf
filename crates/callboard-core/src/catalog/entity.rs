//! The Backstage entity envelope and kind-specific views of `spec`.
//!
//! Unknown kinds, unknown metadata keys and unknown root keys are kept in
//! `extra` maps so that an entity read and written back is unchanged.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::entity_ref::{EntityRef, RefContext, DEFAULT_NAMESPACE};

/// One catalog entity as Backstage serialises it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub metadata: Metadata,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relations: Option<Vec<Relation>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Metadata {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A relation as stored on its source entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relation {
    #[serde(rename = "type")]
    pub relation_type: String,
    #[serde(rename = "targetRef")]
    pub target_ref: String,
    /// Old servers also send a `target` object; kept for round trips.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Value>,
}

/// A link from `metadata.links`, read leniently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub url: String,
    pub title: Option<String>,
    pub icon: Option<String>,
    #[serde(rename = "type")]
    pub link_type: Option<String>,
}

impl Link {
    /// A runbook is a link whose title or type says so.
    pub fn is_runbook(&self) -> bool {
        let says = |s: &Option<String>| {
            s.as_deref()
                .is_some_and(|t| t.to_ascii_lowercase().contains("runbook"))
        };
        says(&self.title) || says(&self.link_type)
    }
}

/// Built-in kinds, compared case-insensitively as Backstage does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Component,
    Api,
    Resource,
    System,
    Domain,
    Group,
    User,
    Location,
    Template,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Component,
        Kind::Api,
        Kind::Resource,
        Kind::System,
        Kind::Domain,
        Kind::Group,
        Kind::User,
        Kind::Location,
        Kind::Template,
    ];

    pub fn parse(kind: &str) -> Option<Kind> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(kind))
    }

    /// The spelling Backstage uses in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Component => "Component",
            Kind::Api => "API",
            Kind::Resource => "Resource",
            Kind::System => "System",
            Kind::Domain => "Domain",
            Kind::Group => "Group",
            Kind::User => "User",
            Kind::Location => "Location",
            Kind::Template => "Template",
        }
    }
}

impl Entity {
    /// Build an entity from a JSON value (as parsed from YAML or an API).
    pub fn from_value(value: Value) -> Result<Entity, serde_json::Error> {
        serde_json::from_value(value)
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("entities always serialise")
    }

    /// The namespace, `default` when the descriptor leaves it out.
    pub fn namespace(&self) -> &str {
        self.metadata
            .namespace
            .as_deref()
            .filter(|n| !n.is_empty())
            .unwrap_or(DEFAULT_NAMESPACE)
    }

    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    pub fn known_kind(&self) -> Option<Kind> {
        Kind::parse(&self.kind)
    }

    pub fn entity_ref(&self) -> EntityRef {
        EntityRef::new(&self.kind, self.namespace(), &self.metadata.name)
    }

    /// Canonical lower-cased `kind:namespace/name`.
    pub fn ref_key(&self) -> String {
        self.entity_ref().canonical()
    }

    /// Title when set, otherwise the name.
    pub fn display_name(&self) -> &str {
        self.metadata
            .title
            .as_deref()
            .filter(|t| !t.is_empty())
            .unwrap_or(&self.metadata.name)
    }

    pub fn spec_value(&self, field: &str) -> Option<&Value> {
        self.spec.as_ref().and_then(|s| s.get(field))
    }

    /// A string field of `spec`, if present and a string.
    pub fn spec_str(&self, field: &str) -> Option<&str> {
        self.spec_value(field).and_then(Value::as_str)
    }

    /// The string items of an array field of `spec` (non-strings skipped).
    pub fn spec_strs(&self, field: &str) -> Vec<&str> {
        match self.spec_value(field) {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    pub fn spec_type(&self) -> Option<&str> {
        self.spec_str("type")
    }

    pub fn lifecycle(&self) -> Option<&str> {
        self.spec_str("lifecycle")
    }

    /// The `spec.owner` ref resolved with the Group default kind and this
    /// entity's namespace.
    pub fn owner_ref(&self) -> Option<EntityRef> {
        let owner = self.spec_str("owner")?;
        EntityRef::parse_with(
            owner,
            RefContext::new(Some("Group"), Some(self.namespace())),
        )
        .ok()
    }

    pub fn system_ref(&self) -> Option<EntityRef> {
        let system = self.spec_str("system")?;
        EntityRef::parse_with(
            system,
            RefContext::new(Some("System"), Some(self.namespace())),
        )
        .ok()
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(key))
            .and_then(Value::as_str)
    }

    /// Annotations as string pairs, in file order.
    pub fn annotations(&self) -> Vec<(&str, &str)> {
        string_pairs(self.metadata.annotations.as_ref())
    }

    pub fn labels(&self) -> Vec<(&str, &str)> {
        string_pairs(self.metadata.labels.as_ref())
    }

    pub fn tags(&self) -> Vec<&str> {
        self.metadata
            .tags
            .as_deref()
            .unwrap_or_default()
            .iter()
            .filter_map(Value::as_str)
            .collect()
    }

    /// Links with a URL, runbooks first, otherwise in file order.
    pub fn links(&self) -> Vec<Link> {
        let mut links: Vec<Link> = self
            .metadata
            .links
            .as_deref()
            .unwrap_or_default()
            .iter()
            .filter_map(|l| {
                let field = |k: &str| l.get(k).and_then(Value::as_str).map(str::to_string);
                Some(Link {
                    url: field("url")?,
                    title: field("title"),
                    icon: field("icon"),
                    link_type: field("type"),
                })
            })
            .collect();
        links.sort_by_key(|l| !l.is_runbook());
        links
    }

    pub fn relations(&self) -> &[Relation] {
        self.relations.as_deref().unwrap_or_default()
    }

    /// `spec.profile.email` for users and groups.
    pub fn profile_email(&self) -> Option<&str> {
        self.spec_value("profile")
            .and_then(|p| p.get("email"))
            .and_then(Value::as_str)
    }

    pub fn profile_display_name(&self) -> Option<&str> {
        self.spec_value("profile")
            .and_then(|p| p.get("displayName"))
            .and_then(Value::as_str)
    }
}

fn string_pairs(map: Option<&Map<String, Value>>) -> Vec<(&str, &str)> {
    map.map(|m| {
        m.iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.as_str(), v)))
            .collect()
    })
    .unwrap_or_default()
}

/// Annotation keys that name an on-call rota or paging service.
pub fn is_on_call_annotation(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "pagerduty",
        "opsgenie",
        "victorops",
        "splunk-on-call",
        "incident.io",
        "firehydrant",
        "rootly",
        "oncall",
        "on-call",
    ]
    .iter()
    .any(|needle| key.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_and_kinds_survive_a_round_trip() {
        let value = json!({
            "apiVersion": "example.com/v9",
            "kind": "Widget",
            "metadata": {"name": "w", "custom": {"deep": [1, 2]}, "tags": ["a"]},
            "spec": {"anything": {"goes": true}},
            "relations": [{"type": "ownedBy", "targetRef": "group:default/x"}],
            "status": {"items": []},
            "rootExtra": 1
        });
        let entity = Entity::from_value(value.clone()).unwrap();
        assert_eq!(entity.known_kind(), None);
        assert_eq!(entity.to_value(), value);
    }

    #[test]
    fn accessors_apply_backstage_defaults() {
        let entity = Entity::from_value(json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "component",
            "metadata": {"name": "Svc", "namespace": "prod", "links": [
                {"url": "https://d", "title": "Dashboard"},
                {"url": "https://r", "title": "Runbook"},
                {"title": "no url"}
            ]},
            "spec": {"owner": "team-a", "system": "sys", "dependsOn": ["component:x", 3]}
        }))
        .unwrap();
        assert_eq!(entity.known_kind(), Some(Kind::Component));
        assert_eq!(entity.ref_key(), "component:prod/svc");
        assert_eq!(entity.owner_ref().unwrap().canonical(), "group:prod/team-a");
        assert_eq!(entity.system_ref().unwrap().canonical(), "system:prod/sys");
        assert_eq!(entity.spec_strs("dependsOn"), vec!["component:x"]);
        let links = entity.links();
        assert_eq!(links.len(), 2);
        assert!(links[0].is_runbook());
    }

    #[test]
    fn on_call_keys_are_recognised() {
        assert!(is_on_call_annotation("pagerduty.com/service-id"));
        assert!(is_on_call_annotation("opsgenie.com/team"));
        assert!(!is_on_call_annotation("backstage.io/techdocs-ref"));
    }
}
