//! Scoring one entity (the level it reaches, what is missing for the next)
//! and summarizing many (per level, per owner).

use serde::Serialize;

use super::checks::Subject;
use super::levels::Scorecard;
use crate::catalog::EntityLookup;
use crate::report::{ShowReport, ShownLink};

/// One check's result for one entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    pub check: String,
    pub title: String,
    pub level: String,
    pub passed: bool,
    pub message: String,
    /// How to make it pass (failed checks only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// One entity's scorecard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntityScore {
    pub entity_ref: String,
    pub kind: String,
    pub owner: Option<String>,
    pub lifecycle: Option<String>,
    /// The highest level reached; None: below the first.
    pub level: Option<String>,
    /// How many levels are reached (0: none), to compare with `--min`.
    pub rank: usize,
    /// The level above the one reached (None: the top is reached).
    pub next_level: Option<String>,
    /// What is missing for the next level: every failing check of it and
    /// the levels below, each with its fix.
    pub next_steps: Vec<CheckResult>,
    pub checks: Vec<CheckResult>,
}

/// The owner's own links, for a runbook `r` would find there.
pub fn owner_links(lookup: &dyn EntityLookup, report: &ShowReport) -> Vec<ShownLink> {
    report
        .owner
        .as_ref()
        .filter(|o| o.resolved)
        .and_then(|o| lookup.get(&o.owner_ref))
        .map(|o| o.entity.links().into_iter().map(ShownLink::from).collect())
        .unwrap_or_default()
}

/// Score one entity; None when no rule applies to its kind.
pub fn score(subject: Subject<'_>, card: &Scorecard) -> Option<EntityScore> {
    let r = subject.report;
    let rules: Vec<_> = card
        .rules_for(&r.kind)
        .into_iter()
        .filter(|rule| rule.check.applies_to(r))
        .collect();
    if rules.is_empty() {
        return None;
    }
    let checks: Vec<(usize, CheckResult)> = rules
        .iter()
        .map(|rule| {
            let outcome = rule.check.run(subject);
            (
                rule.level,
                CheckResult {
                    check: rule.check.name().to_string(),
                    title: rule.check.title().to_string(),
                    level: card.levels[rule.level].clone(),
                    passed: outcome.passed,
                    fix: (!outcome.passed).then(|| rule.check.fix().to_string()),
                    message: outcome.message,
                },
            )
        })
        .collect();
    // A level is reached when every check of it and below passes.
    let rank = (0..card.levels.len())
        .take_while(|&level| checks.iter().all(|(l, c)| *l > level || c.passed))
        .count();
    let next_steps = if rank < card.levels.len() {
        checks
            .iter()
            .filter(|(l, c)| *l <= rank && !c.passed)
            .map(|(_, c)| c.clone())
            .collect()
    } else {
        Vec::new()
    };
    Some(EntityScore {
        entity_ref: r.entity_ref.clone(),
        kind: r.kind.clone(),
        owner: r.owner.as_ref().map(|o| o.owner_ref.clone()),
        lifecycle: r.lifecycle.clone(),
        level: rank.checked_sub(1).map(|i| card.levels[i].clone()),
        rank,
        next_level: card.levels.get(rank).cloned(),
        next_steps,
        checks: checks.into_iter().map(|(_, c)| c).collect(),
    })
}

