//! Reusing `backstage-cli auth login`'s sign-in, so one sign-in serves
//! both tools. backstage-cli keeps:
//!
//! - its instances in `$XDG_CONFIG_HOME/backstage-cli/auth-instances.yaml`:
//!   `instances: [{name, baseUrl, clientId, issuedAt, accessTokenExpiresAt, selected}]`;
//! - the tokens in its secret store, service `backstage-cli:auth-instance:NAME`,
//!   accounts `accessToken` and `refreshToken`: in the OS secret store
//!   through keytar when keytar loads (see [`super::keytar`] for its
//!   Secret Service attributes), else in files
//!   `$XDG_DATA_HOME/backstage-cli/auth-secrets/SERVICE/ACCOUNT.secret`
//!   (both parts as `encodeURIComponent` writes them, mode 0600).
//!
//! callboard reads both, the secret store first (as backstage-cli prefers
//! keytar), and writes refreshed tokens back to the one they came from.

use std::path::PathBuf;

use serde_json::Value;

use super::store::{encode_component, write_private, Stores};
use super::{Origin, SignIn, Tokens};

fn instances_file(stores: &Stores) -> Option<PathBuf> {
    stores
        .cli_config_dir
        .as_ref()
        .map(|d| d.join("auth-instances.yaml"))
}

/// The secret-store service of backstage-cli's instance `instance`.
pub fn service(instance: &str) -> String {
    format!("backstage-cli:auth-instance:{instance}")
}

fn secret_path(stores: &Stores, instance: &str, account: &str) -> Option<PathBuf> {
    stores.cli_secrets_dir.as_ref().map(|d| {
        d.join(encode_component(&service(instance)))
            .join(format!("{}.secret", encode_component(account)))
    })
}

