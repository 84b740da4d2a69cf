//! Catalog hygiene: the catalog's problems in one report, each finding
//! naming the entity, the rule, what is wrong and where to fix it (the
//! file and line for local sources), grouped by rule and by owner.
//!
//! Local rules run over the cached catalog ([`local_findings`]); the
//! backend's own view (entities that failed or are pending processing)
//! comes in through [`unprocessed_finding`].

use std::collections::BTreeMap;

use serde::Serialize;

use super::checks::{Check, Subject};
use crate::catalog::index::Catalog;
use crate::catalog::relations::OWNED_BY;
use crate::catalog::{CatalogEntity, EntityLookup, Kind};
use crate::docs::runbook::DocsRunbook;
use crate::report::ShowReport;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// The rules: name, severity, what they find.
pub const RULES: &[(&str, Severity, &str)] = &[
    ("load-problem", Severity::Error, "a document the loader rejected or warned about (as `callboard validate` reports it); its severity is the loader's"),
    ("no-owner", Severity::Error, "a Component, API, Resource, System or Domain without spec.owner"),
    ("owner-missing", Severity::Error, "spec.owner names an entity that is not in the catalog"),
    ("processing-failed", Severity::Error, "the backend failed to process the entity (unprocessed/failed)"),
    ("processing-error", Severity::Error, "the backend recorded an error on the entity (status.items, level error)"),
    ("processing-pending", Severity::Warning, "the backend has not finished processing the entity (unprocessed/pending)"),
    ("processing-warning", Severity::Warning, "the backend recorded a warning on the entity (status.items)"),
    ("dangling-relation", Severity::Warning, "a relation points at an entity that is not in the catalog"),
    ("unknown-kind", Severity::Warning, "a kind Backstage does not define"),
    ("unknown-type", Severity::Warning, "a spec.type outside the well-known ones of its kind"),
    ("duplicate", Severity::Warning, "the same ref in several sources (the first one answers)"),
    ("production-without-runbook", Severity::Warning, "a production service without a runbook (its own, its docs' or its owner's)"),
    ("production-without-on-call", Severity::Warning, "a production service without on-call (on it or its owner)"),
    ("orphan", Severity::Warning, "backstage.io/orphan: \"true\": its location no longer lists it"),
];

/// Well-known `spec.type`s per kind (kinds not listed are not checked).
pub const KNOWN_TYPES: &[(&str, &[&str])] = &[
    (
        "component",
        &["service", "website", "library", "documentation", "tool"],
    ),
    ("api", &["openapi", "asyncapi", "graphql", "grpc", "trpc"]),
    (
        "group",
        &[
            "organization",
            "business-unit",
            "product-area",
            "department",
            "sub-department",
            "team",
            "root",
        ],
    ),
];

fn severity_of(rule: &str) -> Severity {
    RULES
        .iter()
        .find(|(name, _, _)| *name == rule)
        .map(|(_, s, _)| *s)
        .unwrap_or(Severity::Warning)
}

/// One problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub entity_ref: String,
    /// The entity's owner (its ref), for grouping.
    pub owner: Option<String>,
    pub message: String,
    /// Where to fix it: `path:line` for local files, else the location
    /// the backend read it from.
    pub location: Option<String>,
}

impl Finding {
    fn new(
        rule: &str,
        entity_ref: &str,
        owner: Option<String>,
        message: String,
        location: Option<String>,
    ) -> Finding {
        Finding {
            rule: rule.to_string(),
            severity: severity_of(rule),
            entity_ref: entity_ref.to_string(),
            owner,
            message,
            location,
        }
    }
}

