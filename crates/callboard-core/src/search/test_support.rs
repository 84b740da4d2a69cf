//! Records shared by the search tests.

use super::corpus::derived_ref;
use super::{parse_query, search, Corpus, SearchRecord, SearchResults};

pub fn rec(kind: &str, name: &str, owner: &str) -> SearchRecord {
    SearchRecord {
        entity_ref: derived_ref(kind, "default", name),
        kind: kind.to_string(),
        namespace: "default".to_string(),
        name: name.to_string(),
        owner: owner.to_string(),
        ..SearchRecord::default()
    }
}

pub fn with(mut r: SearchRecord, f: impl FnOnce(&mut SearchRecord)) -> SearchRecord {
    f(&mut r);
    r
}

pub fn names(records: &[SearchRecord], results: &SearchResults) -> Vec<String> {
    results
        .hits
        .iter()
        .map(|h| records[h.index].name.clone())
        .collect()
}

pub fn find(records: &[SearchRecord], q: &str) -> Vec<String> {
    names(records, &search_records(records, q, usize::MAX))
}

/// `search` over plain records (a corpus is built for the call).
pub fn search_records(records: &[SearchRecord], q: &str, limit: usize) -> SearchResults {
    search(&Corpus::new(records), &parse_query(q), limit)
}

pub fn sample() -> Vec<SearchRecord> {
    vec![
        with(
            rec("Component", "payments-api", "group:default/team-a"),
            |r| {
                r.title = "Payments API".into();
                r.spec_type = "service".into();
                r.lifecycle = "production".into();
                r.system = "system:default/checkout".into();
                r.tags = vec!["java".into(), "pci".into()];
                r.description = "Takes card payments.".into();
            },
        ),
        with(rec("API", "payments", "group:default/team-a"), |r| {
            r.spec_type = "openapi".into();
            r.lifecycle = "production".into();
            r.system = "system:default/checkout".into();
        }),
        with(rec("Component", "ledger", "group:default/team-b"), |r| {
            r.spec_type = "service".into();
            r.lifecycle = "experimental".into();
            r.tags = vec!["go".into()];
            r.description = "Double-entry book keeping for payments and refunds.".into();
        }),
        with(rec("API", "ledger-events", "user:default/jdoe"), |r| {
            r.spec_type = "asyncapi".into();
            r.lifecycle = "deprecated".into();
            r.tags = vec!["kafka".into(), "java".into()];
        }),
        with(rec("Group", "team-a", ""), |r| {
            r.title = "Team A".into();
            r.description = "The payments team.".into();
        }),
    ]
}

pub fn odd_records() -> Vec<SearchRecord> {
    let mut records = sample();
    records.push(SearchRecord::default());
    records.push(with(
        rec("Component", "Überweisung", "group:default/team-ß"),
        |r| {
            r.entity_ref = "component:default/something-else".into();
            r.tags = vec!["a b".into(), "".into(), "日本".into()];
            r.description = "emoji 🎉 and\nnewline\u{1b}[31m".into();
        },
    ));
    records.push(with(rec("API", "no-ref", ""), |r| r.entity_ref.clear()));
    records
}
