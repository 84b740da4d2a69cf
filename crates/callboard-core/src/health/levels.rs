//! Scorecard levels and rules: which check counts at which level for which
//! kinds. The defaults (Bronze, Silver, Gold) are documented in the README;
//! the config's `scorecards:` section replaces them.

use super::checks::Check;

/// One rule: `check` must pass for `level` (an index into the levels), for
/// entities of `kinds` (lower-case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub check: Check,
    pub level: usize,
    pub kinds: Vec<String>,
}

/// The levels, lowest first, and the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scorecard {
    pub levels: Vec<String>,
    pub rules: Vec<Rule>,
}

/// A config the scorecard cannot be built from, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScorecardError(pub String);

impl std::fmt::Display for ScorecardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScorecardError {}

const OWNED: &[&str] = &["component", "api", "resource", "system", "domain"];

/// The default rules: (check, level, kinds).
pub const DEFAULT_RULES: &[(Check, usize, &[&str])] = &[
    (Check::Owner, 0, OWNED),
    (Check::OwnerIsGroup, 0, OWNED),
    (Check::Description, 0, OWNED),
    (Check::Lifecycle, 0, &["component", "api"]),
    (Check::System, 1, &["component", "api", "resource"]),
    (Check::TitleOrTags, 1, OWNED),
    (Check::Source, 1, &["component", "api"]),
    (Check::TechDocs, 1, &["component", "api", "system"]),
    (Check::NoDangling, 1, OWNED),
    (Check::Runbook, 2, &["component", "resource"]),
    (Check::OnCall, 2, &["component", "resource"]),
    (Check::ProvidesApi, 2, &["component"]),
];

/// The default levels.
pub const DEFAULT_LEVELS: [&str; 3] = ["Bronze", "Silver", "Gold"];

impl Default for Scorecard {
    fn default() -> Scorecard {
        Scorecard {
            levels: DEFAULT_LEVELS.iter().map(|s| s.to_string()).collect(),
            rules: DEFAULT_RULES
                .iter()
                .map(|(check, level, kinds)| Rule {
                    check: *check,
                    level: *level,
                    kinds: kinds.iter().map(|k| k.to_string()).collect(),
                })
                .collect(),
        }
    }
}

/// A rule as written in the config: names, not indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSpec {
    pub check: String,
    pub level: String,
    /// None: the check's default kinds.
    pub kinds: Option<Vec<String>>,
}

impl Scorecard {
    /// Build from the config: `levels` (lowest first; None: the defaults)
    /// and `rules` (None: the default rules, which need the default
    /// levels' names).
    pub fn from_config(
        levels: Option<Vec<String>>,
        rules: Option<Vec<RuleSpec>>,
    ) -> Result<Scorecard, ScorecardError> {
        let defaults = Scorecard::default();
        let levels = levels.unwrap_or_else(|| defaults.levels.clone());
        if levels.is_empty() {
            return Err(ScorecardError(
                "scorecards.levels: name at least one level".into(),
            ));
        }
        for (i, l) in levels.iter().enumerate() {
            if l.trim().is_empty() || levels[..i].iter().any(|m| m.eq_ignore_ascii_case(l)) {
                return Err(ScorecardError(format!(
                    "scorecards.levels: '{l}' is empty or named twice"
                )));
            }
        }
        let level_of = |name: &str| {
            levels
                .iter()
                .position(|l| l.eq_ignore_ascii_case(name.trim()))
                .ok_or_else(|| {
                    ScorecardError(format!(
                        "scorecards: no level '{name}'; the levels are {}",
                        levels.join(", ")
                    ))
                })
        };
        let rules = match rules {
            None => defaults
                .rules
                .iter()
                .map(|r| {
                    Ok(Rule {
                        level: level_of(&defaults.levels[r.level])?,
                        ..r.clone()
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(specs) => specs
                .iter()
                .map(|spec| {
                    let check = Check::parse(&spec.check).ok_or_else(|| {
                        ScorecardError(format!(
                            "scorecards.rules: no check '{}'; the checks are {}",
                            spec.check,
                            Check::ALL.map(Check::name).join(", ")
                        ))
                    })?;
                    let kinds = match &spec.kinds {
                        Some(kinds) => kinds.iter().map(|k| k.trim().to_lowercase()).collect(),
                        None => default_kinds(check),
                    };
                    Ok(Rule {
                        check,
                        level: level_of(&spec.level)?,
                        kinds,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        Ok(Scorecard { levels, rules })
    }

    /// The rules that apply to an entity of `kind`, lowest level first.
    pub fn rules_for(&self, kind: &str) -> Vec<&Rule> {
        let kind = kind.to_lowercase();
        let mut rules: Vec<&Rule> = self
            .rules
            .iter()
            .filter(|r| r.kinds.contains(&kind))
            .collect();
        rules.sort_by_key(|r| r.level);
        rules
    }

    /// The index of a level by name (any case).
    pub fn level_index(&self, name: &str) -> Option<usize> {
        self.levels
            .iter()
            .position(|l| l.eq_ignore_ascii_case(name.trim()))
    }
}

/// The kinds a check applies to by default (from the default rules).
pub fn default_kinds(check: Check) -> Vec<String> {
    DEFAULT_RULES
        .iter()
        .find(|(c, _, _)| *c == check)
        .map(|(_, _, kinds)| kinds.iter().map(|k| k.to_string()).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_cover_every_check_once() {
        let card = Scorecard::default();
        for check in Check::ALL {
            assert_eq!(card.rules.iter().filter(|r| r.check == check).count(), 1);
        }
        assert!(card.rules_for("User").is_empty());
        let component: Vec<_> = card
            .rules_for("Component")
            .iter()
            .map(|r| r.level)
            .collect();
        assert!(component.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn config_rules_and_levels() {
        let card = Scorecard::from_config(
            Some(vec!["Basic".into(), "Ready".into()]),
            Some(vec![
                RuleSpec {
                    check: "owner".into(),
                    level: "basic".into(),
                    kinds: None,
                },
                RuleSpec {
                    check: "runbook".into(),
                    level: "Ready".into(),
                    kinds: Some(vec!["Component".into(), "API".into()]),
                },
            ]),
        )
        .unwrap();
        assert_eq!(card.rules.len(), 2);
        assert_eq!(card.rules[1].level, 1);
        assert_eq!(card.rules_for("api").len(), 2);
        assert_eq!(card.rules_for("api")[0].check, Check::Owner);

        let bad_check = Scorecard::from_config(
            None,
            Some(vec![RuleSpec {
                check: "nope".into(),
                level: "Gold".into(),
                kinds: None,
            }]),
        );
        assert!(bad_check.unwrap_err().0.contains("no check 'nope'"));
        let bad_level = Scorecard::from_config(
            None,
            Some(vec![RuleSpec {
                check: "owner".into(),
                level: "Platinum".into(),
                kinds: None,
            }]),
        );
        assert!(bad_level.unwrap_err().0.contains("no level 'Platinum'"));
        // Renamed levels without rules: the default rules' levels are gone.
        let renamed = Scorecard::from_config(Some(vec!["A".into()]), None);
        assert!(renamed.is_err());
        assert!(Scorecard::from_config(Some(vec![]), None).is_err());
        assert!(Scorecard::from_config(Some(vec!["A".into(), "a".into()]), None).is_err());
    }
}
