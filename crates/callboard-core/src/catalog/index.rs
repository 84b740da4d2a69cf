//! The catalog as a graph: lookups by ref, relations both ways, owner
//! resolution and dependency walks. Pure and in memory; the walks are written
//! against [`EntityLookup`] so the same code answers from a cache that reads
//! one entity at a time.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::Serialize;

use super::entity::{is_on_call_annotation, Entity, Kind};
use super::entity_ref::{split_ref, EntityRef, RefContext, DEFAULT_NAMESPACE};
use super::relations::{
    API_CONSUMED_BY, API_PROVIDED_BY, CHILD_OF, CONSUMES_API, DEPENDENCY_OF, DEPENDS_ON,
    HAS_MEMBER, PROVIDES_API,
};

/// Where an entity came from: the source's name and, for local files, the
/// file and line of its document (or the endpoint for remote ones).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
pub struct Origin {
    /// The configured source's name.
    pub source: String,
    /// `file:/abs/path.yaml` or the endpoint URL, in Backstage's
    /// `<type>:<target>` form.
    pub location: String,
    /// 1-based line of the entity's document in a local file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// An entity with its origin, shared cheaply between views.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogEntity {
    pub entity: Entity,
    pub origin: Origin,
}

/// Anything that can fetch one entity by canonical ref.
pub trait EntityLookup {
    fn get(&self, key: &str) -> Option<Arc<CatalogEntity>>;

    /// [`EntityLookup::get`] for walks over many entities: the entity may
    /// hold only [`crate::catalog::lean::LEAN_FIELDS`] and the relations of
    /// `relation_types` (a store may skip parsing the rest). The in-memory
    /// catalog gives the full entity.
    fn get_lean(&self, key: &str, relation_types: &[&str]) -> Option<Arc<CatalogEntity>> {
        let _ = relation_types;
        self.get(key)
    }

    /// Whether `key` is in the catalog (a store may answer without reading
    /// the entity).
    fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Canonical refs of every entity whose name equals `name`
    /// (case-insensitive), for resolving bare names.
    fn refs_named(&self, name: &str) -> Vec<String>;
}

/// The in-memory catalog.
#[derive(Debug, Default)]
pub struct Catalog {
    entities: Vec<Arc<CatalogEntity>>,
    by_ref: HashMap<String, usize>,
    by_name: HashMap<String, Vec<usize>>,
}

impl Catalog {
    /// Index entities; on duplicate refs the first one wins (sources are
    /// given in priority order).
    pub fn new(entities: impl IntoIterator<Item = CatalogEntity>) -> Catalog {
        let mut catalog = Catalog::default();
        for entity in entities {
            let key = entity.entity.ref_key();
            if catalog.by_ref.contains_key(&key) {
                continue;
            }
            let i = catalog.entities.len();
            catalog
                .by_name
                .entry(entity.entity.metadata.name.to_lowercase())
                .or_default()
                .push(i);
            catalog.by_ref.insert(key, i);
            catalog.entities.push(Arc::new(entity));
        }
        catalog
    }

    pub fn len(&self) -> usize {
        self.entities.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
    }

    pub fn entities(&self) -> &[Arc<CatalogEntity>] {
        &self.entities
    }

    pub fn contains(&self, key: &str) -> bool {
        self.by_ref.contains_key(key)
    }
}

impl EntityLookup for Catalog {
    fn get(&self, key: &str) -> Option<Arc<CatalogEntity>> {
        self.by_ref.get(key).map(|&i| self.entities[i].clone())
    }

    fn contains(&self, key: &str) -> bool {
        self.by_ref.contains_key(key)
    }

