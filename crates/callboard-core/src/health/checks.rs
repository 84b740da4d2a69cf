//! The scorecard checks: each looks at one entity as the `show` report
//! sees it (with its owner's links, for the runbook `r` would find) and
//! says pass or fail, why, and how to fix it.

use crate::catalog::relations::PROVIDES_API;
use crate::catalog::Kind;
use crate::report::{ShowReport, ShownLink};

/// One entity as the checks see it.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub report: &'a ShowReport,
    /// The owner's own links (a team runbook counts for its entities).
    pub owner_links: &'a [ShownLink],
}

/// The checks a scorecard rule can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    Owner,
    OwnerIsGroup,
    Description,
    TitleOrTags,
    Lifecycle,
    System,
    TechDocs,
    Runbook,
    OnCall,
    Source,
    ProvidesApi,
    NoDangling,
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    pub passed: bool,
    /// What was found, or what is missing.
    pub message: String,
}

/// Annotations that say where an entity's source lives.
pub const SOURCE_ANNOTATIONS: &[&str] = &[
    "backstage.io/source-location",
    "github.com/project-slug",
    "gitlab.com/project-slug",
    "backstage.io/view-url",
];

/// Annotations that point at TechDocs.
pub const TECHDOCS_ANNOTATIONS: &[&str] =
    &["backstage.io/techdocs-ref", "backstage.io/techdocs-entity"];

impl Check {
    pub const ALL: [Check; 12] = [
        Check::Owner,
        Check::OwnerIsGroup,
        Check::Description,
        Check::TitleOrTags,
        Check::Lifecycle,
        Check::System,
        Check::TechDocs,
        Check::Runbook,
        Check::OnCall,
        Check::Source,
        Check::ProvidesApi,
        Check::NoDangling,
    ];

