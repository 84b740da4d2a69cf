//! The answers the headless commands and the TUI's entity screen show,
//! built from any [`EntityLookup`]: plain data ([`ShowReport`] serialisable
//! for `--json`).

use serde::Serialize;

use crate::catalog::api::ApiView;
use crate::catalog::index::{
    dependency_tree, on_call_annotations, owner_of, related, DepTree, Direction, OwnerInfo,
    RelatedRef,
};
use crate::catalog::org::{profile, Ownership, Profile};
use crate::catalog::surfaces::{surfaces, Surface, SurfaceHosts};
use crate::catalog::{CatalogEntity, EntityLookup, EntityRef, Kind, Link, RefContext};
use crate::docs::runbook::DocsRunbook;

/// The on-call view of one entity.
#[derive(Debug, Clone, Serialize)]
pub struct ShowReport {
    pub entity_ref: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub spec_type: Option<String>,
    pub lifecycle: Option<String>,
    /// The entity's own on-call annotations (the owner's are in `owner`).
    pub on_call: Vec<(String, String)>,
    pub owner: Option<OwnerInfo>,
    pub system: Option<String>,
    pub domain: Option<String>,
    /// Runbooks first.
    pub links: Vec<ShownLink>,
    /// A runbook in the entity's local TechDocs (a page or a section).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docs_runbook: Option<DocsRunbook>,
    pub tags: Vec<String>,
    pub labels: Vec<(String, String)>,
    pub annotations: Vec<(String, String)>,
    /// Well-known annotations as links, commands and facts (GitHub,
    /// Kubernetes, PagerDuty, …); see [`crate::catalog::surfaces`].
    pub surfaces: Vec<Surface>,
    pub relations: Vec<RelatedRef>,
    /// A group's or user's profile: display name, email, parent and child
    /// groups, members, the groups a user is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// What a group or user owns, counted by kind and listed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owns: Option<Ownership>,
    /// The source that answered, and where in it.
    pub source: String,
    pub location: String,
    /// Other sources that also have this ref (lower priority, not shown).
    pub shadowed_in: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShownLink {
    pub url: String,
    pub title: Option<String>,
    #[serde(rename = "type")]
    pub link_type: Option<String>,
    pub runbook: bool,
}

impl From<Link> for ShownLink {
    fn from(l: Link) -> Self {
        ShownLink {
            runbook: l.is_runbook(),
            url: l.url,
            title: l.title,
            link_type: l.link_type,
        }
    }
}

impl ShowReport {
    /// `docs_runbook` is the runbook page of the entity's docs, when one
    /// could be found without the network (`callboard_io::docs::runbook`).
    pub fn build(
        lookup: &dyn EntityLookup,
        found: &CatalogEntity,
        sources: &[String],
        docs_runbook: Option<DocsRunbook>,
    ) -> ShowReport {
        let e = &found.entity;
        let system = e.system_ref().map(|r| r.canonical());
        // A system's domain; a system itself shows its own domain.
        let domain_of = |system: &crate::catalog::Entity| {
            system.spec_str("domain").and_then(|d| {
                EntityRef::parse_with(d, RefContext::new(Some("Domain"), Some(system.namespace())))
                    .ok()
                    .map(|r| r.canonical())
            })
        };
        let domain = match &system {
            Some(s) => lookup.get(s).and_then(|s| domain_of(&s.entity)),
            None => domain_of(e),
        };
        let location = match found.origin.line {
            Some(line) => format!("{}:{line}", found.origin.location),
            None => found.origin.location.clone(),
        };
        let pairs = |v: Vec<(&str, &str)>| {
            v.into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let relations = related(lookup, e);
        let people = matches!(e.known_kind(), Some(Kind::Group | Kind::User));
        let annotations: Vec<(String, String)> = pairs(e.annotations());
        ShowReport {
            profile: profile(lookup, e, &relations),
            owns: people.then(|| Ownership::of(&relations)),
            surfaces: surfaces(&e.ref_key(), &annotations, &SurfaceHosts::default()),
            entity_ref: e.ref_key(),
            kind: e.kind.clone(),
            namespace: e.namespace().to_string(),
            name: e.metadata.name.clone(),
            title: e.metadata.title.clone(),
            description: e.metadata.description.clone(),
            spec_type: e.spec_type().map(str::to_string),
            lifecycle: e.lifecycle().map(str::to_string),
            on_call: on_call_annotations(e),
            owner: owner_of(lookup, e),
            system,
            domain,
            links: e.links().into_iter().map(ShownLink::from).collect(),
            docs_runbook,
            tags: e.tags().into_iter().map(str::to_string).collect(),
            labels: pairs(e.labels()),
            annotations,
            relations,
            source: found.origin.source.clone(),
            location,
            shadowed_in: sources
                .iter()
                .filter(|s| **s != found.origin.source)
                .cloned()
                .collect(),
        }
    }
}

impl ShowReport {
    /// The surfaces again with the configured per-company hosts (`build`
    /// uses none).
    pub fn with_hosts(mut self, hosts: &SurfaceHosts) -> ShowReport {
        self.surfaces = surfaces(&self.entity_ref, &self.annotations, hosts);
        self
    }
}

/// Everything the entity screen shows of one entity: the show report, where
/// it was read from, the owner's links and the API view.
#[derive(Debug, Clone)]
pub struct EntityDetail {
    pub report: ShowReport,
    /// Where it was read from, for people: `demo · services/x/catalog-info.yaml:3`.
    pub source_line: String,
    /// The owner's own links (its runbook, chat channel…), runbooks first.
    pub owner_links: Vec<ShownLink>,
    pub api: ApiView,
}

impl EntityDetail {
    /// The detail of `found`, whose `report` was built (with its docs
    /// runbook) by the caller, who also words where it was read from.
    pub fn build(
        lookup: &dyn EntityLookup,
        found: &CatalogEntity,
        report: ShowReport,
        source_line: String,
    ) -> EntityDetail {
        let owner_links = report
            .owner
            .as_ref()
            .filter(|o| o.resolved)
            .and_then(|o| lookup.get(&o.owner_ref))
            .map(|o| o.entity.links().into_iter().map(ShownLink::from).collect())
            .unwrap_or_default();
        let api = ApiView::of(&found.entity, &report.relations);
        EntityDetail {
            report,
            source_line,
            owner_links,
            api,
        }
    }
}

/// The dependency trees of one entity, both ways (the blast radius).
#[derive(Debug, Clone)]
pub struct DepsDetail {
    pub depends_on: DepTree,
    pub depended_on_by: DepTree,
    /// The dependents grouped by owning team: who to page.
    pub impact: crate::health::Impact,
}

impl DepsDetail {
    pub fn build(lookup: &dyn EntityLookup, key: &str) -> DepsDetail {
        DepsDetail {
            depends_on: dependency_tree(lookup, key, Direction::DependsOn, None),
            depended_on_by: dependency_tree(lookup, key, Direction::DependedOnBy, None),
            impact: crate::health::impact(lookup, key, None),
        }
    }
}