    fn refs_named(&self, name: &str) -> Vec<String> {
        self.by_name
            .get(&name.to_lowercase())
            .map(|v| {
                v.iter()
                    .map(|&i| self.entities[i].entity.ref_key())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The outcome of resolving what a user typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Found(String),
    NotFound(String),
    /// A bare name that several entities share: their refs, sorted.
    Ambiguous(Vec<String>),
}

/// Resolve user input: a full ref, `kind:name`, `namespace/name` or a bare
/// name. A bare name (or one without a kind) resolves when it is unique.
pub fn resolve(lookup: &dyn EntityLookup, input: &str) -> Resolved {
    let input = input.trim();
    let Ok(parts) = split_ref(input) else {
        return Resolved::NotFound(input.to_string());
    };
    if let Some(kind) = parts.kind {
        let key = EntityRef::new(
            kind,
            parts.namespace.unwrap_or(DEFAULT_NAMESPACE),
            parts.name,
        )
        .canonical();
        return if lookup.get(&key).is_some() {
            Resolved::Found(key)
        } else {
            Resolved::NotFound(key)
        };
    }
    let mut candidates: Vec<String> = lookup
        .refs_named(parts.name)
        .into_iter()
        .filter(|key| match parts.namespace {
            Some(ns) => EntityRef::parse(key).is_ok_and(|r| r.namespace.eq_ignore_ascii_case(ns)),
            None => true,
        })
        .collect();
    candidates.sort();
    candidates.dedup();
    match candidates.len() {
        0 => Resolved::NotFound(input.to_string()),
        1 => Resolved::Found(candidates.remove(0)),
        _ => Resolved::Ambiguous(candidates),
    }
}

/// A related entity as shown to people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelatedRef {
    #[serde(rename = "type")]
    pub relation_type: String,
    pub target_ref: String,
    /// The target's title (or a group's or user's display name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The target is not in the catalog.
    pub dangling: bool,
    /// The target exists but the signed-in user may not read it (set by
    /// [`hide_unreadable`] for a catalog read as a user).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub not_visible: bool,
}

/// For a catalog read as a user: the backend leaves out what the user may
/// not read, and relations of readable entities still point at it, so a
/// missing target is "not visible to you" rather than dangling.
pub fn hide_unreadable(relations: &mut [RelatedRef]) {
    for r in relations {
        if r.dangling {
            r.dangling = false;
            r.not_visible = true;
        }
    }
}

/// Relations of an entity, each with its target's title, marked dangling
/// when the target is missing.
pub fn related(lookup: &dyn EntityLookup, entity: &Entity) -> Vec<RelatedRef> {
    entity
        .relations()
        .iter()
        .map(|r| {
            let target_ref = r.target_ref.to_lowercase();
            let target = lookup.get(&target_ref);
            RelatedRef {
                relation_type: r.relation_type.clone(),
                title: target
                    .as_ref()
                    .and_then(|t| super::org::display_title(&t.entity))
                    .map(str::to_string),
                dangling: target.is_none(),
                not_visible: false,
                target_ref,
            }
        })
        .collect()
}

/// A user as a member of the owning group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub entity_ref: String,
    pub name: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
}

/// Who owns an entity, with what an on-call engineer needs to reach them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnerInfo {
    pub owner_ref: String,
    /// False when the owner ref points at nothing in the catalog.
    pub resolved: bool,
    pub kind: Option<String>,
    pub display_name: Option<String>,
    pub email: Option<String>,
    /// Parent groups from the nearest up, as refs.
    pub parents: Vec<String>,
    pub members: Vec<Person>,
    /// The owner's on-call annotations (PagerDuty, Opsgenie, …).
    pub on_call: Vec<(String, String)>,
}

/// Resolve the owner of an entity (from `spec.owner`, else its `ownedBy`
/// relation): a Group with its parents and members, or a User.
pub fn owner_of(lookup: &dyn EntityLookup, entity: &Entity) -> Option<OwnerInfo> {
    let owner_ref = entity.owner_ref().map(|r| r.canonical()).or_else(|| {
        entity
            .relations()
            .iter()
            .find(|r| r.relation_type == super::relations::OWNED_BY)
            .map(|r| r.target_ref.to_lowercase())
    })?;
    let Some(owner) = lookup.get(&owner_ref) else {
        return Some(OwnerInfo {
            owner_ref,
            resolved: false,
            kind: None,
            display_name: None,
            email: None,
            parents: Vec::new(),
            members: Vec::new(),
            on_call: Vec::new(),
        });
    };
    let owner = &owner.entity;
    let on_call = on_call_annotations(owner);
    let mut info = OwnerInfo {
        owner_ref: owner_ref.clone(),
        resolved: true,
        kind: Some(owner.kind.clone()),
        display_name: owner
            .profile_display_name()
            .or(owner.metadata.title.as_deref())
            .map(str::to_string),
        email: owner.profile_email().map(str::to_string),
        parents: Vec::new(),
        members: Vec::new(),
        on_call,
    };
    if owner.known_kind() == Some(Kind::Group) {
        info.parents = group_parents(lookup, owner);
        info.members = group_members(lookup, owner);
    }
    Some(info)
}

