//! Where callboard keeps its sign-ins: the OS keyring (the Secret Service;
//! service `callboard-signin`, user = the backend's URL), or where there is
//! none (a typical SSH host) a file per backend under the XDG data dir,
//! `$XDG_DATA_HOME/callboard/signins/<url>.json`, mode 0600 in a 0700
//! folder (`CALLBOARD_DATA_DIR` moves it). Each entry is one JSON record
//! ([`Tokens`]); a non-secret index lists the URLs signed in, so `auth
//! status` can list keyring entries it cannot enumerate.
//!
//! Also the cross-process lock a refresh is done under: a `flock` on a
//! file in `<data dir>/locks`.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{Origin, SignIn, Tokens};
use crate::source::auth::keyring::{self, KeyringError};
use crate::source::auth::Secret;

/// The keyring service of callboard's sign-ins.
pub const SERVICE: &str = "callboard-signin";
/// Moves the data dir (sign-in files, locks).
pub const DATA_DIR_VAR: &str = "CALLBOARD_DATA_DIR";

/// Where sign-ins are read and written: the data dir, and whether the OS
/// keyring is tried first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stores {
    pub data_dir: Option<PathBuf>,
    pub keyring: bool,
    /// backstage-cli's config dir (`$XDG_CONFIG_HOME/backstage-cli`) and
    /// secrets dir (`$XDG_DATA_HOME/backstage-cli/auth-secrets`).
    pub cli_config_dir: Option<PathBuf>,
    pub cli_secrets_dir: Option<PathBuf>,
    /// backstage-cli's keytar entries in the OS secret store (read before
    /// its files, as backstage-cli prefers keytar).
    pub cli_keyring: super::keytar::CliKeyringHandle,
}

impl Stores {
    /// From the environment: `CALLBOARD_DATA_DIR` or the XDG data dir;
    /// `CALLBOARD_KEYRING=none` turns the keyring off.
    pub fn from_env() -> Stores {
        let xdg = |var: &str, home_rel: &str| -> Option<PathBuf> {
            std::env::var_os(var)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .or_else(|| directories::BaseDirs::new().map(|d| d.home_dir().join(home_rel)))
        };
        let keyring = !matches!(std::env::var("CALLBOARD_KEYRING").as_deref(), Ok("none"));
        let secret_service = match std::env::var("CALLBOARD_KEYRING") {
            Ok(v) if !v.is_empty() => v.split(',').any(|s| s.trim() == "secret-service"),
            _ => true,
        };
        Stores {
            data_dir: std::env::var_os(DATA_DIR_VAR)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .or_else(|| {
                    directories::ProjectDirs::from("", "", "callboard")
                        .map(|d| d.data_dir().to_path_buf())
                }),
            keyring,
            cli_config_dir: xdg("XDG_CONFIG_HOME", ".config").map(|d| d.join("backstage-cli")),
            cli_secrets_dir: xdg("XDG_DATA_HOME", ".local/share")
                .map(|d| d.join("backstage-cli").join("auth-secrets")),
            cli_keyring: if keyring && secret_service {
                super::keytar::CliKeyringHandle::os()
            } else {
                Default::default()
            },
        }
    }

    /// Only files under `dir` (tests).
    pub fn files_only(dir: &Path) -> Stores {
        Stores {
            data_dir: Some(dir.join("callboard")),
            keyring: false,
            cli_config_dir: Some(dir.join("config/backstage-cli")),
            cli_secrets_dir: Some(dir.join("data/backstage-cli/auth-secrets")),
            cli_keyring: Default::default(),
        }
    }

    fn signins_dir(&self) -> Result<PathBuf, String> {
        self.data_dir
            .as_ref()
            .map(|d| d.join("signins"))
            .ok_or_else(|| {
                "no home or data directory is known (set CALLBOARD_DATA_DIR)".to_string()
            })
    }

    fn file_for(&self, url: &str) -> Result<PathBuf, String> {
        Ok(self
            .signins_dir()?
            .join(format!("{}.json", encode_component(url))))
    }

