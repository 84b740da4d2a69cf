//! The query language: structured filters (`kind:api owner:team-a`) and
//! the free text matched fuzzily (fzf syntax), parsed by [`parse_query`].

use std::cmp::Ordering;

use super::SearchRecord;
use crate::catalog::entity_ref::split_ref;

/// The structured filter keys, as Backstage's catalog filters name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FilterKey {
    Kind,
    Type,
    Owner,
    Lifecycle,
    Tag,
    System,
    Namespace,
}

impl FilterKey {
    pub const ALL: [FilterKey; 7] = [
        FilterKey::Kind,
        FilterKey::Type,
        FilterKey::Owner,
        FilterKey::Lifecycle,
        FilterKey::Tag,
        FilterKey::System,
        FilterKey::Namespace,
    ];

    /// Case-insensitive: `Kind`, `KIND` and `kind` are the same key.
    pub fn parse(key: &str) -> Option<FilterKey> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(key))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FilterKey::Kind => "kind",
            FilterKey::Type => "type",
            FilterKey::Owner => "owner",
            FilterKey::Lifecycle => "lifecycle",
            FilterKey::Tag => "tag",
            FilterKey::System => "system",
            FilterKey::Namespace => "namespace",
        }
    }
}

/// One structured filter: the record passes when its field matches any of
/// `values` (compared ignoring case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub key: FilterKey,
    pub values: Vec<String>,
}

impl Filter {
    /// Whether `value` (a record's field) satisfies this filter. For `owner`
    /// and `system`, `value` is a canonical ref; for `tag`, one tag.
    pub fn matches_value(&self, value: &str) -> bool {
        self.values
            .iter()
            .any(|v| value_matches(self.key, value, v))
    }

    pub fn matches(&self, record: &SearchRecord) -> bool {
        match self.key {
            FilterKey::Kind => self.matches_value(&record.kind),
            FilterKey::Type => self.matches_value(&record.spec_type),
            FilterKey::Owner => self.matches_value(&record.owner),
            FilterKey::Lifecycle => self.matches_value(&record.lifecycle),
            FilterKey::Tag => record.tags.iter().any(|t| self.matches_value(t)),
            FilterKey::System => self.matches_value(&record.system),
            FilterKey::Namespace => self.matches_value(&record.namespace),
        }
    }

    /// The chip text, e.g. `kind:api,component`.
    pub fn describe(&self) -> String {
        format!("{}:{}", self.key.as_str(), self.values.join(","))
    }
}

/// Does a record's `field` satisfy the filter value `wanted`?
fn value_matches(key: FilterKey, field: &str, wanted: &str) -> bool {
    match key {
        FilterKey::Owner | FilterKey::System => ref_matches(field, wanted),
        _ => eq_ci(field, wanted),
    }
}

/// `wanted` may be a full ref, `kind:name`, `namespace/name` or a bare name;
/// the parts it gives must equal the ref's, ignoring case.
fn ref_matches(field: &str, wanted: &str) -> bool {
    if field.is_empty() {
        return false;
    }
    if eq_ci(field, wanted) {
        return true;
    }
    let (Ok(have), Ok(want)) = (split_ref(field), split_ref(wanted)) else {
        return false;
    };
    eq_ci(have.name, want.name)
        && want
            .kind
            .is_none_or(|k| have.kind.is_some_and(|h| eq_ci(h, k)))
        && want
            .namespace
            .is_none_or(|n| have.namespace.is_some_and(|h| eq_ci(h, n)))
}

fn eq_ci(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.chars()
            .flat_map(char::to_lowercase)
            .eq(b.chars().flat_map(char::to_lowercase))
    }
}

/// Case-insensitive ordering without allocating (ASCII fast path).
pub fn cmp_ci(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        a.bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
    } else {
        a.chars()
            .flat_map(char::to_lowercase)
            .cmp(b.chars().flat_map(char::to_lowercase))
    }
}

/// A parsed query: structured filters (all must hold) and the free text that
/// is fuzzy-matched (fzf syntax: `'exact`, `^prefix`, `suffix$`, `!not`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub filters: Vec<Filter>,
    pub text: String,
}

impl Query {
    /// One chip per filter, in the order first typed: `["kind:api", "owner:team-a"]`.
    pub fn describe(&self) -> Vec<String> {
        self.filters.iter().map(Filter::describe).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.filters.is_empty() && self.text.trim().is_empty()
    }

    /// Whether a record passes every filter (the free text is not consulted).
    pub fn matches_filters(&self, record: &SearchRecord) -> bool {
        self.filters.iter().all(|f| f.matches(record))
    }
}