/// An entity's on-call annotations, in file order.
pub fn on_call_annotations(entity: &Entity) -> Vec<(String, String)> {
    entity
        .annotations()
        .into_iter()
        .filter(|(k, _)| is_on_call_annotation(k))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The chain of parent groups, nearest first, stopping at a cycle.
pub fn group_parents(lookup: &dyn EntityLookup, group: &Entity) -> Vec<String> {
    let mut chain = Vec::new();
    let mut seen = HashSet::from([group.ref_key()]);
    let mut current = parent_ref(group);
    while let Some(parent) = current {
        if !seen.insert(parent.clone()) {
            break;
        }
        chain.push(parent.clone());
        current = lookup.get(&parent).and_then(|p| parent_ref(&p.entity));
    }
    chain
}

fn parent_ref(group: &Entity) -> Option<String> {
    group
        .relations()
        .iter()
        .find(|r| r.relation_type == CHILD_OF)
        .map(|r| r.target_ref.to_lowercase())
        .or_else(|| {
            let parent = group.spec_str("parent")?;
            EntityRef::parse_with(
                parent,
                RefContext::new(Some("Group"), Some(group.namespace())),
            )
            .ok()
            .map(|r| r.canonical())
        })
}

/// Members of a group (its `hasMember` relations), sorted by name.
pub fn group_members(lookup: &dyn EntityLookup, group: &Entity) -> Vec<Person> {
    let mut refs: Vec<String> = group
        .relations()
        .iter()
        .filter(|r| r.relation_type == HAS_MEMBER)
        .map(|r| r.target_ref.to_lowercase())
        .collect();
    refs.sort();
    refs.dedup();
    refs.into_iter()
        .map(|key| match lookup.get(&key) {
            Some(user) => Person {
                name: user.entity.metadata.name.clone(),
                display_name: user.entity.profile_display_name().map(str::to_string),
                email: user.entity.profile_email().map(str::to_string),
                entity_ref: key,
            },
            None => Person {
                name: EntityRef::parse(&key)
                    .map(|r| r.name)
                    .unwrap_or_else(|_| key.clone()),
                display_name: None,
                email: None,
                entity_ref: key,
            },
        })
        .collect()
}

/// Which way a dependency walk goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// What the entity needs: `dependsOn`, consumed APIs, an API's provider.
    DependsOn,
    /// What needs the entity (blast radius): the reverse edges.
    DependedOnBy,
}

impl Direction {
    fn edge_types(self) -> &'static [&'static str] {
        match self {
            Direction::DependsOn => &[DEPENDS_ON, CONSUMES_API, API_PROVIDED_BY],
            Direction::DependedOnBy => &[DEPENDENCY_OF, API_CONSUMED_BY, PROVIDES_API],
        }
    }
}

/// One node of a dependency tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DepNode {
    pub entity_ref: String,
    /// The relation that led here from the parent node.
    pub via: String,
    pub depth: usize,
    pub dangling: bool,
    /// Already expanded elsewhere in the tree (or a cycle back to an
    /// ancestor); its children are not repeated.
    pub repeated: bool,
    pub children: Vec<DepNode>,
}

/// The dependency tree of `root` in one direction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DepTree {
    pub root: String,
    pub children: Vec<DepNode>,
    /// Distinct entities reached (excluding the root) within the depth limit.
    pub count: usize,
    /// True when the depth limit cut off further nodes.
    pub truncated: bool,
}

