//! backstage-cli's tokens in the OS secret store. backstage-cli keeps them
//! through keytar (`keytar.getPassword(service, account)`) when that module
//! loads, and only otherwise in its files. On Linux keytar stores through
//! libsecret with the schema `org.freedesktop.Secret.Generic` and the
//! attributes `service` and `account` (libsecret usually adds `xdg:schema`
//! = the schema's name, but not always: items stored by libsecret under a
//! private session bus here had none, so callboard searches by `service`
//! and `account` alone, which finds both). keyring-core's
//! Secret Service store addresses items by `service` and `username`
//! instead, so a plain keyring-core entry never finds keytar's items: they
//! are searched here by keytar's own attributes and written back in place.
//! (On macOS keytar uses a generic password with service = service and
//! account = account, which is keyring-core's Keychain entry
//! `(service, user)` one for one; callboard has no macOS store yet.)

use std::collections::HashMap;
use std::sync::Arc;

/// The libsecret schema keytar stores under on Linux.
pub const KEYTAR_SCHEMA: &str = "org.freedesktop.Secret.Generic";

/// The Secret Service attributes keytar's `service`/`account` items are
/// found by (keytar's schema attributes; keyring-core's are `service` and
/// `username`).
pub fn keytar_attributes<'a>(service: &'a str, account: &'a str) -> HashMap<&'a str, &'a str> {
    HashMap::from([("service", service), ("account", account)])
}

/// Where backstage-cli's keytar entries are read and written (a fake in
/// tests; the Secret Service on Linux).
pub trait CliKeyring: Send + Sync {
    /// The secret at `service`/`account`; `Ok(None)` when there is none,
    /// or no secret store at all.
    fn get(&self, service: &str, account: &str) -> Result<Option<String>, String>;
    /// Replace the existing secret at `service`/`account`; `Ok(false)`
    /// when there is no such entry (nothing is created).
    fn replace(&self, service: &str, account: &str, secret: &str) -> Result<bool, String>;
}

/// A [`CliKeyring`] or none, comparable so [`super::Stores`] stays `Eq`
/// (two handles are equal when they are the same store).
#[derive(Clone, Default)]
pub struct CliKeyringHandle(pub Option<Arc<dyn CliKeyring>>);

impl CliKeyringHandle {
    pub fn new(store: Arc<dyn CliKeyring>) -> CliKeyringHandle {
        CliKeyringHandle(Some(store))
    }

    /// The OS secret store, where callboard can reach keytar's entries
    /// (Linux: the Secret Service).
    pub fn os() -> CliKeyringHandle {
        #[cfg(target_os = "linux")]
        return CliKeyringHandle::new(Arc::new(SecretService));
        #[cfg(not(target_os = "linux"))]
        return CliKeyringHandle(None);
    }
}

impl PartialEq for CliKeyringHandle {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for CliKeyringHandle {}

impl std::fmt::Debug for CliKeyringHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "CliKeyring"
        } else {
            "NoCliKeyring"
        })
    }
}

/// keytar's items in the Secret Service, found by its attributes.
#[cfg(target_os = "linux")]
pub struct SecretService;

#[cfg(target_os = "linux")]
impl SecretService {
    /// The items keytar would find for `service`/`account`; `None` when no
    /// Secret Service can be reached.
    fn items(service: &str, account: &str) -> Result<Option<Vec<keyring_core::Entry>>, String> {
        use keyring_core::api::CredentialStoreApi;
        let bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
            || std::env::var_os("XDG_RUNTIME_DIR")
                .map(|d| std::path::Path::new(&d).join("bus").exists())
                .unwrap_or(false);
        if !bus {
            return Ok(None);
        }
        let Ok(store) = zbus_secret_service_keyring_store::Store::new() else {
            return Ok(None);
        };
        match store.search(&keytar_attributes(service, account)) {
            Ok(items) => Ok(Some(items)),
            Err(keyring_core::Error::NoStorageAccess(_))
            | Err(keyring_core::Error::PlatformFailure(_)) => Ok(None),
            Err(e) => Err(crate::source::auth::keyring::describe(&e)),
        }
    }
}

