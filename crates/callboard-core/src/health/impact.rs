//! Impact, or who to page: everything that transitively depends on an
//! entity (the blast radius), grouped by owning team, each team with its
//! on-call annotations, email and chat links, the entities it would lose
//! and how far away they are; teams with the most production entities
//! first, and a page list to copy.

use std::collections::{HashMap, VecDeque};

use serde::Serialize;

use crate::catalog::index::on_call_annotations;
use crate::catalog::relations::{API_CONSUMED_BY, DEPENDENCY_OF, OWNED_BY, PROVIDES_API};
use crate::catalog::{Entity, EntityLookup};

/// The edges walked: who depends on it, who consumes an API it provides.
const REVERSE_EDGES: [&str; 3] = [DEPENDENCY_OF, API_CONSUMED_BY, PROVIDES_API];

/// The relations read from each dependent: the walked edges and the owner
/// (when `spec.owner` is missing).
const READ_EDGES: [&str; 4] = [DEPENDENCY_OF, API_CONSUMED_BY, PROVIDES_API, OWNED_BY];

/// The name given to entities without an owner.
pub const NO_OWNER: &str = "(no owner)";

/// An entity that would be affected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Affected {
    pub entity_ref: String,
    /// Hops from the root (1: depends on it directly).
    pub distance: usize,
    pub lifecycle: Option<String>,
    pub production: bool,
}

/// A link to reach a team (chat, its own on-call page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactLink {
    pub title: String,
    pub url: String,
}

/// One owning team and what it would lose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamImpact {
    /// The owner's ref, or [`NO_OWNER`].
    pub owner: String,
    /// The owner is in the catalog.
    pub resolved: bool,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub on_call: Vec<(String, String)>,
    /// Chat links of the owner (Slack, Teams, …).
    pub chat: Vec<ContactLink>,
    /// Nearest first.
    pub entities: Vec<Affected>,
    pub production: usize,
}

/// The whole answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Impact {
    pub root: String,
    /// Distinct entities affected (the root excluded).
    pub total: usize,
    pub production: usize,
    /// The depth limit cut the walk short.
    pub truncated: bool,
    /// Most production entities first, then most entities, then by name.
    pub teams: Vec<TeamImpact>,
    /// One line a team: who to page and how, to copy.
    pub page_list: Vec<String>,
}

/// Does this link reach people by chat?
fn is_chat(title: &str, link_type: &str, url: &str) -> bool {
    let hay = format!("{title} {link_type} {url}").to_lowercase();
    [
        "slack",
        "chat",
        "teams.microsoft",
        "discord",
        "mattermost",
        "zulip",
        "matrix.to",
    ]
    .iter()
    .any(|n| hay.contains(n))
}

fn owner_key(entity: &Entity) -> Option<String> {
    entity.owner_ref().map(|r| r.canonical()).or_else(|| {
        entity
            .relations()
            .iter()
            .find(|r| r.relation_type == OWNED_BY)
            .map(|r| r.target_ref.to_lowercase())
    })
}