/// Walk dependencies (or dependents) up to `max_depth` (`None` =
/// unlimited), visiting each entity once so cycles terminate. Each entity
/// is expanded where it is first read (depth first, children in order) and
/// marked as a repeat where it comes again, later; with a depth limit, at
/// the first place it is read at its shallowest depth (so the limit cuts
/// as little as possible).
pub fn dependency_tree(
    lookup: &dyn EntityLookup,
    root: &str,
    direction: Direction,
    max_depth: Option<usize>,
) -> DepTree {
    let edges_of = |key: &str| -> Vec<(String, String)> {
        let Some(entity) = lookup.get(key) else {
            return Vec::new();
        };
        let mut edges: Vec<(String, String)> = entity
            .entity
            .relations()
            .iter()
            .filter(|r| direction.edge_types().contains(&r.relation_type.as_str()))
            .map(|r| (r.target_ref.to_lowercase(), r.relation_type.clone()))
            .collect();
        edges.sort();
        edges.dedup();
        edges
    };
    // The shallowest depth of each entity, only needed under a limit.
    let shallowest: HashMap<String, usize> = match max_depth {
        None => HashMap::new(),
        Some(max) => {
            let mut depth_of = HashMap::from([(root.to_string(), 0)]);
            let mut queue = std::collections::VecDeque::from([root.to_string()]);
            while let Some(key) = queue.pop_front() {
                let depth = depth_of[&key];
                if depth >= max {
                    continue;
                }
                for (target, _) in edges_of(&key) {
                    if !depth_of.contains_key(&target) {
                        depth_of.insert(target.clone(), depth + 1);
                        queue.push_back(target);
                    }
                }
            }
            depth_of
        }
    };
    let mut tree = DepTree {
        root: root.to_string(),
        children: Vec::new(),
        count: 0,
        truncated: false,
    };
    // Entities reached (for the count) and expanded (shown with children).
    let mut reached: HashSet<String> = HashSet::from([root.to_string()]);
    let mut expanded: HashSet<String> = HashSet::new();
    struct Visit {
        key: String,
        depth: usize,
        /// Where its node is in the tree (empty: the root).
        path: Vec<usize>,
    }
    let mut stack = vec![Visit {
        key: root.to_string(),
        depth: 0,
        path: Vec::new(),
    }];
    while let Some(Visit { key, depth, path }) = stack.pop() {
        let here = max_depth.is_none() || shallowest.get(&key).is_none_or(|&d| d == depth);
        if expanded.contains(&key) || !here {
            if let Some(node) = node_at(&mut tree.children, &path) {
                node.repeated = true;
            }
            continue;
        }
        expanded.insert(key.clone());
        if lookup.get(&key).is_none() {
            continue; // dangling: nothing below it
        }
        let edges = edges_of(&key);
        if edges.is_empty() {
            continue;
        }
        if max_depth.is_some_and(|m| depth >= m) {
            tree.truncated = true;
            continue;
        }
        let children = children_at(&mut tree.children, &path);
        let base = children.len();
        let mut visits = Vec::new();
        for (offset, (target, via)) in edges.into_iter().enumerate() {
            reached.insert(target.clone());
            let dangling = lookup.get(&target).is_none();
            let mut child_path = path.clone();
            child_path.push(base + offset);
            visits.push(Visit {
                key: target.clone(),
                depth: depth + 1,
                path: child_path,
            });
            children.push(DepNode {
                entity_ref: target,
                via,
                depth: depth + 1,
                dangling,
                repeated: false,
                children: Vec::new(),
            });
        }
        // The first child is read (visited) first.
        stack.extend(visits.into_iter().rev());
    }
    tree.count = reached.len() - 1;
    tree
}

fn node_at<'t>(roots: &'t mut [DepNode], path: &[usize]) -> Option<&'t mut DepNode> {
    let (&first, rest) = path.split_first()?;
    let mut node = roots.get_mut(first)?;
    for &i in rest {
        node = node.children.get_mut(i)?;
    }
    Some(node)
}