#[cfg(target_os = "linux")]
impl CliKeyring for SecretService {
    fn get(&self, service: &str, account: &str) -> Result<Option<String>, String> {
        let Some(items) = Self::items(service, account)? else {
            return Ok(None);
        };
        match items.first().map(|e| e.get_password()) {
            None | Some(Err(keyring_core::Error::NoEntry)) => Ok(None),
            Some(Ok(s)) => Ok(Some(s)),
            Some(Err(e)) => Err(format!(
                "the OS secret store could not be read ({})",
                crate::source::auth::keyring::describe(&e)
            )),
        }
    }

    fn replace(&self, service: &str, account: &str, secret: &str) -> Result<bool, String> {
        let Some(items) = Self::items(service, account)? else {
            return Ok(false);
        };
        for item in &items {
            item.set_password(secret).map_err(|e| {
                format!(
                    "the OS secret store could not be changed ({})",
                    crate::source::auth::keyring::describe(&e)
                )
            })?;
        }
        Ok(!items.is_empty())
    }
}

#[cfg(test)]
pub mod fake {
    use super::*;
    use std::sync::Mutex;

    /// A secret store in memory, keyed by the attributes an item carries.
    #[derive(Default)]
    pub struct FakeKeyring {
        pub items: Mutex<Vec<(HashMap<String, String>, String)>>,
    }

    impl FakeKeyring {
        /// Add an item as keytar's `setPassword` would (libsecret adding
        /// the schema's name).
        pub fn keytar_set(&self, service: &str, account: &str, secret: &str) {
            self.add(
                &[
                    ("service", service),
                    ("account", account),
                    ("xdg:schema", KEYTAR_SCHEMA),
                ],
                secret,
            );
        }

        /// Add an item with these attributes.
        pub fn add(&self, attributes: &[(&str, &str)], secret: &str) {
            let attrs = attributes
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            self.items.lock().unwrap().push((attrs, secret.to_string()));
        }

        fn matching(&self, service: &str, account: &str) -> Vec<usize> {
            let want = keytar_attributes(service, account);
            let items = self.items.lock().unwrap();
            (0..items.len())
                .filter(|&i| {
                    want.iter()
                        .all(|(k, v)| items[i].0.get(*k).map(String::as_str) == Some(*v))
                })
                .collect()
        }
    }

    impl CliKeyring for FakeKeyring {
        fn get(&self, service: &str, account: &str) -> Result<Option<String>, String> {
            let hit = self.matching(service, account).first().copied();
            Ok(hit.map(|i| self.items.lock().unwrap()[i].1.clone()))
        }

        fn replace(&self, service: &str, account: &str, secret: &str) -> Result<bool, String> {
            let hits = self.matching(service, account);
            let mut items = self.items.lock().unwrap();
            for &i in &hits {
                items[i].1 = secret.to_string();
            }
            Ok(!hits.is_empty())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keytar_items_are_found_by_service_and_account_not_keyrings_username() {
        let a = keytar_attributes("backstage-cli:auth-instance:x", "accessToken");
        assert_eq!(a.get("service"), Some(&"backstage-cli:auth-instance:x"));
        assert_eq!(a.get("account"), Some(&"accessToken"));
        assert!(!a.contains_key("username"), "keyring-core's attribute");
        assert_eq!(a.len(), 2, "no xdg:schema: not every libsecret adds it");

        let k = fake::FakeKeyring::default();
        let svc = "backstage-cli:auth-instance:x";
        // keyring-core's own item for the same pair is not keytar's.
        k.add(
            &[("service", svc), ("username", "accessToken")],
            "keyring-core",
        );
        assert_eq!(k.get(svc, "accessToken").unwrap(), None);
        // Found with or without the schema name libsecret may add.
        k.add(&[("service", svc), ("account", "accessToken")], "bare");
        assert_eq!(k.get(svc, "accessToken").unwrap().as_deref(), Some("bare"));
        k.keytar_set(svc, "refreshToken", "with-schema");
        assert_eq!(
            k.get(svc, "refreshToken").unwrap().as_deref(),
            Some("with-schema")
        );
        assert!(!k.replace(svc, "idToken", "x").unwrap(), "nothing created");
    }

    #[test]
    fn handles_compare_by_identity() {
        let k: Arc<dyn CliKeyring> = Arc::new(fake::FakeKeyring::default());
        assert_eq!(CliKeyringHandle::new(k.clone()), CliKeyringHandle::new(k));
        assert_ne!(
            CliKeyringHandle::new(Arc::new(fake::FakeKeyring::default())),
            CliKeyringHandle::default()
        );
    }
}