    /// The name used in the config and the output.
    pub fn name(self) -> &'static str {
        match self {
            Check::Owner => "owner",
            Check::OwnerIsGroup => "owner-is-group",
            Check::Description => "description",
            Check::TitleOrTags => "title-or-tags",
            Check::Lifecycle => "lifecycle",
            Check::System => "system",
            Check::TechDocs => "techdocs",
            Check::Runbook => "runbook",
            Check::OnCall => "on-call",
            Check::Source => "source",
            Check::ProvidesApi => "provides-api",
            Check::NoDangling => "no-dangling",
        }
    }

    pub fn parse(name: &str) -> Option<Check> {
        Check::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name.trim()))
    }

    /// What it asks for, in a few words.
    pub fn title(self) -> &'static str {
        match self {
            Check::Owner => "has an owner",
            Check::OwnerIsGroup => "the owner is a Group in the catalog",
            Check::Description => "has a description",
            Check::TitleOrTags => "has a title or tags",
            Check::Lifecycle => "has a lifecycle",
            Check::System => "is part of a system",
            Check::TechDocs => "has TechDocs",
            Check::Runbook => "has a runbook",
            Check::OnCall => "has an on-call rota (its own or its owner's)",
            Check::Source => "says where its source is",
            Check::ProvidesApi => "a service provides an API",
            Check::NoDangling => "no relation points at a missing entity",
        }
    }

    /// How to make it pass: the field or annotation to add.
    pub fn fix(self) -> &'static str {
        match self {
            Check::Owner => "set spec.owner (spec.owner: group:team-name)",
            Check::OwnerIsGroup => {
                "point spec.owner at a Group entity of the catalog (people leave, teams stay)"
            }
            Check::Description => "add metadata.description",
            Check::TitleOrTags => "add metadata.title or metadata.tags",
            Check::Lifecycle => "set spec.lifecycle (experimental, production or deprecated)",
            Check::System => "set spec.system to the System it belongs to",
            Check::TechDocs => {
                "add the annotation backstage.io/techdocs-ref: dir:. (with mkdocs.yml and docs/)"
            }
            Check::Runbook => {
                "add a metadata.links entry with type: runbook, or a docs page runbook.md"
            }
            Check::OnCall => {
                "add pagerduty.com/service-id (or opsgenie.com/team, …) to it or its owning group"
            }
            Check::Source => {
                "add the annotation backstage.io/source-location: url:https://… (or github.com/project-slug: org/repo)"
            }
            Check::ProvidesApi => "list the APIs it serves in spec.providesApis",
            Check::NoDangling => "fix or remove the refs to entities that do not exist",
        }
    }

    /// Whether the check means anything for this entity beyond the kinds a
    /// rule names (a provided API only for `service` components).
    pub fn applies_to(self, report: &ShowReport) -> bool {
        match self {
            Check::ProvidesApi => {
                Kind::parse(&report.kind) == Some(Kind::Component)
                    && report
                        .spec_type
                        .as_deref()
                        .is_some_and(|t| t.eq_ignore_ascii_case("service"))
            }
            _ => true,
        }
    }

    /// Run the check.
    pub fn run(self, s: Subject<'_>) -> CheckOutcome {
        let r = s.report;
        let annotation = |keys: &[&str]| {
            r.annotations
                .iter()
                .find(|(k, v)| keys.contains(&k.as_str()) && !v.trim().is_empty())
                .map(|(k, v)| format!("{k}: {v}"))
        };
        let filled = |v: &Option<String>| v.as_deref().is_some_and(|t| !t.trim().is_empty());
        let (passed, message) = match self {
            Check::Owner => match &r.owner {
                Some(o) => (true, format!("owned by {}", o.owner_ref)),
                None => (false, "no owner (spec.owner)".to_string()),
            },
            Check::OwnerIsGroup => match &r.owner {
                None => (false, "no owner to resolve".to_string()),
                Some(o) if !o.resolved => (
                    false,
                    format!("the owner {} is not in the catalog", o.owner_ref),
                ),
                Some(o) => match o.kind.as_deref().and_then(Kind::parse) {
                    Some(Kind::Group) => (true, format!("{} is a Group", o.owner_ref)),
                    _ => (
                        false,
                        format!(
                            "the owner {} is a {}, not a Group",
                            o.owner_ref,
                            o.kind.as_deref().unwrap_or("?")
                        ),
                    ),
                },
            },
            Check::Description => (
                filled(&r.description),
                if filled(&r.description) {
                    "described".to_string()
                } else {
                    "no metadata.description".to_string()
                },
            ),
            Check::TitleOrTags => {
                let ok = filled(&r.title) || !r.tags.is_empty();
                let message = if ok {
                    "titled or tagged"
                } else {
                    "no title and no tags"
                };
                (ok, message.to_string())
            }
            Check::Lifecycle => match r.lifecycle.as_deref().filter(|l| !l.trim().is_empty()) {
                Some(l) => (true, format!("lifecycle {l}")),
                None => (false, "no spec.lifecycle".to_string()),
            },
            Check::System => match &r.system {
                Some(sys) => (true, format!("part of {sys}")),
                None => (false, "no spec.system".to_string()),
            },
            Check::TechDocs => match annotation(TECHDOCS_ANNOTATIONS) {
                Some(a) => (true, a),
                None => (false, "no backstage.io/techdocs-ref annotation".to_string()),
            },
            Check::Runbook => {
                if let Some(l) = r.links.iter().find(|l| l.runbook) {
                    (true, format!("runbook link {}", l.url))
                } else if let Some(d) = &r.docs_runbook {
                    (true, format!("runbook in its docs: {}", d.page))
                } else if let Some(l) = s.owner_links.iter().find(|l| l.runbook) {
                    (true, format!("its owner's runbook {}", l.url))
                } else {
                    (
                        false,
                        "no runbook link or docs page (its own or its owner's)".to_string(),
                    )
                }
            }
            Check::OnCall => {
                let own = r.on_call.first();
                let owner = r.owner.as_ref().and_then(|o| o.on_call.first());
                match (own, owner) {
                    (Some((k, v)), _) => (true, format!("{k}: {v}")),
                    (None, Some((k, v))) => (true, format!("its owner's {k}: {v}")),
                    (None, None) => (
                        false,
                        "no on-call annotation on it or its owner".to_string(),
                    ),
                }
            }
            Check::Source => match annotation(SOURCE_ANNOTATIONS) {
                Some(a) => (true, a),
                None => (
                    false,
                    "no source-location or repository annotation".to_string(),
                ),
            },
            Check::ProvidesApi => {
                let apis: Vec<&str> = r
                    .relations
                    .iter()
                    .filter(|x| x.relation_type == PROVIDES_API)
                    .map(|x| x.target_ref.as_str())
                    .collect();
                if apis.is_empty() {
                    (false, "a service that provides no API".to_string())
                } else {
                    (true, format!("provides {}", apis.join(", ")))
                }
            }
            Check::NoDangling => {
                let mut missing: Vec<&str> = r
                    .relations
                    .iter()
                    .filter(|x| x.dangling)
                    .map(|x| x.target_ref.as_str())
                    .collect();
                missing.sort_unstable();
                missing.dedup();
                if missing.is_empty() {
                    (true, "every relation resolves".to_string())
                } else {
                    (false, format!("missing: {}", missing.join(", ")))
                }
            }
        };
        CheckOutcome { passed, message }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::catalog::index::{Catalog, EntityLookup};
    use crate::catalog::relations::{emit_relations, stitch};
    use crate::catalog::{CatalogEntity, Entity, Origin};
    use serde_json::{json, Value};

    pub(crate) fn catalog(docs: Vec<Value>) -> Catalog {
        let mut entities: Vec<Entity> = docs
            .into_iter()
            .map(|d| Entity::from_value(d).unwrap())
            .collect();
        let emitted: Vec<_> = entities
            .iter()
            .flat_map(|e| emit_relations(e).unwrap())
            .collect();
        stitch(&mut entities, emitted);
        Catalog::new(entities.into_iter().map(|entity| CatalogEntity {
            entity,
            origin: Origin::default(),
        }))
    }

    pub(crate) fn org() -> Vec<Value> {
        vec![
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
                   "metadata": {"name": "team-a", "annotations": {"pagerduty.com/service-id": "PTEAM"},
                                "links": [{"url": "https://rb/team-a", "title": "Team runbook"}]},
                   "spec": {"type": "team", "children": []}}),
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
                   "metadata": {"name": "team-quiet"}, "spec": {"type": "team", "children": []}}),
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "User",
                   "metadata": {"name": "ann"}, "spec": {"memberOf": []}}),
        ]
    }

    /// Run `check` on the entity `doc` in a catalog with the org.
    pub(crate) fn run(check: Check, doc: Value) -> CheckOutcome {
        let key = Entity::from_value(doc.clone()).unwrap().ref_key();
        let mut docs = org();
        docs.push(doc);
        let cat = catalog(docs);
        let found = cat.get(&key).unwrap();
        let report = ShowReport::build(&cat, &found, &[], None);
        let owner_links = crate::health::score::owner_links(&cat, &report);
        check.run(Subject {
            report: &report,
            owner_links: &owner_links,
        })
    }

    fn svc(metadata: Value, spec: Value) -> Value {
        let mut m = json!({"name": "svc"});
        m.as_object_mut()
            .unwrap()
            .extend(metadata.as_object().unwrap().clone());
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": m, "spec": spec})
    }

    fn passes(check: Check, metadata: Value, spec: Value) -> bool {
        run(check, svc(metadata, spec)).passed
    }

    #[test]
    fn owner_and_owner_is_group() {
        let none = json!({"type": "service"});
        assert!(!passes(Check::Owner, json!({}), none.clone()));
        assert!(passes(Check::Owner, json!({}), json!({"owner": "nobody"})));
        assert!(!passes(Check::OwnerIsGroup, json!({}), none));
        let missing = run(
            Check::OwnerIsGroup,
            svc(json!({}), json!({"owner": "nobody"})),
        );
        assert!(!missing.passed && missing.message.contains("not in the catalog"));
        let user = run(
            Check::OwnerIsGroup,
            svc(json!({}), json!({"owner": "user:ann"})),
        );
        assert!(
            !user.passed && user.message.contains("User, not a Group"),
            "{user:?}"
        );
        assert!(passes(
            Check::OwnerIsGroup,
            json!({}),
            json!({"owner": "team-a"})
        ));
    }

    #[test]
    fn description_title_tags_lifecycle_system() {
        let spec = json!({"owner": "team-a"});
        assert!(!passes(
            Check::Description,
            json!({"description": "  "}),
            spec.clone()
        ));
        assert!(passes(
            Check::Description,
            json!({"description": "d"}),
            spec.clone()
        ));
        assert!(!passes(Check::TitleOrTags, json!({}), spec.clone()));
        assert!(passes(
            Check::TitleOrTags,
            json!({"title": "T"}),
            spec.clone()
        ));
        assert!(passes(
            Check::TitleOrTags,
            json!({"tags": ["x"]}),
            spec.clone()
        ));
        assert!(!passes(Check::Lifecycle, json!({}), spec.clone()));
        assert!(passes(
            Check::Lifecycle,
            json!({}),
            json!({"lifecycle": "production"})
        ));
        assert!(!passes(Check::System, json!({}), spec));
        assert!(passes(Check::System, json!({}), json!({"system": "s"})));
    }

    #[test]
    fn techdocs_source_and_dangling() {
        let spec = json!({"owner": "team-a"});
        assert!(!passes(Check::TechDocs, json!({}), spec.clone()));
        let docs = json!({"annotations": {"backstage.io/techdocs-ref": "dir:."}});
        assert!(passes(Check::TechDocs, docs, spec.clone()));
        let docs = json!({"annotations": {"backstage.io/techdocs-entity": "component:x"}});
        assert!(passes(Check::TechDocs, docs, spec.clone()));
        assert!(!passes(Check::Source, json!({}), spec.clone()));
        let src = json!({"annotations": {"github.com/project-slug": "a/b"}});
        assert!(passes(Check::Source, src, spec.clone()));
        assert!(passes(Check::NoDangling, json!({}), spec));
        let dangling = run(
            Check::NoDangling,
            svc(
                json!({}),
                json!({"owner": "team-a", "dependsOn": ["resource:gone"]}),
            ),
        );
        assert!(!dangling.passed && dangling.message.contains("resource:default/gone"));
    }

    #[test]
    fn runbook_is_found_where_r_finds_it() {
        let quiet = json!({"owner": "team-quiet"});
        assert!(!passes(Check::Runbook, json!({}), quiet.clone()));
        let link = json!({"links": [{"url": "https://rb/svc", "type": "runbook"}]});
        assert!(passes(Check::Runbook, link, quiet));
        let owners = run(Check::Runbook, svc(json!({}), json!({"owner": "team-a"})));
        assert!(
            owners.passed && owners.message.contains("owner"),
            "{owners:?}"
        );
    }

    #[test]
    fn on_call_on_the_entity_or_its_owner() {
        assert!(!passes(
            Check::OnCall,
            json!({}),
            json!({"owner": "team-quiet"})
        ));
        let own = json!({"annotations": {"opsgenie.com/team": "x"}});
        assert!(passes(Check::OnCall, own, json!({"owner": "team-quiet"})));
        assert!(passes(Check::OnCall, json!({}), json!({"owner": "team-a"})));
    }

    #[test]
    fn provides_api_only_means_something_for_services() {
        let spec = json!({"type": "service", "owner": "team-a"});
        assert!(!passes(Check::ProvidesApi, json!({}), spec));
        let spec = json!({"type": "service", "owner": "team-a", "providesApis": ["a"]});
        assert!(passes(Check::ProvidesApi, json!({}), spec));
        let doc = svc(json!({}), json!({"type": "website"}));
        let report = ShowReport::build(
            &catalog(vec![doc.clone()]),
            &CatalogEntity {
                entity: Entity::from_value(doc).unwrap(),
                origin: Origin::default(),
            },
            &[],
            None,
        );
        assert!(!Check::ProvidesApi.applies_to(&report));
        assert!(Check::Owner.applies_to(&report));
    }

    #[test]
    fn names_parse_back() {
        for c in Check::ALL {
            assert_eq!(Check::parse(c.name()), Some(c));
        }
        assert_eq!(Check::parse("nope"), None);
    }
}