fn children_at<'t>(roots: &'t mut Vec<DepNode>, path: &[usize]) -> &'t mut Vec<DepNode> {
    let mut current = roots;
    for &i in path {
        current = &mut current[i].children;
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::relations::{emit_relations, stitch};
    use serde_json::json;

    fn catalog(docs: Vec<serde_json::Value>) -> Catalog {
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

    fn component(name: &str, deps: &[&str]) -> serde_json::Value {
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
               "metadata": {"name": name},
               "spec": {"type": "service", "lifecycle": "production", "owner": "team-a", "dependsOn": deps}})
    }

    fn org() -> Vec<serde_json::Value> {
        vec![
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group", "metadata": {"name": "org"},
                   "spec": {"type": "organization", "children": ["team-a"]}}),
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
                   "metadata": {"name": "team-a", "annotations": {"pagerduty.com/service-id": "P1"}},
                   "spec": {"type": "team", "parent": "org", "children": [], "members": ["ann"],
                            "profile": {"email": "team-a@x.example"}}}),
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "User", "metadata": {"name": "ann"},
                   "spec": {"memberOf": [], "profile": {"email": "ann@x.example"}}}),
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "User", "metadata": {"name": "bo"},
                   "spec": {"memberOf": ["team-a"]}}),
        ]
    }

    #[test]
    fn owner_resolution_reaches_parents_members_emails_and_on_call() {
        let mut docs = org();
        docs.push(component("svc", &[]));
        let cat = catalog(docs);
        let svc = cat.get("component:default/svc").unwrap();
        let owner = owner_of(&cat, &svc.entity).unwrap();
        assert!(owner.resolved);
        assert_eq!(owner.owner_ref, "group:default/team-a");
        assert_eq!(owner.email.as_deref(), Some("team-a@x.example"));
        assert_eq!(owner.parents, vec!["group:default/org"]);
        let emails: Vec<_> = owner
            .members
            .iter()
            .map(|m| (m.name.as_str(), m.email.as_deref()))
            .collect();
        assert_eq!(emails, vec![("ann", Some("ann@x.example")), ("bo", None)]);
        assert_eq!(
            owner.on_call,
            vec![("pagerduty.com/service-id".into(), "P1".into())]
        );
    }

    #[test]
    fn bare_names_resolve_when_unique_and_list_candidates_otherwise() {
        let mut docs = org();
        docs.push(component("team-a", &[]));
        docs.push(component("svc", &[]));
        let cat = catalog(docs);
        assert_eq!(
            resolve(&cat, "svc"),
            Resolved::Found("component:default/svc".into())
        );
        assert_eq!(
            resolve(&cat, "Team-A"),
            Resolved::Ambiguous(vec![
                "component:default/team-a".into(),
                "group:default/team-a".into()
            ])
        );
        assert_eq!(
            resolve(&cat, "group:team-a"),
            Resolved::Found("group:default/team-a".into())
        );
        assert!(matches!(resolve(&cat, "nope"), Resolved::NotFound(_)));
    }

    #[test]
    fn a_repeat_is_marked_where_it_comes_later_in_reading_order() {
        // a depends on b and c; b depends on c; c depends on d. Read top
        // down, c first appears under b: it is expanded there, and the
        // direct child c of a (read later) is the repeat.
        let cat = catalog(vec![
            component("a", &["component:b", "component:c"]),
            component("b", &["component:c"]),
            component("c", &["component:d"]),
            component("d", &[]),
        ]);
        let tree = dependency_tree(&cat, "component:default/a", Direction::DependsOn, None);
        let b = &tree.children[0];
        assert_eq!(b.entity_ref, "component:default/b");
        let c_under_b = &b.children[0];
        assert_eq!(c_under_b.entity_ref, "component:default/c");
        assert!(!c_under_b.repeated, "the first c read is expanded");
        assert_eq!(c_under_b.children[0].entity_ref, "component:default/d");
        let c_direct = &tree.children[1];
        assert_eq!(c_direct.entity_ref, "component:default/c");
        assert!(c_direct.repeated, "the later c is the repeat");
        assert!(c_direct.children.is_empty());
        assert_eq!(tree.count, 3);
    }

    #[test]
    fn dependency_walks_are_cycle_safe_depth_limited_and_count_dependents() {
        let cat = catalog(vec![
            component("a", &["component:b"]),
            component("b", &["component:c", "resource:gone"]),
            component("c", &["component:a"]),
            component("d", &["component:c"]),
        ]);
        let tree = dependency_tree(&cat, "component:default/a", Direction::DependsOn, None);
        assert_eq!(tree.count, 3); // b, c, dangling resource (a is the root)
        assert_eq!(tree.children[0].entity_ref, "component:default/b");
        let b_children = &tree.children[0].children;
        assert!(b_children
            .iter()
            .any(|n| n.dangling && n.entity_ref == "resource:default/gone"));
        let c = b_children
            .iter()
            .find(|n| n.entity_ref == "component:default/c")
            .unwrap();
        assert!(c.children[0].repeated, "cycle back to a is not expanded");

        let blast = dependency_tree(&cat, "component:default/c", Direction::DependedOnBy, None);
        assert_eq!(blast.count, 3); // b, d, a
        let shallow = dependency_tree(
            &cat,
            "component:default/c",
            Direction::DependedOnBy,
            Some(1),
        );
        assert_eq!(shallow.count, 2);
        assert!(shallow.truncated);
    }
}
