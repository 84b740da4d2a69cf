//! A by-query page's quick scan: each item's identity (for the
//! runaway-paging guard), the total and the cursor, read without parsing
//! the items, so the next page can be asked for at once.

#[cfg(test)]
use serde_json::Value;

#[cfg(test)]
use super::client::QueryPage;

/// An entity's identity for the guard: its uid, else kind, namespace and
/// name. What [`ItemIdentity`] reads from a page's text without parsing
/// the items (tested equal).
#[cfg(test)]
pub(super) fn identity(item: &Value) -> String {
    let meta = item.get("metadata");
    if let Some(uid) = meta.and_then(|m| m.get("uid")).and_then(Value::as_str) {
        return uid.to_string();
    }
    let s = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let name = s(meta.and_then(|m| m.get("name")));
    if name.is_empty() {
        return String::new();
    }
    format!(
        "{}:{}/{name}",
        s(item.get("kind")),
        s(meta.and_then(|m| m.get("namespace")))
    )
}

/// A by-query page without its items: their identities, the total and
/// the cursor.
#[derive(serde::Deserialize)]
pub(super) struct PageHead {
    #[serde(default)]
    pub(super) items: Identities,
    #[serde(rename = "totalItems", default)]
    pub(super) total_items: Option<u64>,
    #[serde(rename = "pageInfo", default)]
    pub(super) page_info: super::client::PageInfo,
}

/// Each item's [`identity`], read without parsing the rest of it.
#[derive(Default)]
pub(super) struct Identities(pub(super) Vec<String>);

impl<'de> serde::Deserialize<'de> for Identities {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Items;
        impl<'de> serde::de::Visitor<'de> for Items {
            type Value = Identities;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array of entities")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Identities, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<ItemIdentity>()? {
                    out.push(item.0);
                }
                Ok(Identities(out))
            }
        }
        d.deserialize_seq(Items)
    }
}

/// [`identity`] of one item, any JSON value.
struct ItemIdentity(String);

/// The keys an identity needs; every other one is skipped.
enum IdKey {
    Kind,
    Metadata,
    Uid,
    Name,
    Namespace,
    Other,
}

impl<'de> serde::Deserialize<'de> for IdKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = IdKey;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: serde::de::Error>(self, k: &str) -> Result<IdKey, E> {
                Ok(match k {
                    "kind" => IdKey::Kind,
                    "metadata" => IdKey::Metadata,
                    "uid" => IdKey::Uid,
                    "name" => IdKey::Name,
                    "namespace" => IdKey::Namespace,
                    _ => IdKey::Other,
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// A string value, `None` for any other JSON value (skipped unparsed).
struct MaybeStr(Option<String>);

impl<'de> serde::Deserialize<'de> for MaybeStr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Lenient(|s: Option<&str>| MaybeStr(s.map(str::to_string))))
    }
}

/// The `metadata` keys an identity needs.
#[derive(Default)]
struct IdMeta {
    uid: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
}