    /// callboard's own sign-in for `url`: the keyring's, else the file's.
    pub fn load(&self, url: &str) -> Result<Option<SignIn>, String> {
        if self.keyring {
            match keyring::get_from(SERVICE, url, true) {
                Ok(secret) => {
                    return parse(secret.expose()).map(|tokens| {
                        Some(SignIn {
                            tokens,
                            origin: Origin::Keyring,
                        })
                    })
                }
                Err(KeyringError::NoEntry) | Err(KeyringError::Unavailable(_)) => {}
                Err(KeyringError::Failed(why)) => {
                    return Err(format!("the OS keyring could not be read ({why})"))
                }
            }
        }
        let path = self.file_for(url)?;
        match std::fs::read_to_string(&path) {
            Ok(text) => parse(&text).map(|tokens| {
                Some(SignIn {
                    tokens,
                    origin: Origin::File(path),
                })
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Store `tokens` at `to` (a refresh writes back where it read), or
    /// with `None` in the keyring, else in a file. Returns where.
    pub fn save(&self, tokens: &Tokens, to: Option<&Origin>) -> Result<Origin, String> {
        let json = serde_json::to_string(tokens).expect("tokens serialize");
        let origin = match to {
            Some(Origin::File(path)) => {
                write_private(path, json.as_bytes())?;
                Origin::File(path.clone())
            }
            Some(Origin::Keyring) => {
                keyring::set_in(SERVICE, &tokens.url, &Secret::new(json), true)
                    .map_err(keyring_words)?;
                Origin::Keyring
            }
            Some(Origin::BackstageCli { .. }) => {
                return Err("a backstage-cli sign-in is written by backstage_cli::save".into())
            }
            None => {
                let in_keyring = self.keyring
                    && keyring::set_in(SERVICE, &tokens.url, &Secret::new(json.clone()), true)
                        .is_ok();
                if in_keyring {
                    // An older file copy would be found second; drop it.
                    let _ = std::fs::remove_file(self.file_for(&tokens.url)?);
                    Origin::Keyring
                } else {
                    let path = self.file_for(&tokens.url)?;
                    write_private(&path, json.as_bytes())?;
                    Origin::File(path)
                }
            }
        };
        self.index_add(&tokens.url)?;
        Ok(origin)
    }

    /// Remove the sign-in for `url` from the keyring and the file store;
    /// `true` when one was there.
    pub fn delete(&self, url: &str) -> Result<bool, String> {
        let mut deleted = false;
        if self.keyring {
            match keyring::delete_from(SERVICE, url, true) {
                Ok(d) => deleted |= d,
                Err(KeyringError::Unavailable(_)) | Err(KeyringError::NoEntry) => {}
                Err(KeyringError::Failed(why)) => {
                    return Err(format!("the OS keyring could not be changed ({why})"))
                }
            }
        }
        let path = self.file_for(url)?;
        match std::fs::remove_file(&path) {
            Ok(()) => deleted = true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot remove {}: {e}", path.display())),
        }
        self.index_remove(url)?;
        Ok(deleted)
    }

    /// The URLs signed in (from the index; no secrets in it).
    pub fn urls(&self) -> Vec<String> {
        let Ok(dir) = self.signins_dir() else {
            return Vec::new();
        };
        std::fs::read_to_string(dir.join("index"))
            .map(|s| {
                s.lines()
                    .map(str::to_string)
                    .filter(|l| !l.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn index_add(&self, url: &str) -> Result<(), String> {
        let mut urls = self.urls();
        if !urls.iter().any(|u| u == url) {
            urls.push(url.to_string());
            write_private(
                &self.signins_dir()?.join("index"),
                (urls.join("\n") + "\n").as_bytes(),
            )?;
        }
        Ok(())
    }

    fn index_remove(&self, url: &str) -> Result<(), String> {
        let urls: Vec<String> = self.urls().into_iter().filter(|u| u != url).collect();
        let path = self.signins_dir()?.join("index");
        if path.exists() {
            write_private(&path, (urls.join("\n") + "\n").as_bytes())?;
        }
        Ok(())
    }

    /// Take the cross-process lock named `key` (blocking until it is free).
    pub fn lock(&self, key: &str) -> Result<LockFile, String> {
        let dir = self
            .data_dir
            .as_ref()
            .map(|d| d.join("locks"))
            .ok_or_else(|| {
                "no data directory for the lock file (set CALLBOARD_DATA_DIR)".to_string()
            })?;
        make_private_dir(&dir)?;
        let path = dir.join(format!("{}.lock", encode_component(key)));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| format!("cannot open the lock file {}: {e}", path.display()))?;
        use std::os::fd::AsRawFd;
        loop {
            // SAFETY: flock on a file descriptor this function owns.
            let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
            if rc == 0 {
                return Ok(LockFile { _file: file });
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(format!("cannot lock {}: {e}", path.display()));
            }
        }
    }
}

/// Held while a refresh runs; the lock is released when dropped (closing
/// the file releases the `flock`).
pub struct LockFile {
    _file: std::fs::File,
}

fn parse(text: &str) -> Result<Tokens, String> {
    serde_json::from_str(text).map_err(|e| {
        format!(
            "the stored sign-in is not in the expected format ({}); run `callboard login` again",
            e.classify_words()
        )
    })
}

trait Words {
    fn classify_words(&self) -> &'static str;
}

impl Words for serde_json::Error {
    fn classify_words(&self) -> &'static str {
        // Never the error's own text: it may quote the secret.
        match self.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "not JSON",
            serde_json::error::Category::Data => "fields missing or of the wrong type",
            serde_json::error::Category::Eof => "cut short",
        }
    }
}

fn keyring_words(e: KeyringError) -> String {
    match e {
        KeyringError::NoEntry => "the keyring entry could not be created".to_string(),
        KeyringError::Unavailable(why) | KeyringError::Failed(why) => {
            format!("the OS keyring could not store it ({why})")
        }
    }
}

/// A folder only its owner may enter (0700), made if missing.
pub fn make_private_dir(dir: &Path) -> Result<(), String> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| format!("cannot restrict {}: {e}", dir.display()))
}

/// Write `bytes` to `path` (mode 0600, its folder 0700), atomically: a
/// temp file renamed into place.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path.parent().ok_or("a file path has a parent")?;
    make_private_dir(dir)?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("secret"),
        std::process::id()
    ));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .mode(0o600)
            .open(&tmp)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}

