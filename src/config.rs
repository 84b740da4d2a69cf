//! The config file (YAML, in the XDG config dir) and the paths callboard uses.
//!
//! ```yaml
//! sources:
//!   - name: platform
//!     paths: [~/src/platform, ~/src/payments/catalog-info.yaml]
//! rules:
//!   allow: [Component, API, Resource, System, Domain, Group, User, Location, Template]
//! ```

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// The whole config file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub sources: Vec<SourceConfig>,
    #[serde(default)]
    pub rules: Rules,
    /// Overrides the XDG cache dir.
    #[serde(default)]
    pub cache_dir: Option<String>,
}

/// One catalog source. Local sources list roots: folders are scanned for
/// `catalog-info.yaml`, files are read as they are; Locations are followed.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub name: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub paths: Vec<String>,
}

/// Backstage's `catalog.rules`: which kinds a source may bring in.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    #[serde(default)]
    pub allow: Option<Vec<String>>,
}

/// A source ready to sync.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub name: String,
    pub kind: SourceKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SourceKind {
    Local {
        roots: Vec<PathBuf>,
    },
    /// The catalog embedded in the binary, unpacked into the cache dir.
    Demo,
}

impl Source {
    /// Where it reads from, in words.
    pub fn describe(&self) -> String {
        match &self.kind {
            SourceKind::Local { roots } => roots
                .iter()
                .map(|r| r.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            SourceKind::Demo => "embedded demo catalog".to_string(),
        }
    }
}

impl Config {
    /// Parse a config file; errors name the file, line and column.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        Self::parse_at(&text).map_err(|(at, e)| match at {
            Some((line, col)) => anyhow::anyhow!("{}:{line}:{col}: {e}", path.display()),
            None => anyhow::anyhow!("{}: {e}", path.display()),
        })
    }

    pub fn parse(text: &str) -> Result<Config> {
        Self::parse_at(text).map_err(|(at, e)| match at {
            Some((line, col)) => anyhow::anyhow!("{line}:{col}: {e}"),
            None => anyhow::anyhow!("{e}"),
        })
    }

    /// Parse, returning the error's position separately.
    fn parse_at(text: &str) -> std::result::Result<Config, (Option<(usize, usize)>, String)> {
        // A file of comments only is an empty config, not an error.
        let has_content = text
            .lines()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
        if !has_content {
            return Ok(Config::default());
        }
        let config: Config = serde_norway::from_str(text)
            .map_err(|e| (e.location().map(|l| (l.line(), l.column())), e.to_string()))?;
        config.check().map_err(|e| (None, e.to_string()))?;
        Ok(config)
    }

    fn check(&self) -> Result<()> {
        let mut seen = std::collections::HashSet::new();
        for source in &self.sources {
            if source.name.trim().is_empty() {
                bail!("a source has an empty name; give every source a short name");
            }
            if !seen.insert(source.name.as_str()) {
                bail!(
                    "two sources are named '{}'; names must be unique",
                    source.name
                );
            }
            if source.path.is_none() && source.paths.is_empty() {
                bail!("source '{}' has no 'path' or 'paths' to read", source.name);
            }
        }
        Ok(())
    }

    /// Sources in priority order, with `~` and relative paths resolved
    /// against `base` (the config file's folder).
    pub fn resolved_sources(&self, base: &Path) -> Vec<Source> {
        self.sources
            .iter()
            .map(|s| Source {
                name: s.name.clone(),
                kind: SourceKind::Local {
                    roots: s
                        .path
                        .iter()
                        .chain(&s.paths)
                        .map(|p| resolve_path(p, base))
                        .collect(),
                },
            })
            .collect()
    }
}

/// Expand `~/` and make relative paths absolute against `base`.
pub fn resolve_path(p: &str, base: &Path) -> PathBuf {
    let expanded = match p.strip_prefix("~/") {
        Some(rest) => directories::BaseDirs::new()
            .map(|d| d.home_dir().join(rest))
            .unwrap_or_else(|| PathBuf::from(p)),
        None => PathBuf::from(p),
    };
    let joined = if expanded.is_absolute() {
        expanded
    } else {
        base.join(expanded)
    };
    std::path::absolute(&joined).unwrap_or(joined)
}

/// `$XDG_CONFIG_HOME/callboard/config.yaml` (or the platform's equivalent).
pub fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "callboard").map(|d| d.config_dir().join("config.yaml"))
}

/// `$XDG_CACHE_HOME/callboard` (or the platform's equivalent).
pub fn default_cache_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "callboard").map(|d| d.cache_dir().to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sources_and_rules() {
        let config = Config::parse(
            "sources:\n  - name: a\n    path: repos/a\n  - name: b\n    paths: [/x, ~/y]\nrules:\n  allow: [Component]\n",
        )
        .unwrap();
        let sources = config.resolved_sources(Path::new("/base"));
        assert_eq!(
            sources[0].kind,
            SourceKind::Local {
                roots: vec![PathBuf::from("/base/repos/a")]
            }
        );
        assert_eq!(sources[1].name, "b");
        assert_eq!(
            config.rules.allow.as_deref(),
            Some(&["Component".to_string()][..])
        );
    }

    #[test]
    fn errors_name_the_position_and_the_fix() {
        let err = Config::parse("sources:\n  - name: a\n    pth: x\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("3:"), "{err}");
        assert!(err.contains("pth"), "{err}");
        let err = Config::parse("sources:\n  - name: a\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no 'path'"), "{err}");
        let err = Config::parse("sources:\n  - {name: a, path: x}\n  - {name: a, path: y}\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unique"), "{err}");
    }

    #[test]
    fn empty_file_is_an_empty_config() {
        assert_eq!(Config::parse("\n# nothing\n").unwrap(), Config::default());
    }
}