impl<'de> serde::Deserialize<'de> for IdMeta {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = IdMeta;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<IdMeta, A::Error> {
                let mut meta = IdMeta::default();
                while let Some(key) = map.next_key::<IdKey>()? {
                    let slot = match key {
                        IdKey::Uid => &mut meta.uid,
                        IdKey::Name => &mut meta.name,
                        IdKey::Namespace => &mut meta.namespace,
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                            continue;
                        }
                    };
                    // Like a JSON object read whole: the last one counts.
                    *slot = map.next_value::<MaybeStr>()?.0;
                }
                Ok(meta)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<IdMeta, A::Error> {
                serde::de::IgnoredAny
                    .visit_seq(seq)
                    .map(|_| IdMeta::default())
            }
            fn visit_bool<E>(self, _: bool) -> Result<IdMeta, E> {
                Ok(IdMeta::default())
            }
            fn visit_i64<E>(self, _: i64) -> Result<IdMeta, E> {
                Ok(IdMeta::default())
            }
            fn visit_u64<E>(self, _: u64) -> Result<IdMeta, E> {
                Ok(IdMeta::default())
            }
            fn visit_f64<E>(self, _: f64) -> Result<IdMeta, E> {
                Ok(IdMeta::default())
            }
            fn visit_str<E>(self, _: &str) -> Result<IdMeta, E> {
                Ok(IdMeta::default())
            }
            fn visit_unit<E>(self) -> Result<IdMeta, E> {
                Ok(IdMeta::default())
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> serde::Deserialize<'de> for ItemIdentity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ItemIdentity;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<ItemIdentity, A::Error> {
                let mut kind = None;
                let mut meta = IdMeta::default();
                while let Some(key) = map.next_key::<IdKey>()? {
                    match key {
                        IdKey::Kind => kind = map.next_value::<MaybeStr>()?.0,
                        IdKey::Metadata => meta = map.next_value::<IdMeta>()?,
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(ItemIdentity(identity_of(kind, meta)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<ItemIdentity, A::Error> {
                serde::de::IgnoredAny
                    .visit_seq(seq)
                    .map(|_| ItemIdentity(String::new()))
            }
            fn visit_bool<E>(self, _: bool) -> Result<ItemIdentity, E> {
                Ok(ItemIdentity(String::new()))
            }
            fn visit_i64<E>(self, _: i64) -> Result<ItemIdentity, E> {
                Ok(ItemIdentity(String::new()))
            }
            fn visit_u64<E>(self, _: u64) -> Result<ItemIdentity, E> {
                Ok(ItemIdentity(String::new()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<ItemIdentity, E> {
                Ok(ItemIdentity(String::new()))
            }
            fn visit_str<E>(self, _: &str) -> Result<ItemIdentity, E> {
                Ok(ItemIdentity(String::new()))
            }
            fn visit_unit<E>(self) -> Result<ItemIdentity, E> {
                Ok(ItemIdentity(String::new()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A visitor taking a string, or any other value as `None` (skipped).
struct Lenient<F>(F);

impl<'de, T, F: FnOnce(Option<&str>) -> T> serde::de::Visitor<'de> for Lenient<F> {
    type Value = T;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E>(self, s: &str) -> Result<T, E> {
        Ok((self.0)(Some(s)))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        serde::de::IgnoredAny.visit_map(map)?;
        Ok((self.0)(None))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        serde::de::IgnoredAny.visit_seq(seq)?;
        Ok((self.0)(None))
    }
    fn visit_bool<E>(self, _: bool) -> Result<T, E> {
        Ok((self.0)(None))
    }
    fn visit_i64<E>(self, _: i64) -> Result<T, E> {
        Ok((self.0)(None))
    }
    fn visit_u64<E>(self, _: u64) -> Result<T, E> {
        Ok((self.0)(None))
    }
    fn visit_f64<E>(self, _: f64) -> Result<T, E> {
        Ok((self.0)(None))
    }
    fn visit_unit<E>(self) -> Result<T, E> {
        Ok((self.0)(None))
    }
}

/// [`identity`] from the parts read.
fn identity_of(kind: Option<String>, meta: IdMeta) -> String {
    if let Some(uid) = meta.uid {
        return uid;
    }
    let name = meta.name.unwrap_or_default().to_ascii_lowercase();
    if name.is_empty() {
        return String::new();
    }
    format!(
        "{}:{}/{name}",
        kind.unwrap_or_default().to_ascii_lowercase(),
        meta.namespace.unwrap_or_default().to_ascii_lowercase()
    )
}

#[cfg(test)]
mod identity_tests {
    use super::*;

    /// The identities read from a page's text are the ones [`identity`]
    /// gives for the parsed items, whatever the items hold.
    #[test]
    fn identities_read_unparsed_agree_with_the_parsed_items() {
        let items = serde_json::json!([
            {"kind": "Component", "metadata": {"name": "A", "namespace": "NS", "uid": "u-1"}},
            {"kind": "Component", "metadata": {"name": "A", "namespace": "NS"}},
            {"kind": "Group", "metadata": {"name": "b"}},
            {"kind": 7, "metadata": {"name": "c", "namespace": null, "uid": 5}},
            {"kind": "API", "metadata": {"name": ""}},
            {"kind": "API", "metadata": {"name": {"x": [1, 2]}, "labels": {"a": "b"}}},
            {"kind": "API", "metadata": [1, 2]},
            {"kind": "API", "metadata": "text"},
            {"kind": "API"},
            {"metadata": {"name": "no-kind", "extra": [{"name": "inner"}]}, "spec": {"name": "x"}},
            {"kind": "A", "kind": "B", "metadata": {"name": "first", "name": "dup"}},
            "a string",
            12,
            -3,
            1.5,
            true,
            null,
            [1, [2], {"metadata": {"name": "nested"}}],
            {}
        ]);
        let text = format!(
            r#"{{"items": {}, "totalItems": 3, "pageInfo": {{"nextCursor": "c"}}}}"#,
            // Duplicate keys are not representable in a Value: splice them in.
            serde_json::to_string(&items).unwrap().replace(
                r#"{"kind":"B","metadata":{"name":"dup"}}"#,
                r#"{"kind":"A","kind":"B","metadata":{"name":"first","name":"dup"}}"#,
            )
        );
        let head: PageHead = serde_json::from_str(&text).unwrap();
        let parsed: QueryPage = serde_json::from_str(&text).unwrap();
        let expected: Vec<String> = parsed.items.iter().map(identity).collect();
        assert_eq!(head.items.0, expected);
        assert_eq!(head.total_items, Some(3));
        assert_eq!(head.page_info.next_cursor.as_deref(), Some("c"));
        assert!(expected.contains(&"component:ns/a".to_string()));
        assert!(expected.contains(&"b:/dup".to_string()));
    }
}