fn read_instances(stores: &Stores) -> Result<Option<(PathBuf, Value)>, String> {
    let Some(path) = instances_file(stores) else {
        return Ok(None);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    if text.trim().is_empty() {
        return Ok(None);
    }
    let doc: Value = serde_norway::from_str(&text)
        .map_err(|e| format!("{}: not the YAML backstage-cli writes: {e}", path.display()))?;
    Ok(Some((path, doc)))
}

/// The instances backstage-cli knows: (name, base URL).
pub fn instances(stores: &Stores) -> Vec<(String, String)> {
    let Ok(Some((_, doc))) = read_instances(stores) else {
        return Vec::new();
    };
    doc.get("instances")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|i| {
                    Some((
                        i.get("name")?.as_str()?.to_string(),
                        crate::config::normalize_url(i.get("baseUrl")?.as_str()?),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The instance's secret at `account`: keytar's entry, else the file.
fn read_secret(stores: &Stores, instance: &str, account: &str) -> Result<Option<String>, String> {
    if let Some(keyring) = &stores.cli_keyring.0 {
        if let Some(s) = keyring.get(&service(instance), account)? {
            if !s.trim().is_empty() {
                return Ok(Some(s.trim().to_string()));
            }
        }
    }
    read_secret_file(stores, instance, account)
}

fn read_secret_file(
    stores: &Stores,
    instance: &str,
    account: &str,
) -> Result<Option<String>, String> {
    let Some(path) = secret_path(stores, instance, account) else {
        return Ok(None);
    };
    match std::fs::read_to_string(&path) {
        Ok(s) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// backstage-cli's sign-in for `url`, when it has an instance with that
/// `baseUrl` and its tokens are in the OS secret store or its files.
pub fn load(stores: &Stores, url: &str) -> Result<Option<SignIn>, String> {
    let Some((_, doc)) = read_instances(stores)? else {
        return Ok(None);
    };
    let Some(list) = doc.get("instances").and_then(Value::as_array) else {
        return Ok(None);
    };
    for i in list {
        let base = i.get("baseUrl").and_then(Value::as_str).unwrap_or_default();
        if crate::config::normalize_url(base) != url {
            continue;
        }
        let Some(name) = i.get("name").and_then(Value::as_str) else {
            continue;
        };
        let Some(access) = read_secret(stores, name, "accessToken")? else {
            continue;
        };
        let refresh = read_secret(stores, name, "refreshToken")?;
        let tokens = Tokens {
            url: url.to_string(),
            client_id: i
                .get("clientId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            principal: super::jwt_claim(&access, "sub"),
            access_token: access,
            refresh_token: refresh,
            expires_at_ms: i
                .get("accessTokenExpiresAt")
                .and_then(Value::as_u64)
                .unwrap_or(0),
        };
        return Ok(Some(SignIn {
            tokens,
            origin: Origin::BackstageCli {
                instance: name.to_string(),
            },
        }));
    }
    Ok(None)
}

/// Write refreshed tokens back as backstage-cli would: the secrets where
/// they were read (keytar's entries when the secret store holds the
/// instance's access token, as [`load`] looks there first, else its files),
/// `issuedAt` and `accessTokenExpiresAt` in its instances file.
pub fn save(stores: &Stores, instance: &str, tokens: &Tokens) -> Result<(), String> {
    let in_keyring = match &stores.cli_keyring.0 {
        Some(keyring) => {
            let service = service(instance);
            let replaced = keyring.replace(&service, "accessToken", &tokens.access_token)?;
            if replaced {
                if let Some(r) = &tokens.refresh_token {
                    if !keyring.replace(&service, "refreshToken", r)? {
                        return Err(format!(
                            "backstage-cli's refresh token for '{instance}' is gone from the OS secret store"
                        ));
                    }
                }
            }
            replaced
        }
        None => false,
    };
    if !in_keyring {
        let path = |account| {
            secret_path(stores, instance, account)
                .ok_or_else(|| "no data directory for backstage-cli's secrets".to_string())
        };
        write_private(&path("accessToken")?, tokens.access_token.as_bytes())?;
        if let Some(r) = &tokens.refresh_token {
            write_private(&path("refreshToken")?, r.as_bytes())?;
        }
    }
    let Some((file, mut doc)) = read_instances(stores)? else {
        return Err("backstage-cli's auth-instances.yaml is gone".to_string());
    };
    if let Some(list) = doc.get_mut("instances").and_then(Value::as_array_mut) {
        for i in list.iter_mut() {
            if i.get("name").and_then(Value::as_str) == Some(instance) {
                i["issuedAt"] = Value::from(super::now_ms());
                i["accessTokenExpiresAt"] = Value::from(tokens.expires_at_ms);
            }
        }
    }
    let text = serde_norway::to_string(&doc).map_err(|e| e.to_string())?;
    write_private(&file, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout `backstage-cli auth login` leaves without a keyring.
    pub fn write_layout(stores: &Stores, url: &str, access: &str, refresh: &str, exp: u64) {
        let yaml = format!(
            "instances:\n- name: 127.0.0.1:7007\n  baseUrl: {url}\n  clientId: {url}/api/auth/.well-known/oauth-client/cli.json\n  issuedAt: 1\n  accessTokenExpiresAt: {exp}\n  selected: true\n"
        );
        write_private(&instances_file(stores).unwrap(), yaml.as_bytes()).unwrap();
        let dir = stores
            .cli_secrets_dir
            .as_ref()
            .unwrap()
            .join("backstage-cli%3Aauth-instance%3A127.0.0.1%3A7007");
        write_private(&dir.join("accessToken.secret"), access.as_bytes()).unwrap();
        write_private(&dir.join("refreshToken.secret"), refresh.as_bytes()).unwrap();
    }

    #[test]
    fn reads_and_writes_back_backstage_clis_files() {
        let dir = tempfile::tempdir().unwrap();
        let stores = Stores::files_only(dir.path());
        let url = "http://127.0.0.1:7007";
        assert!(load(&stores, url).unwrap().is_none());
        write_layout(&stores, &format!("{url}/"), "acc-1", "ref-1", 42);
        assert_eq!(
            instances(&stores),
            [("127.0.0.1:7007".to_string(), url.to_string())]
        );
        let s = load(&stores, url).unwrap().unwrap();
        assert_eq!(s.tokens.access_token, "acc-1");
        assert_eq!(s.tokens.refresh_token.as_deref(), Some("ref-1"));
        assert_eq!(s.tokens.expires_at_ms, 42);
        assert_eq!(
            s.origin,
            Origin::BackstageCli {
                instance: "127.0.0.1:7007".into()
            }
        );
        assert!(load(&stores, "http://other").unwrap().is_none());
        let mut t = s.tokens.clone();
        t.access_token = "acc-2".into();
        t.refresh_token = Some("ref-2".into());
        t.expires_at_ms = 99;
        save(&stores, "127.0.0.1:7007", &t).unwrap();
        let again = load(&stores, url).unwrap().unwrap();
        assert_eq!(again.tokens.access_token, "acc-2");
        assert_eq!(again.tokens.refresh_token.as_deref(), Some("ref-2"));
        assert_eq!(again.tokens.expires_at_ms, 99);
        let yaml = std::fs::read_to_string(instances_file(&stores).unwrap()).unwrap();
        assert!(
            yaml.contains("selected: true") && yaml.contains("clientId"),
            "{yaml}"
        );
    }

    #[test]
    fn keytar_entries_come_before_the_files_and_are_written_back_in_place() {
        use crate::signin::keytar::{fake::FakeKeyring, CliKeyringHandle};
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let keyring = Arc::new(FakeKeyring::default());
        let stores = Stores {
            cli_keyring: CliKeyringHandle::new(keyring.clone()),
            ..Stores::files_only(dir.path())
        };
        let url = "http://127.0.0.1:7007";
        // Only the instances file and keytar's entries (as backstage-cli
        // leaves them where keytar loads): no secret files.
        let yaml = format!("instances:\n- name: 127.0.0.1:7007\n  baseUrl: {url}\n  clientId: c\n  issuedAt: 1\n  accessTokenExpiresAt: 5\n  selected: true\n");
        write_private(&instances_file(&stores).unwrap(), yaml.as_bytes()).unwrap();
        let service = "backstage-cli:auth-instance:127.0.0.1:7007";
        keyring.keytar_set(service, "accessToken", "kacc-1");
        keyring.keytar_set(service, "refreshToken", "kref-1");
        let s = load(&stores, url).unwrap().unwrap();
        assert_eq!(s.tokens.access_token, "kacc-1");
        assert_eq!(s.tokens.refresh_token.as_deref(), Some("kref-1"));
        // A secret file left from before keytar is not preferred.
        let files = stores.cli_secrets_dir.clone().unwrap();
        let file_dir = files.join("backstage-cli%3Aauth-instance%3A127.0.0.1%3A7007");
        write_private(&file_dir.join("accessToken.secret"), b"facc").unwrap();
        assert_eq!(
            load(&stores, url).unwrap().unwrap().tokens.access_token,
            "kacc-1"
        );
        std::fs::remove_dir_all(&files).unwrap();

        let mut t = s.tokens.clone();
        t.access_token = "kacc-2".into();
        t.refresh_token = Some("kref-2".into());
        t.expires_at_ms = 77;
        save(&stores, "127.0.0.1:7007", &t).unwrap();
        let items = keyring.items.lock().unwrap().clone();
        assert_eq!(items.len(), 2, "replaced in place, nothing added");
        let secret = |account: &str| {
            items
                .iter()
                .find(|(a, _)| a["account"] == account && a["service"] == service)
                .map(|(_, s)| s.clone())
        };
        assert_eq!(secret("accessToken").as_deref(), Some("kacc-2"));
        assert_eq!(secret("refreshToken").as_deref(), Some("kref-2"));
        assert!(!files.exists(), "no secret file written");
        assert_eq!(
            load(&stores, url).unwrap().unwrap().tokens.expires_at_ms,
            77
        );
    }

    #[test]
    fn with_an_empty_secret_store_the_files_are_read_and_written() {
        use crate::signin::keytar::{fake::FakeKeyring, CliKeyringHandle};
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let keyring = Arc::new(FakeKeyring::default());
        let stores = Stores {
            cli_keyring: CliKeyringHandle::new(keyring.clone()),
            ..Stores::files_only(dir.path())
        };
        let url = "http://127.0.0.1:7007";
        write_layout(&stores, url, "facc-1", "fref-1", 3);
        let s = load(&stores, url).unwrap().unwrap();
        assert_eq!(s.tokens.access_token, "facc-1");
        let mut t = s.tokens.clone();
        t.access_token = "facc-2".into();
        t.refresh_token = Some("fref-2".into());
        save(&stores, "127.0.0.1:7007", &t).unwrap();
        assert!(keyring.items.lock().unwrap().is_empty(), "nothing created");
        let again = load(&stores, url).unwrap().unwrap();
        assert_eq!(again.tokens.access_token, "facc-2");
        assert_eq!(again.tokens.refresh_token.as_deref(), Some("fref-2"));
    }
}