/// Where an entity is defined: `path:line` for a local file, else the
/// location annotation the backend keeps, else the source's location.
pub fn location_of(found: &CatalogEntity) -> Option<String> {
    let origin = &found.origin;
    if let Some(path) = origin.location.strip_prefix("file:") {
        return Some(match origin.line {
            Some(line) => format!("{path}:{line}"),
            None => path.to_string(),
        });
    }
    found
        .entity
        .annotation("backstage.io/managed-by-location")
        .map(str::to_string)
        .or_else(|| (!origin.location.is_empty()).then(|| origin.location.clone()))
}

/// A ref found in several sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub entity_ref: String,
    /// The sources, in priority order (the first answers).
    pub sources: Vec<String>,
}

/// Run the local rules over `catalog`. `docs_runbook` finds an entity's
/// runbook in its docs (offline), as `r` does.
pub fn local_findings(
    catalog: &Catalog,
    duplicates: &[Duplicate],
    docs_runbook: &dyn Fn(&CatalogEntity) -> Option<DocsRunbook>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for found in catalog.entities() {
        let e = &found.entity;
        let key = e.ref_key();
        let owner_ref = e.owner_ref().map(|r| r.canonical());
        let at = || location_of(found);
        let kind = e.known_kind();
        let needs_owner = matches!(
            kind,
            Some(Kind::Component | Kind::Api | Kind::Resource | Kind::System | Kind::Domain)
        );
        match &owner_ref {
            None if needs_owner => out.push(Finding::new(
                "no-owner",
                &key,
                None,
                "no spec.owner: set it to the owning group".into(),
                at(),
            )),
            Some(owner) if !catalog.contains(owner) => out.push(Finding::new(
                "owner-missing",
                &key,
                owner_ref.clone(),
                format!("the owner {owner} is not in the catalog"),
                at(),
            )),
            _ => {}
        }
        let mut missing: Vec<String> = e
            .relations()
            .iter()
            .filter(|r| r.relation_type != OWNED_BY)
            .map(|r| r.target_ref.to_lowercase())
            .filter(|t| !catalog.contains(t))
            .collect();
        missing.sort();
        missing.dedup();
        if !missing.is_empty() {
            out.push(Finding::new(
                "dangling-relation",
                &key,
                owner_ref.clone(),
                format!("points at missing {}", missing.join(", ")),
                at(),
            ));
        }
        match kind {
            None => out.push(Finding::new(
                "unknown-kind",
                &key,
                owner_ref.clone(),
                format!("kind '{}' is not one Backstage defines", e.kind),
                at(),
            )),
            Some(_) => {
                let lower = e.kind.to_lowercase();
                if let (Some((_, known)), Some(t)) =
                    (KNOWN_TYPES.iter().find(|(k, _)| *k == lower), e.spec_type())
                {
                    if !known.iter().any(|k| k.eq_ignore_ascii_case(t)) {
                        out.push(Finding::new(
                            "unknown-type",
                            &key,
                            owner_ref.clone(),
                            format!("type '{t}' is not one of {}", known.join(", ")),
                            at(),
                        ));
                    }
                }
            }
        }
        if e.annotation("backstage.io/orphan")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            out.push(Finding::new(
                "orphan",
                &key,
                owner_ref.clone(),
                "orphaned: no location lists it any more; delete it or list it again".into(),
                at(),
            ));
        }
        status_findings(found, &key, &owner_ref, &mut out);
        let production_service = kind == Some(Kind::Component)
            && e.spec_type()
                .is_some_and(|t| t.eq_ignore_ascii_case("service"))
            && e.lifecycle()
                .is_some_and(|l| l.eq_ignore_ascii_case("production"));
        if production_service {
            let report = ShowReport::build(catalog, found, &[], docs_runbook(found));
            let owner_links = super::score::owner_links(catalog, &report);
            let subject = Subject {
                report: &report,
                owner_links: &owner_links,
            };
            for (check, rule) in [
                (Check::Runbook, "production-without-runbook"),
                (Check::OnCall, "production-without-on-call"),
            ] {
                let outcome = check.run(subject);
                if !outcome.passed {
                    out.push(Finding::new(
                        rule,
                        &key,
                        owner_ref.clone(),
                        format!("{}; {}", outcome.message, check.fix()),
                        at(),
                    ));
                }
            }
        }
    }
    for d in duplicates {
        let found = catalog.get(&d.entity_ref);
        out.push(Finding::new(
            "duplicate",
            &d.entity_ref,
            found
                .as_ref()
                .and_then(|f| f.entity.owner_ref())
                .map(|r| r.canonical()),
            format!(
                "in sources {}; '{}' answers",
                d.sources.join(", "),
                d.sources.first().map(String::as_str).unwrap_or_default()
            ),
            found.as_deref().and_then(location_of),
        ));
    }
    out
}

