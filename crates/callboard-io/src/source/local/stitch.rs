//! Stitching relations once every file is read: each kept entity's own
//! relations plus the reverse edges others emitted towards it, in
//! parallel for large catalogs.

use std::collections::HashMap;

use callboard_core::catalog::relations::EmittedRelation;
use callboard_core::catalog::{CatalogEntity, Entity, Relation};

/// Finish stitching (see [`stitch`](callboard_core::catalog::relations::stitch)):
/// every entity already holds the relations it emitted from itself
/// ([`own_relations`]); each of the `reverse` relations goes to the kept
/// entity it starts from (looked up in `by_ref`), or is dropped when there
/// is none. Relations stay sorted by type then target, without repeats.
/// Work is split over `threads`: first by relation, then by entity (entity
/// `i` to thread `i % threads`, which spreads the entities that receive many
/// relations, such as large groups).
pub(super) fn stitch_kept(
    entities: &mut [CatalogEntity],
    reverse: Vec<EmittedRelation>,
    by_ref: &HashMap<String, usize>,
    threads: usize,
) {
    let threads = threads.max(1);
    let resolve = |relations: Vec<EmittedRelation>| {
        let mut buckets: Vec<Vec<(usize, Relation)>> = vec![Vec::new(); threads];
        for relation in relations {
            if let Some(&from) = by_ref.get(&relation.source) {
                buckets[from % threads].push((
                    from / threads,
                    Relation {
                        relation_type: relation.relation_type.to_string(),
                        target_ref: relation.target,
                        target: None,
                    },
                ));
            }
        }
        buckets
    };
    if threads == 1 {
        attach_relations(entities.iter_mut().collect(), resolve(reverse));
        return;
    }
    let mut parts = Vec::with_capacity(threads);
    let mut rest = reverse;
    for t in (1..threads).rev() {
        parts.push(rest.split_off(rest.len() * t / threads));
    }
    parts.push(rest);
    let resolved: Vec<Vec<Vec<(usize, Relation)>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| scope.spawn(move || resolve(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut incoming: Vec<Vec<Vec<(usize, Relation)>>> = vec![Vec::new(); threads];
    for buckets in resolved {
        for (t, bucket) in buckets.into_iter().enumerate() {
            incoming[t].push(bucket);
        }
    }
    let mut shares: Vec<Vec<&mut CatalogEntity>> = (0..threads)
        .map(|_| Vec::with_capacity(entities.len() / threads + 1))
        .collect();
    for (i, entity) in entities.iter_mut().enumerate() {
        shares[i % threads].push(entity);
    }
    std::thread::scope(|scope| {
        for (share, incoming) in shares.into_iter().zip(incoming) {
            scope.spawn(move || attach_relations(share, incoming));
        }
    });
}

/// Add each (index in `entities`, relation) to its entity and sort the
/// relations of every entity that got some.
pub(super) fn attach_relations(
    mut entities: Vec<&mut CatalogEntity>,
    incoming: Vec<Vec<(usize, Relation)>>,
) {
    // Grow each entity's list once.
    let mut added = vec![0usize; entities.len()];
    for &(index, _) in incoming.iter().flatten() {
        added[index] += 1;
    }
    for (entity, &n) in entities.iter_mut().zip(&added) {
        if n > 0 {
            entity
                .entity
                .relations
                .get_or_insert_with(Vec::new)
                .reserve_exact(n);
        }
    }
    for (index, relation) in incoming.into_iter().flatten() {
        if let Some(relations) = entities[index].entity.relations.as_mut() {
            relations.push(relation);
        }
    }
    for (entity, n) in entities.into_iter().zip(added) {
        if let (true, Some(relations)) = (n > 0, entity.entity.relations.as_mut()) {
            sort_relations(relations);
        }
    }
}

/// Set `entity`'s relations to those it emitted from itself (`key`), as
/// stitching would; return the others.
pub(super) fn own_relations(
    entity: &mut Entity,
    key: &str,
    emitted: Vec<EmittedRelation>,
) -> Vec<EmittedRelation> {
    let (own, others): (Vec<_>, Vec<_>) = emitted.into_iter().partition(|r| r.source == key);
    let mut own: Vec<Relation> = own
        .into_iter()
        .map(|r| Relation {
            relation_type: r.relation_type.to_string(),
            target_ref: r.target,
            target: None,
        })
        .collect();
    sort_relations(&mut own);
    entity.relations = Some(own);
    others
}

pub(super) use callboard_core::catalog::relations::sort_relations;

#[cfg(test)]
mod tests {
    use super::*;
    use callboard_core::catalog::relations::{emit_relations, EmittedRelation};
    use callboard_core::catalog::{CatalogEntity, Entity, Origin};
    use std::collections::HashMap;

    #[test]
    fn stitching_with_known_refs_matches_stitch() {
        use callboard_core::catalog::relations::stitch;
        let values = [
            serde_json::json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                "metadata": {"name": "web", "namespace": "prod"},
                "spec": {"owner": "team-a", "dependsOn": ["resource:db", "component:prod/api", "resource:db"],
                         "providesApis": ["x"], "system": "shop"}}),
            serde_json::json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                "metadata": {"name": "api", "namespace": "prod"},
                "spec": {"owner": "group:prod/team-a", "dependencyOf": ["component:prod/web"]}}),
            serde_json::json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
                "metadata": {"name": "Team-A", "namespace": "prod"},
                "spec": {"type": "team", "children": [], "members": ["u"]}}),
            serde_json::json!({"apiVersion": "backstage.io/v1alpha1", "kind": "User",
                "metadata": {"name": "u", "namespace": "prod"}, "spec": {"memberOf": ["team-a", "Team-A"]}}),
        ];
        let entities: Vec<Entity> = values
            .into_iter()
            .map(|v| Entity::from_value(v).unwrap())
            .collect();
        let emitted: Vec<Vec<EmittedRelation>> = entities
            .iter()
            .map(|e| emit_relations(e).unwrap())
            .collect();
        let mut expected = entities.clone();
        stitch(&mut expected, emitted.iter().flatten().cloned());
        // Whatever the order entities are kept in and however many threads
        // stitch, every relation lands where `stitch` puts it.
        for order in [[0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]] {
            for threads in 1..=5 {
                let mut by_ref = HashMap::new();
                let mut reverse = Vec::new();
                let mut kept = Vec::new();
                for &i in &order {
                    let mut entity = entities[i].clone();
                    let key = entity.ref_key();
                    reverse.extend(own_relations(&mut entity, &key, emitted[i].clone()));
                    by_ref.insert(key, kept.len());
                    kept.push(CatalogEntity {
                        entity,
                        origin: Origin::default(),
                    });
                }
                stitch_kept(&mut kept, reverse, &by_ref, threads);
                for (kept, &i) in kept.iter().zip(&order) {
                    assert_eq!(
                        kept.entity, expected[i],
                        "order {order:?}, {threads} threads"
                    );
                }
            }
        }
        let actual = expected;
        assert!(actual.iter().all(|e| !e.relations().is_empty()));
    }
}