/// Walk the dependents of `root` breadth-first (each entity once, at its
/// shortest distance) up to `max_depth` hops, and group them by owner.
pub fn impact(lookup: &dyn EntityLookup, root: &str, max_depth: Option<usize>) -> Impact {
    let mut distance: HashMap<String, usize> = HashMap::from([(root.to_string(), 0)]);
    let mut order: Vec<(
        String,
        usize,
        Option<std::sync::Arc<crate::catalog::CatalogEntity>>,
    )> = Vec::new();
    let mut queue = VecDeque::from([(root.to_string(), 0usize)]);
    let mut truncated = false;
    while let Some((key, depth)) = queue.pop_front() {
        // Dependents are many (a third of the catalog for a hub): read only
        // their relations, owner and lifecycle; owners are read whole below.
        let Some(found) = lookup.get_lean(&key, &READ_EDGES) else {
            continue;
        };
        if depth > 0 {
            order.push((key.clone(), depth, Some(found.clone())));
        }
        let edges = found
            .entity
            .relations()
            .iter()
            .filter(|r| REVERSE_EDGES.contains(&r.relation_type.as_str()));
        for edge in edges {
            let target = edge.target_ref.to_lowercase();
            if distance.contains_key(&target) {
                continue;
            }
            if max_depth.is_some_and(|m| depth >= m) {
                truncated = true;
                break;
            }
            distance.insert(target.clone(), depth + 1);
            queue.push_back((target, depth + 1));
        }
    }
    // Dangling dependents (in a relation, not in the catalog) count too.
    let reached: std::collections::HashSet<&str> =
        order.iter().map(|(k, _, _)| k.as_str()).collect();
    let mut missing: Vec<(String, usize)> = distance
        .iter()
        .filter(|(k, d)| **d > 0 && !reached.contains(k.as_str()))
        .map(|(k, d)| (k.clone(), *d))
        .collect();
    missing.sort();
    order.extend(missing.into_iter().map(|(k, d)| (k, d, None)));

    let mut teams: HashMap<String, Vec<Affected>> = HashMap::new();
    for (key, dist, found) in &order {
        let entity = found.as_ref().map(|f| &f.entity);
        let lifecycle = entity.and_then(|e| e.lifecycle()).map(str::to_string);
        let production = lifecycle
            .as_deref()
            .is_some_and(|l| l.eq_ignore_ascii_case("production"));
        let owner = entity
            .and_then(owner_key)
            .unwrap_or_else(|| NO_OWNER.to_string());
        teams.entry(owner).or_default().push(Affected {
            entity_ref: key.clone(),
            distance: *dist,
            lifecycle,
            production,
        });
    }
    let mut teams: Vec<TeamImpact> = teams
        .into_iter()
        .map(|(owner, mut entities)| {
            entities.sort_by(|a, b| (a.distance, &a.entity_ref).cmp(&(b.distance, &b.entity_ref)));
            let production = entities.iter().filter(|e| e.production).count();
            let found = (owner != NO_OWNER).then(|| lookup.get(&owner)).flatten();
            let team = found.as_ref().map(|f| &f.entity);
            TeamImpact {
                resolved: team.is_some(),
                display_name: team.and_then(|t| {
                    t.profile_display_name()
                        .or(t.metadata.title.as_deref())
                        .map(str::to_string)
                }),
                email: team.and_then(|t| t.profile_email()).map(str::to_string),
                on_call: team.map(on_call_annotations).unwrap_or_default(),
                chat: team
                    .map(|t| {
                        t.links()
                            .into_iter()
                            .filter(|l| {
                                is_chat(
                                    l.title.as_deref().unwrap_or_default(),
                                    l.link_type.as_deref().unwrap_or_default(),
                                    &l.url,
                                )
                            })
                            .map(|l| ContactLink {
                                title: l.title.clone().unwrap_or_else(|| "chat".to_string()),
                                url: l.url,
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                owner,
                entities,
                production,
            }
        })
        .collect();
    teams.sort_by(|a, b| {
        (b.production, b.entities.len(), &a.owner).cmp(&(a.production, a.entities.len(), &b.owner))
    });
    let page_list = teams.iter().map(page_line).collect();
    Impact {
        root: root.to_string(),
        total: order.len(),
        production: teams.iter().map(|t| t.production).sum(),
        truncated,
        teams,
        page_list,
    }
}

/// `group:default/team-a  pagerduty.com/service-id=P1  team-a@x  #chan  (3 entities, 2 in production)`
fn page_line(t: &TeamImpact) -> String {
    let mut parts = vec![t.owner.clone()];
    parts.extend(t.on_call.iter().map(|(k, v)| format!("{k}={v}")));
    parts.extend(t.email.iter().cloned());
    parts.extend(t.chat.iter().map(|c| c.url.clone()));
    if t.on_call.is_empty() && t.email.is_none() && t.chat.is_empty() {
        parts.push("(no on-call, email or chat in the catalog)".to_string());
    }
    parts.push(format!(
        "({} entit{}, {} in production)",
        t.entities.len(),
        if t.entities.len() == 1 { "y" } else { "ies" },
        t.production
    ));
    parts.join("  ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::checks::tests::catalog;
    use serde_json::json;

    fn comp(name: &str, owner: &str, lifecycle: &str, deps: &[&str]) -> serde_json::Value {
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": name},
               "spec": {"type": "service", "lifecycle": lifecycle, "owner": owner, "dependsOn": deps}})
    }

    fn team(name: &str, extra: serde_json::Value) -> serde_json::Value {
        let mut t = json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group", "metadata": {"name": name},
               "spec": {"type": "team", "children": [], "profile": {"email": format!("{name}@x.example")}}});
        t["metadata"]
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        t
    }

    fn fixture() -> crate::catalog::Catalog {
        catalog(vec![
            team(
                "a",
                json!({"annotations": {"pagerduty.com/service-id": "PA"},
                             "links": [{"url": "https://slack.example/a", "title": "#team-a"},
                                       {"url": "https://wiki.example/a", "title": "Wiki"}]}),
            ),
            team("b", json!({})),
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Resource", "metadata": {"name": "db"},
                   "spec": {"type": "database", "owner": "a"}}),
            comp("api-svc", "a", "production", &["resource:db"]),
            comp("web", "b", "production", &["component:api-svc"]),
            comp("batch", "b", "experimental", &["resource:db"]),
            comp(
                "report",
                "b",
                "production",
                &["component:web", "component:batch"],
            ),
            comp("orphan", "nobody", "production", &["component:report"]),
            comp(
                "cycle",
                "a",
                "experimental",
                &["component:cycle", "component:web"],
            ),
            comp("unrelated", "a", "production", &[]),
        ])
    }

    #[test]
    fn dependents_grouped_by_team_with_distance_and_contacts() {
        let cat = fixture();
        let i = impact(&cat, "resource:default/db", None);
        assert_eq!(i.total, 6, "{i:#?}"); // api-svc, batch, web, report, cycle, orphan
        assert_eq!(i.production, 4);
        let owners: Vec<&str> = i.teams.iter().map(|t| t.owner.as_str()).collect();
        // b: web and report in production (2); a: api-svc (1); nobody: orphan (1) but fewer entities than a.
        assert_eq!(
            owners,
            ["group:default/b", "group:default/a", "group:default/nobody"]
        );
        let b = &i.teams[0];
        let dist: Vec<(&str, usize)> = b
            .entities
            .iter()
            .map(|e| (e.entity_ref.as_str(), e.distance))
            .collect();
        assert_eq!(
            dist,
            [
                ("component:default/batch", 1),
                ("component:default/report", 2),
                ("component:default/web", 2)
            ]
        );
        let a = &i.teams[1];
        assert_eq!(
            a.on_call,
            [("pagerduty.com/service-id".to_string(), "PA".to_string())]
        );
        assert_eq!(a.email.as_deref(), Some("a@x.example"));
        assert_eq!(a.chat.len(), 1);
        assert_eq!(a.chat[0].url, "https://slack.example/a");
        assert!(!i.teams[2].resolved);
        assert!(i.page_list[1].starts_with(
            "group:default/a  pagerduty.com/service-id=PA  a@x.example  https://slack.example/a  (2 entities, 1 in production)"
        ), "{:?}", i.page_list);
        assert!(i.page_list[2].contains("no on-call"), "{:?}", i.page_list);
        assert!(!i.truncated);
    }

    #[test]
    fn depth_limits_and_leaves() {
        let cat = fixture();
        let i = impact(&cat, "resource:default/db", Some(1));
        assert_eq!(i.total, 2);
        assert!(i.truncated);
        let i = impact(&cat, "component:default/unrelated", None);
        assert_eq!((i.total, i.teams.len(), i.truncated), (0, 0, false));
        let i = impact(&cat, "component:default/nope", None);
        assert_eq!(i.total, 0);
    }
}