/// Parse `kind:api,component owner:team-a pay`.
///
/// Keys (`kind type owner lifecycle tag system namespace`) are
/// case-insensitive; `key:a,b` and a repeated key both mean "any of". A value
/// may be quoted (`owner:"team a"`). A key with no value yet (`kind:` while
/// typing) is ignored. Any other token, `foo:bar` included, is free text.
pub fn parse_query(q: &str) -> Query {
    let mut query = Query::default();
    let mut text: Vec<&str> = Vec::new();
    let mut rest = q;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        // A filter: a known key, ':', then a bare or quoted value.
        if let Some((key, after)) = rest.split_once(':') {
            if let Some(key) = (!key.contains(char::is_whitespace))
                .then(|| FilterKey::parse(key))
                .flatten()
            {
                let (value, remainder) = if let Some(quoted) = after.strip_prefix('"') {
                    match quoted.find('"') {
                        Some(end) => (&quoted[..end], &quoted[end + 1..]),
                        None => (quoted, ""),
                    }
                } else {
                    let end = after.find(char::is_whitespace).unwrap_or(after.len());
                    (&after[..end], &after[end..])
                };
                add_filter(&mut query.filters, key, value);
                rest = remainder;
                continue;
            }
        }
        // Free text: one token, honouring nucleo's `\ ` escape.
        let end = token_end(rest);
        text.push(&rest[..end]);
        rest = &rest[end..];
    }
    query.text = text.join(" ");
    query
}

/// The end of a whitespace-delimited token; a backslash escapes a space.
fn token_end(s: &str) -> usize {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() && !escaped {
            return i;
        }
        escaped = c == '\\' && !escaped;
    }
    s.len()
}

fn add_filter(filters: &mut Vec<Filter>, key: FilterKey, raw: &str) {
    let values = raw
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    let index = match filters.iter().position(|f| f.key == key) {
        Some(i) => i,
        None => {
            filters.push(Filter {
                key,
                values: Vec::new(),
            });
            filters.len() - 1
        }
    };
    let filter = &mut filters[index];
    for v in values {
        if !filter.values.iter().any(|have| eq_ci(have, &v)) {
            filter.values.push(v);
        }
    }
    if filter.values.is_empty() {
        filters.remove(index);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::test_support::rec;

    #[test]
    fn parses_filters_and_text() {
        let q = parse_query("kind:api owner:team-a pay");
        assert_eq!(q.text, "pay");
        assert_eq!(
            q.filters,
            vec![
                Filter {
                    key: FilterKey::Kind,
                    values: vec!["api".into()]
                },
                Filter {
                    key: FilterKey::Owner,
                    values: vec!["team-a".into()]
                },
            ]
        );
        assert_eq!(q.describe(), vec!["kind:api", "owner:team-a"]);
    }

    #[test]
    fn multiple_values_and_repeated_keys_are_any_of() {
        let q = parse_query("kind:api,component tag:java KIND:Resource tag:JAVA");
        assert_eq!(q.filters.len(), 2);
        assert_eq!(q.filters[0].key, FilterKey::Kind);
        assert_eq!(q.filters[0].values, vec!["api", "component", "Resource"]);
        // Duplicate values are dropped ignoring case.
        assert_eq!(q.filters[1].values, vec!["java"]);
        assert_eq!(
            q.describe(),
            vec!["kind:api,component,Resource", "tag:java"]
        );
        assert!(q.text.is_empty());
    }

    #[test]
    fn unknown_keys_and_odd_tokens_stay_in_the_text() {
        let q = parse_query("foo:bar  'exact   Lifecycle:Production ^pre !not suf$");
        assert_eq!(q.text, "foo:bar 'exact ^pre !not suf$");
        assert_eq!(q.describe(), vec!["lifecycle:Production"]);
        // A key without a value (still being typed) is ignored.
        let q = parse_query("kind: pay type:,");
        assert!(q.filters.is_empty());
        assert_eq!(q.text, "pay");
        // A key written with a space before the colon is not a key.
        assert_eq!(parse_query("kind :api").text, "kind :api");
    }

    #[test]
    fn quoted_values_and_escaped_spaces() {
        let q = parse_query(r#"owner:"Team Alpha" pay\ ments tag:"a,b"x"#);
        assert_eq!(q.filters[0].values, vec!["Team Alpha"]);
        assert_eq!(q.filters[1].values, vec!["a", "b"]);
        assert_eq!(q.text, r"pay\ ments x");
        // An unterminated quote takes the rest of the line.
        let q = parse_query(r#"system:"pay ments"#);
        assert_eq!(q.filters[0].values, vec!["pay ments"]);
        assert!(q.text.is_empty());
    }

    #[test]
    fn empty_query() {
        let q = parse_query("   ");
        assert!(q.is_empty());
        assert_eq!(q, Query::default());
    }

    // -- filter semantics ---------------------------------------------------

    #[test]
    fn owner_matches_name_kind_name_or_full_ref() {
        let r = rec("Component", "x", "group:default/team-a");
        for v in [
            "team-a",
            "Team-A",
            "group:team-a",
            "default/team-a",
            "group:default/team-a",
            "GROUP:DEFAULT/TEAM-A",
        ] {
            assert!(
                parse_query(&format!("owner:{v}")).matches_filters(&r),
                "{v}"
            );
        }
        for v in [
            "team",
            "user:team-a",
            "other/team-a",
            "group:other/team-a",
            "team-b",
        ] {
            assert!(
                !parse_query(&format!("owner:{v}")).matches_filters(&r),
                "{v}"
            );
        }
        assert!(!parse_query("owner:team-a").matches_filters(&rec("Component", "x", "")));
    }
}