/// JavaScript's `encodeURIComponent`: what backstage-cli's file store
/// does to service and account names, and a safe file name for a URL.
pub fn encode_component(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(url: &str, access: &str) -> Tokens {
        Tokens {
            url: url.into(),
            client_id: format!("{url}/api/auth/.well-known/oauth-client/cli.json"),
            access_token: access.into(),
            refresh_token: Some("refresh-1".into()),
            expires_at_ms: 1,
            principal: Some("user:default/bob".into()),
        }
    }

    #[test]
    fn encodes_like_encode_uri_component() {
        assert_eq!(
            encode_component("backstage-cli:auth-instance:127.0.0.1:7007"),
            "backstage-cli%3Aauth-instance%3A127.0.0.1%3A7007"
        );
        assert_eq!(encode_component("http://h/a b"), "http%3A%2F%2Fh%2Fa%20b");
    }

    #[test]
    fn without_a_keyring_a_sign_in_is_a_0600_file_in_a_0700_folder() {
        let dir = tempfile::tempdir().unwrap();
        let stores = Stores::files_only(dir.path());
        let url = "http://127.0.0.1:7007";
        assert!(stores.load(url).unwrap().is_none());
        let origin = stores.save(&tokens(url, "acc-1"), None).unwrap();
        let Origin::File(path) = &origin else {
            panic!("{origin:?}")
        };
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        let loaded = stores.load(url).unwrap().unwrap();
        assert_eq!(loaded.tokens.access_token, "acc-1");
        assert_eq!(loaded.origin, origin);
        assert_eq!(stores.urls(), [url]);
        // Written back in place.
        stores.save(&tokens(url, "acc-2"), Some(&origin)).unwrap();
        assert_eq!(
            stores.load(url).unwrap().unwrap().tokens.access_token,
            "acc-2"
        );
        assert_eq!(stores.urls(), [url]);
        assert!(stores.delete(url).unwrap());
        assert!(!stores.delete(url).unwrap());
        assert!(stores.load(url).unwrap().is_none());
        assert!(stores.urls().is_empty());
    }

    #[test]
    fn a_damaged_record_says_so_without_quoting_it() {
        let dir = tempfile::tempdir().unwrap();
        let stores = Stores::files_only(dir.path());
        let url = "http://x";
        write_private(
            &stores.file_for(url).unwrap(),
            b"{\"access_token\": \"sekret-123\"",
        )
        .unwrap();
        let e = stores.load(url).unwrap_err();
        assert!(
            e.contains("callboard login") && !e.contains("sekret"),
            "{e}"
        );
    }

    #[test]
    fn the_lock_is_exclusive_across_open_files() {
        let dir = tempfile::tempdir().unwrap();
        let stores = Stores::files_only(dir.path());
        let held = stores.lock("k").unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let other = stores.clone();
        let t = std::thread::spawn(move || {
            let _l = other.lock("k").unwrap();
            tx.send(()).unwrap();
        });
        assert!(rx
            .recv_timeout(std::time::Duration::from_millis(200))
            .is_err());
        drop(held);
        rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
        t.join().unwrap();
    }
}
