//! Debug builds only: a stand-in for the kernel keyring, so the binary's
//! `login` → `sync` → `logout` test runs on hosts (CI containers) where
//! keyctl is blocked. `CALLBOARD_TEST_KEYRING_DIR=<dir>` makes it take the
//! kernel keyring's place: one file a credential, mode 0600, in that
//! directory. It is never compiled into a release build.

use std::any::Any;
use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::Arc;

use keyring_core::api::{CredentialApi, CredentialStoreApi};
use keyring_core::{Entry, Error, Result};

/// The variable that swaps the kernel keyring for a [`FileStore`].
pub const DIR_VAR: &str = "CALLBOARD_TEST_KEYRING_DIR";

#[derive(Debug)]
pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    pub fn new(dir: impl Into<PathBuf>) -> Arc<FileStore> {
        Arc::new(FileStore { dir: dir.into() })
    }
}

impl CredentialStoreApi for FileStore {
    fn vendor(&self) -> String {
        "callboard test keyring (debug builds only)".to_string()
    }

    fn id(&self) -> String {
        self.dir.display().to_string()
    }

    fn build(
        &self,
        service: &str,
        user: &str,
        _modifiers: Option<&HashMap<&str, &str>>,
    ) -> Result<Entry> {
        // Hex keeps any name a safe file name.
        let hex: String = format!("{service}/{user}")
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Entry::new_with_credential(Arc::new(FileCredential {
            path: self.dir.join(hex),
            service: service.to_string(),
            user: user.to_string(),
        })))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[derive(Debug)]
struct FileCredential {
    path: PathBuf,
    service: String,
    user: String,
}

fn failure(e: std::io::Error) -> Error {
    match e.kind() {
        std::io::ErrorKind::NotFound => Error::NoEntry,
        _ => Error::PlatformFailure(Box::new(e)),
    }
}

impl CredentialApi for FileCredential {
    fn set_secret(&self, secret: &[u8]) -> Result<()> {
        let parent = self.path.parent().expect("a file in the store's directory");
        std::fs::create_dir_all(parent).map_err(failure)?;
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&self.path)
            .and_then(|mut f| f.write_all(secret))
            .map_err(failure)
    }

    fn get_secret(&self) -> Result<Vec<u8>> {
        std::fs::read(&self.path).map_err(failure)
    }

    fn delete_credential(&self) -> Result<()> {
        std::fs::remove_file(&self.path).map_err(failure)
    }

    fn get_credential(&self) -> Result<Option<Arc<keyring_core::api::Credential>>> {
        self.path.metadata().map(|_| None).map_err(failure)
    }

    fn get_specifiers(&self) -> Option<(String, String)> {
        Some((self.service.clone(), self.user.clone()))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_is_set_read_and_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path());
        let entry = store.build("callboard", "prod/ü", None).unwrap();
        assert!(matches!(entry.get_password(), Err(Error::NoEntry)));
        entry.set_password("tok-123").unwrap();
        let again = store.build("callboard", "prod/ü", None).unwrap();
        assert_eq!(again.get_password().unwrap(), "tok-123");
        again.delete_credential().unwrap();
        assert!(matches!(entry.get_password(), Err(Error::NoEntry)));
        assert!(matches!(entry.delete_credential(), Err(Error::NoEntry)));
    }
}
