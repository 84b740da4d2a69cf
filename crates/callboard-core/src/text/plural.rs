//! Counts with their noun, singular or plural as the count needs:
//! "1 template", "2 templates", "1 entity", "0 entities".

/// `count` and `noun` (given in the singular), pluralised by the regular
/// English rules: `-y` after a consonant becomes `-ies`; `-s`, `-x`,
/// `-z`, `-ch`, `-sh` take `-es`; anything else takes `-s`. A noun
/// phrase pluralises its first word: `dependent (blast radius)`.
pub fn counted(count: usize, noun: &str) -> String {
    if count == 1 {
        return format!("{count} {noun}");
    }
    let (word, rest) = match noun.find(' ') {
        Some(i) => noun.split_at(i),
        None => (noun, ""),
    };
    format!("{count} {}{rest}", plural(word))
}

/// The regular English plural of one word.
pub fn plural(word: &str) -> String {
    let lower = word.to_ascii_lowercase();
    let before_last = lower.chars().rev().nth(1);
    if lower.ends_with('y') && before_last.is_some_and(|c| !"aeiou".contains(c)) {
        format!("{}ies", &word[..word.len() - 1])
    } else if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        format!("{word}es")
    } else {
        format!("{word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_everything_else_plural() {
        assert_eq!(counted(1, "template"), "1 template");
        assert_eq!(counted(0, "template"), "0 templates");
        assert_eq!(counted(2, "file"), "2 files");
        assert_eq!(counted(1, "entity"), "1 entity");
        assert_eq!(counted(3, "entity"), "3 entities");
        assert_eq!(counted(2, "dependency"), "2 dependencies");
        assert_eq!(counted(2, "key"), "2 keys");
        assert_eq!(counted(2, "match"), "2 matches");
        assert_eq!(
            counted(2, "dependent (blast radius)"),
            "2 dependents (blast radius)"
        );
        assert_eq!(
            counted(1, "dependent (blast radius)"),
            "1 dependent (blast radius)"
        );
    }
}
