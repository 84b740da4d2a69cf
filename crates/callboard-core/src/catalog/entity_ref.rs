//! Entity references as Backstage parses them: `[kind:][namespace/]name`.
//!
//! Mirrors `parseEntityRef` / `stringifyEntityRef` in
//! `packages/catalog-model/src/entity/ref.ts`: the first `:` and the first `/`
//! split the parts (a `/` before the `:` means there is no kind), empty parts
//! are errors, and the canonical form is lower-cased.

use std::borrow::Cow;
use std::fmt;

/// The namespace used when neither the ref nor its context names one.
pub const DEFAULT_NAMESPACE: &str = "default";

/// A fully qualified reference. Parts keep the case they were written in;
/// equality, hashing and [`EntityRef::canonical`] are case-insensitive.
#[derive(Debug, Clone, Eq)]
pub struct EntityRef {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

/// Why a string is not a valid reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    #[error("entity reference is empty")]
    Empty,
    #[error("entity reference '{0}' has an empty kind before ':'")]
    EmptyKind(String),
    #[error("entity reference '{0}' has an empty namespace before '/'")]
    EmptyNamespace(String),
    #[error("entity reference '{0}' has an empty name")]
    EmptyName(String),
    #[error(
        "entity reference '{0}' has no kind; write it as 'kind:{0}' (for example 'component:{0}')"
    )]
    MissingKind(String),
}

/// The defaults that apply when a ref omits its kind or namespace: the field's
/// default kind (if it has one) and the referring entity's namespace.
#[derive(Debug, Clone, Copy, Default)]
pub struct RefContext<'a> {
    pub default_kind: Option<&'a str>,
    pub default_namespace: Option<&'a str>,
}

impl<'a> RefContext<'a> {
    pub fn new(default_kind: Option<&'a str>, default_namespace: Option<&'a str>) -> Self {
        Self {
            default_kind,
            default_namespace,
        }
    }
}

/// The parts of a ref as written, before defaults apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefParts<'s> {
    pub kind: Option<&'s str>,
    pub namespace: Option<&'s str>,
    pub name: &'s str,
}

/// Split `[kind:][namespace/]name` exactly as Backstage does.
pub fn split_ref(input: &str) -> Result<RefParts<'_>, RefError> {
    if input.is_empty() {
        return Err(RefError::Empty);
    }
    let colon = input.find(':');
    let slash = input.find('/');
    // A '/' before the first ':' means the ':' belongs to the name, not a kind.
    let kind_end = match (colon, slash) {
        (Some(c), Some(s)) if s < c => None,
        (Some(c), _) => Some(c),
        (None, _) => None,
    };
    let (kind, rest) = match kind_end {
        Some(c) => (Some(&input[..c]), &input[c + 1..]),
        None => (None, input),
    };
    if kind == Some("") {
        return Err(RefError::EmptyKind(input.to_string()));
    }
    let (namespace, name) = match rest.find('/') {
        Some(s) => (Some(&rest[..s]), &rest[s + 1..]),
        None => (None, rest),
    };
    if namespace == Some("") {
        return Err(RefError::EmptyNamespace(input.to_string()));
    }
    if name.is_empty() {
        return Err(RefError::EmptyName(input.to_string()));
    }
    Ok(RefParts {
        kind,
        namespace,
        name,
    })
}