/// `status.items` the backend recorded on an entity (errors and warnings).
fn status_findings(
    found: &CatalogEntity,
    key: &str,
    owner: &Option<String>,
    out: &mut Vec<Finding>,
) {
    let items = found
        .entity
        .status
        .as_ref()
        .and_then(|s| s.get("items"))
        .and_then(|i| i.as_array());
    for item in items.into_iter().flatten() {
        let level = item
            .get("level")
            .and_then(|l| l.as_str())
            .unwrap_or("error");
        let rule = match level {
            "error" => "processing-error",
            "warning" => "processing-warning",
            _ => continue,
        };
        let message = item
            .get("error")
            .and_then(|e| e.get("message"))
            .or_else(|| item.get("message"))
            .and_then(|m| m.as_str())
            .unwrap_or("(no message)");
        let kind = item
            .get("type")
            .and_then(|t| t.as_str())
            .unwrap_or("status");
        out.push(Finding::new(
            rule,
            key,
            owner.clone(),
            format!("{kind}: {message}"),
            location_of(found),
        ));
    }
}

/// A finding for an entity the backend failed (or has yet) to process.
pub fn unprocessed_finding(
    failed: bool,
    entity_ref: &str,
    location: Option<String>,
    errors: &[String],
) -> Finding {
    let rule = if failed {
        "processing-failed"
    } else {
        "processing-pending"
    };
    let message = if errors.is_empty() {
        if failed {
            "processing failed".to_string()
        } else {
            "not processed yet".to_string()
        }
    } else {
        errors.join("; ")
    };
    Finding::new(rule, entity_ref, None, message, location)
}

/// What a document that did not load (or loaded with a warning) is
/// called in findings: it may have no ref to name.
pub const NOT_LOADED: &str = "(not loaded)";

