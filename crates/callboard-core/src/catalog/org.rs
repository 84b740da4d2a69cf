//! Groups and users as people read them, the way Backstage's group and
//! user pages show them: a profile (display name, email, the parent group
//! and the child groups, the members, the groups a user is in) and what
//! they own, counted by kind and listed. Everything comes from the
//! relations, so a group's members and ownership span every source.

use std::collections::BTreeMap;

use serde::Serialize;

use super::entity::{Entity, Kind};
use super::entity_ref::{ref_kind, ref_name};
use super::index::{group_members, EntityLookup, Person, RelatedRef};
use super::relations::{CHILD_OF, MEMBER_OF, OWNER_OF, PARENT_OF};
use crate::search::kind_rank;

/// An entity named for people: its ref with the name to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Named {
    pub entity_ref: String,
    /// Lower case, from the ref (`component`, `api`, `group`…).
    pub kind: String,
    pub name: String,
    /// `metadata.title`, else a group's or user's `spec.profile.displayName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A group's or user's `spec.profile.email`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Not in the catalog.
    pub dangling: bool,
}

impl Named {
    /// `key` looked up in the catalog.
    pub fn of(lookup: &dyn EntityLookup, key: &str) -> Named {
        let found = lookup.get(key);
        let e = found.as_ref().map(|f| &f.entity);
        Named {
            entity_ref: key.to_string(),
            kind: ref_kind(key).unwrap_or_default().to_string(),
            name: e.map_or_else(|| ref_name(key).to_string(), |e| e.metadata.name.clone()),
            title: e.and_then(display_title).map(str::to_string),
            email: e.and_then(Entity::profile_email).map(str::to_string),
            dangling: e.is_none(),
        }
    }

    /// A relation's target as already looked up by [`super::index::related`].
    fn from_related(r: &RelatedRef) -> Named {
        Named {
            entity_ref: r.target_ref.clone(),
            kind: ref_kind(&r.target_ref).unwrap_or_default().to_string(),
            name: ref_name(&r.target_ref).to_string(),
            title: r.title.clone(),
            email: None,
            dangling: r.dangling,
        }
    }
}

/// The name people know an entity by besides its `metadata.name`: its
/// title, else (groups, users) the profile's display name.
pub fn display_title(e: &Entity) -> Option<&str> {
    e.metadata
        .title
        .as_deref()
        .or_else(|| e.profile_display_name())
        .filter(|s| !s.trim().is_empty())
}

/// A group's or user's profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profile {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub picture: Option<String>,
    /// A group's parent group.
    pub parent: Option<Named>,
    /// A group's child groups.
    pub children: Vec<Named>,
    /// A group's members, sorted by ref.
    pub members: Vec<Person>,
    /// The groups a user is a member of.
    pub member_of: Vec<Named>,
}

/// How many entities of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KindCount {
    pub kind: String,
    pub count: usize,
}

/// What a group or user owns (its `ownerOf` relations).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Ownership {
    pub total: usize,
    /// Components first, then APIs, resources, systems… (the display order).
    pub by_kind: Vec<KindCount>,
    /// In the same order, by name within a kind.
    pub entities: Vec<Named>,
}

impl Ownership {
    /// From an entity's relations as [`super::index::related`] gives them.
    pub fn of(relations: &[RelatedRef]) -> Ownership {
        let mut entities: Vec<Named> = relations
            .iter()
            .filter(|r| r.relation_type == OWNER_OF)
            .map(Named::from_related)
            .collect();
        entities.sort_by(|a, b| {
            (kind_rank(&a.kind), &a.kind, &a.name).cmp(&(kind_rank(&b.kind), &b.kind, &b.name))
        });
        entities.dedup_by(|a, b| a.entity_ref == b.entity_ref);
        let mut counts: BTreeMap<(u8, String), usize> = BTreeMap::new();
        for e in &entities {
            *counts
                .entry((kind_rank(&e.kind), e.kind.clone()))
                .or_default() += 1;
        }
        Ownership {
            total: entities.len(),
            by_kind: counts
                .into_iter()
                .map(|((_, kind), count)| KindCount { kind, count })
                .collect(),
            entities,
        }
    }

