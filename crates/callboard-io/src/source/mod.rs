//! Where entities come from. A source turns files (or, later, an endpoint)
//! into [`CatalogEntity`] values plus the [`Problem`]s it met on the way; it
//! never aborts on one bad document.

use std::fmt;

use callboard_core::catalog::CatalogEntity;

pub mod auth;
pub mod backstage;
pub mod local;
#[cfg(all(debug_assertions, target_os = "linux"))]
mod test_keyring;
pub mod yaml;

/// A problem in a source, pointing at a file position or an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Problem {
    /// The file path (absolute) or URL the problem is in.
    pub location: String,
    /// 1-based line, when the problem has a position.
    pub line: Option<u32>,
    /// 1-based column (in characters), when the problem has a position.
    pub column: Option<u32>,
    pub severity: Severity,
    pub message: String,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Problem {
    /// An error at a position (`line`/`column` 1-based).
    pub fn error_at(
        location: impl Into<String>,
        line: u32,
        column: u32,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            location: location.into(),
            line: Some(line),
            column: Some(column),
            severity: Severity::Error,
            message: message.into(),
        }
    }

    /// A warning at a position (`line`/`column` 1-based).
    pub fn warning_at(
        location: impl Into<String>,
        line: u32,
        column: u32,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            severity: Severity::Warning,
            ..Problem::error_at(location, line, column, message)
        }
    }

    /// An error about a whole file or endpoint.
    pub fn error(location: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            location: location.into(),
            line: None,
            column: None,
            severity: Severity::Error,
            message: message.into(),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// `path:line:col: error: message`, leaving out the parts that are missing.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.location)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}: {}", self.severity, self.message)
    }
}

/// What a source produced: the entities it kept (relations stitched), every
/// problem it met (sorted by location, line, column) and how many files it
/// read.
#[derive(Debug, Clone, Default)]
pub struct LoadResult {
    pub entities: Vec<CatalogEntity>,
    pub problems: Vec<Problem>,
    pub files_read: usize,
}

impl LoadResult {
    pub fn error_count(&self) -> usize {
        self.problems.iter().filter(|p| p.is_error()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_display_like_a_compiler() {
        let p = Problem::error_at("/a/b.yaml", 3, 7, "bad");
        assert_eq!(p.to_string(), "/a/b.yaml:3:7: error: bad");
        let p = Problem {
            column: None,
            severity: Severity::Warning,
            ..p
        };
        assert_eq!(p.to_string(), "/a/b.yaml:3: warning: bad");
        assert_eq!(Problem::error("/x", "gone").to_string(), "/x: error: gone");
    }

    #[test]
    fn severity_serialises_lower_case() {
        let p = Problem::warning_at("f", 1, 1, "m");
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["severity"], "warning");
        assert_eq!(v["line"], 1);
    }
}