/// A problem the loader recorded in a local file (`location` is
/// `path:line:col`).
pub fn load_problem_finding(error: bool, location: String, message: &str) -> Finding {
    Finding {
        rule: "load-problem".to_string(),
        severity: if error {
            Severity::Error
        } else {
            Severity::Warning
        },
        entity_ref: NOT_LOADED.to_string(),
        owner: None,
        message: message.to_string(),
        location: Some(location),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCount {
    pub rule: String,
    pub severity: Severity,
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnerCount {
    pub owner: String,
    pub errors: usize,
    pub warnings: usize,
}

/// The findings sorted (errors first, then by rule and ref), and counted
/// by rule and by owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HygieneReport {
    pub errors: usize,
    pub warnings: usize,
    pub by_rule: Vec<RuleCount>,
    pub by_owner: Vec<OwnerCount>,
    pub findings: Vec<Finding>,
}

pub fn report(mut findings: Vec<Finding>) -> HygieneReport {
    findings.sort_by(|a, b| {
        (a.severity, &a.rule, &a.entity_ref, &a.message).cmp(&(
            b.severity,
            &b.rule,
            &b.entity_ref,
            &b.message,
        ))
    });
    findings.dedup();
    let mut by_rule: BTreeMap<(Severity, String), usize> = BTreeMap::new();
    let mut by_owner: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for f in &findings {
        *by_rule.entry((f.severity, f.rule.clone())).or_default() += 1;
        let owner = by_owner
            .entry(
                f.owner
                    .clone()
                    .unwrap_or_else(|| super::impact::NO_OWNER.to_string()),
            )
            .or_default();
        match f.severity {
            Severity::Error => owner.0 += 1,
            Severity::Warning => owner.1 += 1,
        }
    }
    HygieneReport {
        errors: findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count(),
        warnings: findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count(),
        by_rule: by_rule
            .into_iter()
            .map(|((severity, rule), count)| RuleCount {
                rule,
                severity,
                count,
            })
            .collect(),
        by_owner: by_owner
            .into_iter()
            .map(|(owner, (errors, warnings))| OwnerCount {
                owner,
                errors,
                warnings,
            })
            .collect(),
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Entity, Origin};
    use crate::health::checks::tests::catalog;
    use serde_json::{json, Value};

    fn base() -> Vec<Value> {
        vec![
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
                   "metadata": {"name": "team-a", "annotations": {"pagerduty.com/service-id": "P"},
                                "links": [{"url": "https://rb", "title": "Runbook"}]},
                   "spec": {"type": "team", "children": []}}),
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
                   "metadata": {"name": "team-q"}, "spec": {"type": "team", "children": []}}),
        ]
    }

    fn comp(name: &str, spec: Value) -> Value {
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": name}, "spec": spec})
    }

    /// The rules that fire for `doc` (beside a clean org).
    fn rules_for(doc: Value) -> Vec<String> {
        let key = Entity::from_value(doc.clone()).unwrap().ref_key();
        let mut docs = base();
        docs.push(doc);
        let cat = catalog(docs);
        local_findings(&cat, &[], &|_| None)
            .into_iter()
            .filter(|f| f.entity_ref == key)
            .map(|f| f.rule)
            .collect()
    }

    fn ok_spec() -> Value {
        json!({"type": "service", "lifecycle": "production", "owner": "team-a"})
    }

    #[test]
    fn a_clean_entity_has_no_findings() {
        assert!(rules_for(comp("svc", ok_spec())).is_empty());
        assert!(rules_for(comp(
            "lib",
            json!({"type": "library", "lifecycle": "experimental", "owner": "team-q"})
        ))
        .is_empty());
    }

    #[test]
    fn owners() {
        assert_eq!(
            rules_for(comp("x", json!({"type": "library"}))),
            ["no-owner"]
        );
        assert_eq!(
            rules_for(comp("x", json!({"type": "library", "owner": "ghost"}))),
            ["owner-missing"]
        );
        let user = json!({"apiVersion": "backstage.io/v1alpha1", "kind": "User", "metadata": {"name": "u"}, "spec": {"memberOf": []}});
        assert!(rules_for(user).is_empty(), "users have no owner");
    }

    #[test]
    fn dangling_kinds_types_orphans() {
        let spec = json!({"type": "library", "owner": "team-q", "dependsOn": ["resource:gone"]});
        assert_eq!(rules_for(comp("x", spec)), ["dangling-relation"]);
        let odd = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {}});
        assert_eq!(rules_for(odd), ["unknown-kind"]);
        assert_eq!(
            rules_for(comp(
                "x",
                json!({"type": "microservice", "owner": "team-q"})
            )),
            ["unknown-type"]
        );
        let mut orphan = comp("x", json!({"type": "library", "owner": "team-q"}));
        orphan["metadata"]["annotations"] = json!({"backstage.io/orphan": "true"});
        assert_eq!(rules_for(orphan), ["orphan"]);
    }

    #[test]
    fn production_services_need_runbook_and_on_call() {
        let quiet = json!({"type": "service", "lifecycle": "production", "owner": "team-q"});
        assert_eq!(
            rules_for(comp("x", quiet.clone())),
            ["production-without-runbook", "production-without-on-call"]
        );
        let mut covered = comp("x", quiet);
        covered["metadata"]["annotations"] = json!({"opsgenie.com/team": "q"});
        covered["metadata"]["links"] = json!([{"url": "https://rb/x", "type": "runbook"}]);
        assert!(rules_for(covered).is_empty());
        let experimental =
            json!({"type": "service", "lifecycle": "experimental", "owner": "team-q"});
        assert!(rules_for(comp("x", experimental)).is_empty());
    }

    #[test]
    fn status_items_and_unprocessed_and_duplicates() {
        let mut doc = comp("x", ok_spec());
        doc["status"] = json!({"items": [
            {"type": "backstage.io/catalog-processing", "level": "error", "message": "m",
             "error": {"name": "InputError", "message": "bad spec"}},
            {"type": "t", "level": "warning", "message": "careful"},
            {"type": "t", "level": "info", "message": "fine"}]});
        assert_eq!(rules_for(doc), ["processing-error", "processing-warning"]);
        let f = unprocessed_finding(
            false,
            "location:default/l",
            Some("file:/x".into()),
            &["E: m".into()],
        );
        assert_eq!(
            (f.rule.as_str(), f.severity, f.message.as_str()),
            ("processing-pending", Severity::Warning, "E: m")
        );
        assert_eq!(
            unprocessed_finding(true, "a:b/c", None, &[]).severity,
            Severity::Error
        );

        let cat = catalog(vec![comp("x", ok_spec())]);
        let dups = [Duplicate {
            entity_ref: "component:default/x".into(),
            sources: vec!["a".into(), "b".into()],
        }];
        let found = local_findings(&cat, &dups, &|_| None);
        let dup = found.iter().find(|f| f.rule == "duplicate").unwrap();
        assert_eq!(dup.message, "in sources a, b; 'a' answers");
    }

    #[test]
    fn locations_and_grouping() {
        let entity = Entity::from_value(comp("x", ok_spec())).unwrap();
        let local = CatalogEntity {
            entity: entity.clone(),
            origin: Origin {
                source: "s".into(),
                location: "file:/repo/catalog-info.yaml".into(),
                line: Some(7),
            },
        };
        assert_eq!(
            location_of(&local).as_deref(),
            Some("/repo/catalog-info.yaml:7")
        );
        let mut remote_entity = entity;
        remote_entity.metadata.annotations = Some(
            json!({"backstage.io/managed-by-location": "url:https://git/x/catalog-info.yaml"})
                .as_object()
                .unwrap()
                .clone(),
        );
        let remote = CatalogEntity {
            entity: remote_entity,
            origin: Origin {
                source: "prod".into(),
                location: "https://backstage".into(),
                line: None,
            },
        };
        assert_eq!(
            location_of(&remote).as_deref(),
            Some("url:https://git/x/catalog-info.yaml")
        );

        let mut docs = base();
        docs.push(comp("a", json!({"type": "library"})));
        docs.push(comp("b", json!({"type": "widget", "owner": "team-q"})));
        docs.push(comp("c", json!({"type": "library", "owner": "ghost"})));
        let r = report(local_findings(&catalog(docs), &[], &|_| None));
        assert_eq!((r.errors, r.warnings), (2, 1));
        let rules: Vec<_> = r
            .by_rule
            .iter()
            .map(|c| (c.rule.as_str(), c.count))
            .collect();
        assert_eq!(
            rules,
            [("no-owner", 1), ("owner-missing", 1), ("unknown-type", 1)]
        );
        assert_eq!(r.findings[0].severity, Severity::Error);
        let owners: Vec<_> = r
            .by_owner
            .iter()
            .map(|o| (o.owner.as_str(), o.errors, o.warnings))
            .collect();
        assert_eq!(
            owners,
            [
                ("(no owner)", 1, 0),
                ("group:default/ghost", 1, 0),
                ("group:default/team-q", 0, 1)
            ]
        );
    }
}
