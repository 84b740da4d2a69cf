//! "Did you mean …?": the closest of a set of known words to what was
//! typed, by edit distance (an adjacent swap counts as one edit), compared
//! case-insensitively.

/// Edits (insert, delete, replace, swap two neighbours) from `a` to `b`,
/// case-insensitive; the optimal string alignment distance.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    // Three rows: the one two back is needed for swaps.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `typed`, if one is close enough to be a typo
/// of it: at most a third of the typed characters wrong (at least one).
/// An exact (case-insensitive) match is not a suggestion. Ties go to the
/// first candidate given.
pub fn closest<'a, I>(typed: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let typed_len = typed.chars().count();
    if typed_len == 0 {
        return None;
    }
    let limit = (typed_len / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        // A length gap larger than the limit cannot be within it.
        if candidate.chars().count().abs_diff(typed_len) > limit {
            continue;
        }
        let d = edit_distance(typed, candidate);
        if d == 0 || d > limit {
            continue;
        }
        if best.is_none_or(|(b, _)| d < b) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits_and_swaps() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("Componnet", "component"), 1);
        assert_eq!(edit_distance("paymnts-service", "payments-service"), 1);
        assert_eq!(edit_distance("abc", "ABC"), 0);
    }

    #[test]
    fn closest_suggests_typos_only() {
        let kinds = ["Component", "API", "Resource", "System", "Group", "User"];
        assert_eq!(closest("Componnet", kinds), Some("Component"));
        assert_eq!(closest("usr", kinds), Some("User"));
        assert_eq!(closest("widget", kinds), None);
        assert_eq!(closest("component", kinds), None, "exact is no typo");
        assert_eq!(closest("", kinds), None);
        let names = ["payments-api", "payments-service", "booking-api"];
        assert_eq!(closest("paymnts-service", names), Some("payments-service"));
        assert_eq!(closest("zzzzzzzz", names), None);
    }
}