/// How many entities reached each level, overall and per owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScoreSummary {
    pub total: usize,
    /// `none` first (below the first level), then each level: the count
    /// whose highest level it is.
    pub levels: Vec<LevelCount>,
    /// Owners by name, each with its counts in the order of `levels`.
    pub owners: Vec<OwnerCounts>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LevelCount {
    pub level: String,
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnerCounts {
    /// The owner's ref, or `(no owner)`.
    pub owner: String,
    pub total: usize,
    pub counts: Vec<usize>,
}

/// The name summaries give entities below the first level.
pub const NO_LEVEL: &str = "none";

pub fn summarize(scores: &[EntityScore], card: &Scorecard) -> ScoreSummary {
    let names: Vec<String> = std::iter::once(NO_LEVEL.to_string())
        .chain(card.levels.iter().cloned())
        .collect();
    let mut counts = vec![0; names.len()];
    let mut owners: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for s in scores {
        counts[s.rank] += 1;
        let owner = s.owner.clone().unwrap_or_else(|| "(no owner)".to_string());
        owners.entry(owner).or_insert_with(|| vec![0; names.len()])[s.rank] += 1;
    }
    ScoreSummary {
        total: scores.len(),
        levels: names
            .into_iter()
            .zip(counts)
            .map(|(level, count)| LevelCount { level, count })
            .collect(),
        owners: owners
            .into_iter()
            .map(|(owner, counts)| OwnerCounts {
                owner,
                total: counts.iter().sum(),
                counts,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::checks::tests::{catalog, org};
    use crate::health::levels::{RuleSpec, Scorecard};
    use serde_json::json;

    fn score_of(card: &Scorecard, doc: serde_json::Value) -> Option<EntityScore> {
        let key = crate::catalog::Entity::from_value(doc.clone())
            .unwrap()
            .ref_key();
        let mut docs = org();
        docs.push(doc);
        let cat = catalog(docs);
        let found = cat.get(&key).unwrap();
        let report = ShowReport::build(&cat, &found, &[], None);
        let links = owner_links(&cat, &report);
        score(
            Subject {
                report: &report,
                owner_links: &links,
            },
            card,
        )
    }

    #[test]
    fn levels_build_on_each_other_and_next_steps_say_what_is_missing() {
        let card = Scorecard::default();
        let bare = json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": {"name": "bare"}, "spec": {"type": "service", "owner": "user:ann"}});
        let s = score_of(&card, bare).unwrap();
        assert_eq!((s.level.as_deref(), s.rank), (None, 0));
        assert_eq!(s.next_level.as_deref(), Some("Bronze"));
        let steps: Vec<_> = s.next_steps.iter().map(|c| c.check.as_str()).collect();
        assert_eq!(steps, ["owner-is-group", "description", "lifecycle"]);
        assert!(s.next_steps.iter().all(|c| c.fix.is_some()));

        // Silver's checks pass but one of Bronze's fails: still no level.
        let silver_only = json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": {"name": "s", "title": "S", "annotations": {
                "github.com/project-slug": "a/b", "backstage.io/techdocs-ref": "dir:."}},
            "spec": {"type": "library", "owner": "team-a", "system": "x", "lifecycle": "production"}});
        let s = score_of(&card, silver_only).unwrap();
        assert_eq!(s.rank, 0, "{s:?}");

        let gold = json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": {"name": "g", "title": "G", "description": "d", "annotations": {
                "github.com/project-slug": "a/b", "backstage.io/techdocs-ref": "dir:."}},
            "spec": {"type": "library", "owner": "team-a", "lifecycle": "production"}});
        let s = score_of(&card, gold.clone()).unwrap();
        // No system (dangling-free otherwise): Bronze, and Silver's step.
        assert_eq!(s.level.as_deref(), Some("Bronze"));
        let steps: Vec<_> = s.next_steps.iter().map(|c| c.check.as_str()).collect();
        assert_eq!(steps, ["system"]);
        let mut gold = gold;
        gold["spec"]["system"] = json!("payments");
        let mut cat_docs = vec![
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "System",
            "metadata": {"name": "payments"}, "spec": {"owner": "team-a"}}),
        ];
        cat_docs.push(gold);
        // The system must exist, or no-dangling fails.
        let key = "component:default/g";
        let mut docs = org();
        docs.extend(cat_docs);
        let cat = catalog(docs);
        let report = ShowReport::build(&cat, &cat.get(key).unwrap(), &[], None);
        let links = owner_links(&cat, &report);
        let s = score(
            Subject {
                report: &report,
                owner_links: &links,
            },
            &card,
        )
        .unwrap();
        // A library: provides-api does not apply; team-a's runbook and
        // pager count.
        assert_eq!(s.level.as_deref(), Some("Gold"), "{:?}", s.next_steps);
        assert_eq!((s.rank, s.next_level.as_ref()), (3, None));
        assert!(s.next_steps.is_empty());
        assert!(!s.checks.iter().any(|c| c.check == "provides-api"));
    }

    #[test]
    fn kinds_without_rules_are_not_scored_and_summaries_count() {
        let card = Scorecard::default();
        let group = json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
            "metadata": {"name": "g2"}, "spec": {"type": "team", "children": []}});
        assert!(score_of(&card, group).is_none());
        let custom = Scorecard::from_config(
            None,
            Some(vec![RuleSpec {
                check: "description".into(),
                level: "Bronze".into(),
                kinds: Some(vec!["group".into()]),
            }]),
        )
        .unwrap();
        let group = json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
            "metadata": {"name": "g2", "description": "d"}, "spec": {"type": "team", "children": []}});
        let s = score_of(&custom, group).unwrap();
        // Only Bronze has rules: passing it passes the (empty) levels above.
        assert_eq!(s.level.as_deref(), Some("Gold"));

        let a = json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": {"name": "a"}, "spec": {"owner": "team-a"}});
        let b = json!({"apiVersion": "backstage.io/v1alpha1", "kind": "API",
            "metadata": {"name": "b", "description": "d"}, "spec": {"owner": "team-a", "lifecycle": "x", "type": "grpc"}});
        let scores = vec![score_of(&card, a).unwrap(), score_of(&card, b).unwrap()];
        let sum = summarize(&scores, &card);
        let counts: Vec<_> = sum
            .levels
            .iter()
            .map(|l| (l.level.as_str(), l.count))
            .collect();
        assert_eq!(
            counts,
            [("none", 1), ("Bronze", 1), ("Silver", 0), ("Gold", 0)]
        );
        assert_eq!(sum.owners.len(), 1);
        assert_eq!(sum.owners[0].counts, [1, 1, 0, 0]);
    }
}