impl EntityRef {
    pub fn new(
        kind: impl Into<String>,
        namespace: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        Self {
            kind: kind.into(),
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// Parse with contextual defaults. A missing kind with no default kind is
    /// an error (Backstage: "had missing or empty kind"); a missing namespace
    /// falls back to the context's, then to `default`.
    pub fn parse_with(input: &str, ctx: RefContext<'_>) -> Result<Self, RefError> {
        let parts = split_ref(input)?;
        let kind = match (parts.kind, ctx.default_kind) {
            (Some(k), _) => k,
            (None, Some(k)) => k,
            (None, None) => return Err(RefError::MissingKind(input.to_string())),
        };
        let namespace = parts
            .namespace
            .or(ctx.default_namespace)
            .unwrap_or(DEFAULT_NAMESPACE);
        Ok(Self::new(kind, namespace, parts.name))
    }

    /// Parse a ref that must be complete apart from the namespace.
    pub fn parse(input: &str) -> Result<Self, RefError> {
        Self::parse_with(input, RefContext::default())
    }

    /// `kind:namespace/name`, lower-cased: the form Backstage uses in
    /// `relations[].targetRef` and the key every index uses.
    pub fn canonical(&self) -> String {
        let mut s =
            String::with_capacity(self.kind.len() + self.namespace.len() + self.name.len() + 2);
        push_lower(&mut s, &self.kind);
        s.push(':');
        push_lower(&mut s, &self.namespace);
        s.push('/');
        push_lower(&mut s, &self.name);
        s
    }

    /// The short form people type: `kind:name` in the default namespace,
    /// otherwise the canonical form.
    pub fn display_short(&self) -> String {
        if self.namespace.eq_ignore_ascii_case(DEFAULT_NAMESPACE) {
            format!("{}:{}", self.kind.to_lowercase(), self.name)
        } else {
            format!(
                "{}:{}/{}",
                self.kind.to_lowercase(),
                self.namespace.to_lowercase(),
                self.name
            )
        }
    }
}

fn push_lower(out: &mut String, part: &str) {
    // ASCII (nearly every ref): the same as per character, without the
    // per-character case tables (a tenth of a remote sync's writer CPU).
    if part.is_ascii() {
        let from = out.len();
        out.push_str(part);
        out[from..].make_ascii_lowercase();
        return;
    }
    for c in part.chars() {
        out.extend(c.to_lowercase());
    }
}

impl PartialEq for EntityRef {
    fn eq(&self, other: &Self) -> bool {
        // The same per-character lower-casing as `canonical` and `Hash`
        // (`str::to_lowercase` special-cases a final sigma).
        self.canonical() == other.canonical()
    }
}

impl std::hash::Hash for EntityRef {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.canonical().hash(state)
    }
}

impl fmt::Display for EntityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

/// Lower-case a ref string that is already complete (`kind:ns/name`), or
/// complete it with the given defaults. Returns the canonical key.
pub fn canonical_key(input: &str, ctx: RefContext<'_>) -> Result<String, RefError> {
    EntityRef::parse_with(input, ctx).map(|r| r.canonical())
}

/// The name part of a ref: `group:default/team-a` -> `team-a`, and
/// `ns/na:me` -> `na:me` (a `/` before the `:` means no kind). The input
/// itself when it is not a valid ref.
pub fn ref_name(input: &str) -> &str {
    split_ref(input).map_or(input, |parts| parts.name)
}

/// The kind as written: `group:default/team-a` -> `Some("group")`; `None`
/// when the ref names no kind or is not a valid ref.
pub fn ref_kind(input: &str) -> Option<&str> {
    split_ref(input).ok().and_then(|parts| parts.kind)
}

/// True when the ref's kind is `kind`, compared ignoring case.
pub fn ref_kind_is(input: &str, kind: &str) -> bool {
    ref_kind(input).is_some_and(|k| k.eq_ignore_ascii_case(kind))
}

/// The short form people read: the `default` namespace (any case) goes
/// without saying, so `component:default/web` -> `component:web` and
/// `default/web` -> `web`. Other refs, and strings that are not refs, come
/// back as written.
pub fn short_ref(input: &str) -> Cow<'_, str> {
    match split_ref(input) {
        Ok(RefParts {
            kind,
            namespace: Some(ns),
            name,
        }) if ns.eq_ignore_ascii_case(DEFAULT_NAMESPACE) => Cow::Owned(match kind {
            Some(kind) => format!("{kind}:{name}"),
            None => name.to_string(),
        }),
        _ => Cow::Borrowed(input),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ASCII fast path lower-cases exactly as the per-character one.
    #[test]
    fn push_lower_equals_per_character_lower_casing() {
        let per_char = |s: &str| -> String { s.chars().flat_map(char::to_lowercase).collect() };
        for part in [
            "",
            "a",
            "Component",
            "ABC-def_09.x:y/z",
            "default",
            "Team-ẞ",
            "ΣΑΣ",
            "İstanbul",
            "mixed Ünïcode",
            "\u{7f}\u{0}~",
            "ǅ",
            "\u{212a}", // Kelvin sign
        ] {
            let mut out = String::from("pre:");
            push_lower(&mut out, part);
            assert_eq!(out, format!("pre:{}", per_char(part)), "{part:?}");
        }
        let r = EntityRef {
            kind: "ComPonent".into(),
            namespace: "Default".into(),
            name: "Pay-ÄPI".into(),
        };
        assert_eq!(r.canonical(), "component:default/pay-äpi");
    }

    fn ctx<'a>(kind: Option<&'a str>, ns: Option<&'a str>) -> RefContext<'a> {
        RefContext::new(kind, ns)
    }

    #[test]
    fn parses_full_refs_and_lowercases_canonical_form() {
        let r = EntityRef::parse("Component:Default/Artist-Lookup").unwrap();
        assert_eq!(r.kind, "Component");
        assert_eq!(r.name, "Artist-Lookup");
        assert_eq!(r.canonical(), "component:default/artist-lookup");
    }

    #[test]
    fn defaults_apply_per_field_and_namespace_comes_from_the_referrer() {
        let r = EntityRef::parse_with("team-a", ctx(Some("Group"), Some("prod"))).unwrap();
        assert_eq!(r.canonical(), "group:prod/team-a");
        let r = EntityRef::parse_with("user:guest", ctx(Some("Group"), Some("prod"))).unwrap();
        assert_eq!(r.canonical(), "user:prod/guest");
        let r = EntityRef::parse_with(
            "group:default/team-a",
            ctx(Some("Group"), Some("development")),
        )
        .unwrap();
        assert_eq!(r.canonical(), "group:default/team-a");
        let r = EntityRef::parse_with("team-a", ctx(Some("Group"), None)).unwrap();
        assert_eq!(r.canonical(), "group:default/team-a");
    }

    #[test]
    fn slash_before_colon_means_no_kind() {
        let parts = split_ref("ns/na:me").unwrap();
        assert_eq!(parts.kind, None);
        assert_eq!(parts.namespace, Some("ns"));
        assert_eq!(parts.name, "na:me");
        let parts = split_ref("kind:ns/name").unwrap();
        assert_eq!(parts.kind, Some("kind"));
    }

    #[test]
    fn empty_parts_are_errors() {
        assert_eq!(split_ref(""), Err(RefError::Empty));
        assert!(matches!(split_ref(":foo"), Err(RefError::EmptyKind(_))));
        assert!(matches!(
            split_ref("component:/foo"),
            Err(RefError::EmptyNamespace(_))
        ));
        assert!(matches!(
            split_ref("component:ns/"),
            Err(RefError::EmptyName(_))
        ));
        assert!(matches!(
            split_ref("component:"),
            Err(RefError::EmptyName(_))
        ));
    }

    #[test]
    fn a_field_without_default_kind_requires_one() {
        let err = EntityRef::parse_with("artists-db", ctx(None, Some("default"))).unwrap_err();
        assert!(matches!(err, RefError::MissingKind(_)));
        assert!(err.to_string().contains("kind:artists-db"));
    }

    #[test]
    fn comparison_is_case_insensitive() {
        let a = EntityRef::parse("Group:Default/Team-A").unwrap();
        let b = EntityRef::parse("group:default/team-a").unwrap();
        assert_eq!(a, b);
        let mut set = std::collections::HashSet::new();
        set.insert(a);
        assert!(set.contains(&b));
    }

    #[test]
    fn short_display_drops_the_default_namespace() {
        assert_eq!(
            EntityRef::parse("Component:default/X")
                .unwrap()
                .display_short(),
            "component:X"
        );
        assert_eq!(
            EntityRef::parse("component:legacy/x")
                .unwrap()
                .display_short(),
            "component:legacy/x"
        );
    }

    #[test]
    fn helpers_split_at_the_first_colon_and_slash() {
        // The old helpers split at the last '/' or at any ':'.
        assert_eq!(ref_name("group:default/team-a"), "team-a");
        assert_eq!(ref_name("ns/na:me"), "na:me");
        assert_eq!(ref_name("component:default/a/b"), "a/b");
        assert_eq!(ref_name("user:jo"), "jo");
        assert_eq!(ref_name("team-a"), "team-a");
        assert_eq!(ref_kind("group:default/team-a"), Some("group"));
        assert_eq!(ref_kind("ns/na:me"), None);
        assert_eq!(ref_kind("team-a"), None);
        assert!(ref_kind_is("Template:default/x", "template"));
        assert!(!ref_kind_is("ns/template:x", "template"));
    }

    #[test]
    fn helpers_leave_strings_that_are_not_refs_alone() {
        for junk in ["", ":x", "component:/x", "component:ns/"] {
            assert_eq!(ref_name(junk), junk);
            assert_eq!(ref_kind(junk), None);
            assert_eq!(short_ref(junk), junk);
        }
    }

    #[test]
    fn short_ref_elides_only_a_default_namespace() {
        assert_eq!(short_ref("component:default/web"), "component:web");
        assert_eq!(short_ref("component:prod/web"), "component:prod/web");
        // Case-insensitive, as Backstage compares namespaces.
        assert_eq!(short_ref("Component:Default/Web"), "Component:Web");
        assert_eq!(short_ref("default/web"), "web");
        assert_eq!(short_ref("web"), "web");
        // A ':default/' inside the name is not the namespace.
        assert_eq!(
            short_ref("component:ns/a:default/b"),
            "component:ns/a:default/b"
        );
        assert_eq!(short_ref("ns/x:default/y"), "ns/x:default/y");
    }
}