    /// `3 entities: 2 components, 1 API`.
    pub fn summary(&self) -> String {
        if self.total == 0 {
            return "nothing".to_string();
        }
        let parts: Vec<String> = self
            .by_kind
            .iter()
            .map(|k| kind_count(&k.kind, k.count))
            .collect();
        format!(
            "{} entit{}: {}",
            self.total,
            if self.total == 1 { "y" } else { "ies" },
            parts.join(", ")
        )
    }
}

/// `1 component`, `2 APIs`, `3 entities` for a kind given in lower case.
pub fn kind_count(kind: &str, n: usize) -> String {
    let word = match Kind::parse(kind) {
        Some(Kind::Api) => "API".to_string(),
        _ => kind.to_string(),
    };
    let plural = if n == 1 {
        word
    } else if word.ends_with('y') && word != "API" {
        format!("{}ies", &word[..word.len() - 1])
    } else {
        format!("{word}s")
    };
    format!("{n} {plural}")
}

/// The profile of a group or user (None for other kinds), from its spec
/// and its relations (`relations` as [`super::index::related`] gives them).
pub fn profile(
    lookup: &dyn EntityLookup,
    entity: &Entity,
    relations: &[RelatedRef],
) -> Option<Profile> {
    let kind = entity.known_kind()?;
    if !matches!(kind, Kind::Group | Kind::User) {
        return None;
    }
    let targets = |relation: &str| -> Vec<Named> {
        let mut refs: Vec<&str> = relations
            .iter()
            .filter(|r| r.relation_type == relation)
            .map(|r| r.target_ref.as_str())
            .collect();
        refs.sort_unstable();
        refs.dedup();
        refs.into_iter().map(|key| Named::of(lookup, key)).collect()
    };
    let picture = entity
        .spec_value("profile")
        .and_then(|p| p.get("picture"))
        .and_then(serde_json::Value::as_str)
        .map(str::to_string);
    let mut p = Profile {
        display_name: entity.profile_display_name().map(str::to_string),
        email: entity.profile_email().map(str::to_string),
        picture,
        parent: None,
        children: Vec::new(),
        members: Vec::new(),
        member_of: Vec::new(),
    };
    if kind == Kind::Group {
        p.parent = targets(CHILD_OF).into_iter().next();
        p.children = targets(PARENT_OF);
        p.members = group_members(lookup, entity);
    } else {
        p.member_of = targets(MEMBER_OF);
    }
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::index::related;
    use crate::catalog::relations::{emit_relations, stitch};
    use crate::catalog::{Catalog, CatalogEntity, Origin};
    use serde_json::json;

    fn catalog() -> Catalog {
        let docs = vec![
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
                   "metadata": {"name": "eng", "title": "Engineering"},
                   "spec": {"type": "department", "children": ["pay"],
                            "profile": {"email": "eng@x.example"}}}),
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
                   "metadata": {"name": "pay"},
                   "spec": {"type": "team", "parent": "eng", "children": [],
                            "members": ["ann"],
                            "profile": {"displayName": "Payments", "email": "pay@x.example",
                                        "picture": "https://x.example/p.png"}}}),
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "User",
                   "metadata": {"name": "ann"},
                   "spec": {"memberOf": ["pay", "ghost"],
                            "profile": {"displayName": "Ann Lee", "email": "ann@x.example"}}}),
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "System",
                   "metadata": {"name": "payments"}, "spec": {"owner": "pay"}}),
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                   "metadata": {"name": "z-svc", "title": "Z service"},
                   "spec": {"owner": "pay", "type": "service", "lifecycle": "production"}}),
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                   "metadata": {"name": "a-svc"},
                   "spec": {"owner": "pay", "type": "service", "lifecycle": "production"}}),
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "API",
                   "metadata": {"name": "pay-api"},
                   "spec": {"owner": "group:pay", "type": "openapi", "lifecycle": "production",
                            "definition": "x"}}),
        ];
        let mut list: Vec<Entity> = docs
            .into_iter()
            .map(|d| Entity::from_value(d).unwrap())
            .collect();
        let emitted: Vec<_> = list
            .iter()
            .flat_map(|e| emit_relations(e).unwrap())
            .collect();
        stitch(&mut list, emitted);
        Catalog::new(list.into_iter().map(|entity| CatalogEntity {
            entity,
            origin: Origin::default(),
        }))
    }

    #[test]
    fn a_group_has_its_profile_members_and_ownership() {
        let c = catalog();
        let pay = c.get("group:default/pay").unwrap();
        let rel = related(&c, &pay.entity);
        let p = profile(&c, &pay.entity, &rel).unwrap();
        assert_eq!(p.display_name.as_deref(), Some("Payments"));
        assert_eq!(p.email.as_deref(), Some("pay@x.example"));
        assert_eq!(p.picture.as_deref(), Some("https://x.example/p.png"));
        let parent = p.parent.unwrap();
        assert_eq!(parent.entity_ref, "group:default/eng");
        assert_eq!(parent.title.as_deref(), Some("Engineering"));
        assert_eq!(parent.email.as_deref(), Some("eng@x.example"));
        assert!(p.children.is_empty());
        assert_eq!(p.members.len(), 1);
        assert_eq!(p.members[0].display_name.as_deref(), Some("Ann Lee"));
        assert_eq!(p.members[0].email.as_deref(), Some("ann@x.example"));

        let owns = Ownership::of(&rel);
        let names: Vec<&str> = owns.entities.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a-svc", "z-svc", "pay-api", "payments"]);
        assert_eq!(owns.entities[1].title.as_deref(), Some("Z service"));
        assert_eq!(owns.summary(), "4 entities: 2 components, 1 API, 1 system");
        let eng = c.get("group:default/eng").unwrap();
        let rel = related(&c, &eng.entity);
        let p = profile(&c, &eng.entity, &rel).unwrap();
        assert_eq!(p.children.len(), 1);
        assert_eq!(p.children[0].title.as_deref(), Some("Payments"));
        assert_eq!(Ownership::of(&rel).summary(), "nothing");
    }

    #[test]
    fn a_user_has_display_name_email_and_groups() {
        let c = catalog();
        let ann = c.get("user:default/ann").unwrap();
        let rel = related(&c, &ann.entity);
        let p = profile(&c, &ann.entity, &rel).unwrap();
        assert_eq!(p.display_name.as_deref(), Some("Ann Lee"));
        assert_eq!(p.email.as_deref(), Some("ann@x.example"));
        let groups: Vec<(&str, bool)> = p
            .member_of
            .iter()
            .map(|g| (g.entity_ref.as_str(), g.dangling))
            .collect();
        assert_eq!(
            groups,
            [("group:default/ghost", true), ("group:default/pay", false)]
        );
        assert_eq!(p.member_of[1].email.as_deref(), Some("pay@x.example"));
        // Other kinds have no profile.
        let svc = c.get("component:default/a-svc").unwrap();
        assert!(profile(&c, &svc.entity, &related(&c, &svc.entity)).is_none());
    }

    #[test]
    fn kinds_are_counted_in_words() {
        assert_eq!(kind_count("component", 1), "1 component");
        assert_eq!(kind_count("api", 2), "2 APIs");
        assert_eq!(kind_count("api", 1), "1 API");
        assert_eq!(kind_count("entity", 3), "3 entities");
        assert_eq!(kind_count("system", 2), "2 systems");
    }
}
