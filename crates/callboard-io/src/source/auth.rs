//! Tokens for remote sources: from the OS keyring, an environment variable
//! or a command's standard output.
//!
//! A token is held in a [`Secret`], whose `Debug` and `Display` print
//! `[redacted]`; it is only ever put in an `Authorization` header (marked
//! sensitive). It is never written to the config, the cache, a log, an error
//! message or a process's arguments: a `command` runs as `sh -c COMMAND` with
//! the token read from its stdout. Error texts that might echo a server's
//! answer go through [`Secret::redact`].
//!
//! The keyring is the OS credential store through the keyring 4 ecosystem
//! (`keyring-core` and its store crates): on Linux the Secret Service (GNOME
//! Keyring, KWallet; needs a D-Bus session) and, where that is missing, the
//! kernel's keyutils keyring (kept in memory: lost at reboot).

use std::fmt;
use std::io::Read;
use std::process::{Command, Stdio};

use crate::config::TokenSource;

/// The keyring service name; the user is the endpoint's name.
pub const KEYRING_SERVICE: &str = "callboard";

/// A token. Never printed; its bytes are overwritten with zeros when it
/// is dropped, and once one exists the process is marked non-dumpable (no
/// core dump, no ptrace by other processes of the user) on Linux.
#[derive(PartialEq, Eq)]
pub struct Secret(String);

impl Clone for Secret {
    fn clone(&self) -> Secret {
        Secret::new(self.0.as_str())
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

/// Overwrite the whole buffer of `s` (its capacity, not just its length)
/// with zeros in a way the compiler does not remove, and empty it.
fn wipe(s: &mut String) {
    // SAFETY: zeros are valid UTF-8, and the string is emptied right after;
    // every byte written is inside the allocation (`capacity`).
    unsafe {
        let bytes = s.as_mut_vec();
        let ptr = bytes.as_mut_ptr();
        for i in 0..bytes.capacity() {
            std::ptr::write_volatile(ptr.add(i), 0);
        }
        bytes.set_len(0);
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
}

/// Mark the process non-dumpable (`prctl(PR_SET_DUMPABLE, 0)`): a crash
/// writes no core file holding the token and other processes of the same
/// user cannot read its memory. Once per process; Linux only.
fn protect_process_memory() {
    #[cfg(target_os = "linux")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: a plain prctl call with integer arguments.
            unsafe {
                libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
            }
        });
    }
}

impl Secret {
    pub fn new(token: impl Into<String>) -> Secret {
        protect_process_memory();
        let mut token: String = token.into();
        // No spare capacity: nothing of the token lies outside what `wipe`
        // overwrites after a later reallocation.
        token.shrink_to_fit();
        Secret(token)
    }

    /// The token itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the token replaced by `[redacted]`.
    pub fn redact(&self, text: &str) -> String {
        if self.0.len() < 4 {
            return text.to_string();
        }
        text.replace(&self.0, "[redacted]")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Why no token could be had. The messages never contain a token.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no token for '{source_name}' in the OS keyring; {fix}")]
    NoKeyringEntry { source_name: String, fix: String },
    #[error("no OS keyring is available here ({why}); {fix}")]
    NoKeyring { why: String, fix: String },
    #[error("the OS keyring could not be read ({why}); {fix}")]
    Keyring { why: String, fix: String },
    #[error("{var} is not set (it should hold the token for '{source_name}')")]
    EnvUnset { var: String, source_name: String },
    #[error("token command `{command}` failed: {why}")]
    Command { command: String, why: String },
    /// A stored sign-in could not be read or refreshed.
    #[error("{0}")]
    SignIn(String),
}

/// The token for source `name`, or `None` when the source sends none (an
/// unset optional variable).
pub fn resolve_token(name: &str, source: &TokenSource) -> Result<Option<Secret>, AuthError> {
    match source {
        TokenSource::Env { var, required } => match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => Ok(Some(Secret::new(v.trim()))),
            _ if !required => Ok(None),
            _ => Err(AuthError::EnvUnset {
                var: var.clone(),
                source_name: name.to_string(),
            }),
        },
        TokenSource::Command(command) => run_token_command(command).map(Some),
        TokenSource::Keyring { user } => keyring::get(user).map(Some).map_err(|e| match e {
            keyring::KeyringError::NoEntry => AuthError::NoKeyringEntry {
                source_name: name.to_string(),
                fix: source.how_to_fix(name),
            },
            keyring::KeyringError::Unavailable(why) => AuthError::NoKeyring {
                why,
                fix: format!(
                    "set `token: {{env: VAR}}` or `token: {{command: \"...\"}}` for source '{name}' in the config"
                ),
            },
            keyring::KeyringError::Failed(why) => AuthError::Keyring {
                why,
                fix: source.how_to_fix(name),
            },
        }),
    }
}

/// Run `sh -c COMMAND`; its stdout (trimmed) is the token. stdin and stderr
/// stay the terminal's, so `pass`/`gpg` can prompt.
fn run_token_command(command: &str) -> Result<Secret, AuthError> {
    let fail = |why: String| AuthError::Command {
        command: command.to_string(),
        why,
    };
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| fail(format!("cannot start sh: {e}")))?;
    let mut out = Vec::new();
    if let Some(mut stdout) = child.stdout.take() {
        stdout
            .read_to_end(&mut out)
            .map_err(|e| fail(format!("cannot read its output: {e}")))?;
    }
    let status = child.wait().map_err(|e| fail(e.to_string()))?;
    if !status.success() {
        return Err(fail(match status.code() {
            Some(code) => format!("it exited with status {code}"),
            None => "it was killed by a signal".to_string(),
        }));
    }
    let text = String::from_utf8(out).map_err(|_| fail("its output is not UTF-8".to_string()))?;
    // The first line: `pass show` prints the secret there and metadata below.
    let token = text.lines().next().unwrap_or_default().trim();
    if token.is_empty() {
        return Err(fail("it printed nothing on standard output".to_string()));
    }
    Ok(Secret::new(token))
}

/// Where `login` stored a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// The Secret Service (or the platform's keychain): kept across reboots.
    Persistent,
    /// The kernel keyring: kept in memory until reboot (or days unused).
    KernelKeyring,
}

/// Store the token for endpoint `name` in the OS keyring.
pub fn store_token(name: &str, token: &Secret) -> Result<Stored, AuthError> {
    keyring::set(name, token).map_err(|e| match e {
        keyring::KeyringError::Unavailable(why) => AuthError::NoKeyring {
            why,
            fix: no_keyring_advice(name),
        },
        keyring::KeyringError::Failed(why) => AuthError::Keyring {
            why,
            fix: no_keyring_advice(name),
        },
        keyring::KeyringError::NoEntry => AuthError::Keyring {
            why: "the entry could not be created".to_string(),
            fix: no_keyring_advice(name),
        },
    })
}

/// Remove endpoint `name`'s token from every keyring store that has it;
/// `Ok(false)` when none had one.
pub fn delete_token(name: &str) -> Result<bool, AuthError> {
    keyring::delete(name).map_err(|e| match e {
        keyring::KeyringError::Unavailable(why) => AuthError::NoKeyring {
            why,
            fix: no_keyring_advice(name),
        },
        keyring::KeyringError::Failed(why) => AuthError::Keyring {
            why,
            fix: "try again, or remove it with the keyring's own tool".to_string(),
        },
        keyring::KeyringError::NoEntry => AuthError::NoKeyringEntry {
            source_name: name.to_string(),
            fix: "there is nothing to remove".to_string(),
        },
    })
}

/// What to do on a host without a keyring service (SSH hosts, CI).
pub fn no_keyring_advice(name: &str) -> String {
    format!(
        "on a host without one (SSH sessions and CI often have no D-Bus session or Secret Service), \
         give the source a token another way in the config:\n\
         \x20 - name: {name}\n\
         \x20   url: https://backstage.example.com\n\
         \x20   token: {{env: BACKSTAGE_TOKEN}}              # read from this variable\n\
         \x20 # or\n\
         \x20   token: {{command: \"pass show backstage\"}}   # stdout of `sh -c`\n\
         For one-off use, `--endpoint URL` reads CALLBOARD_TOKEN."
    )
}

/// The OS keyring, behind one small interface. Stores are tried in order:
/// the Secret Service first, then the kernel keyring.
pub(crate) mod keyring {
    use super::{Secret, KEYRING_SERVICE};

    pub enum KeyringError {
        NoEntry,
        /// No store can be opened at all.
        Unavailable(String),
        Failed(String),
    }

    /// A keyring-core error in words, never with the secret bytes some
    /// variants carry.
    #[cfg(target_os = "linux")]
    pub(crate) fn describe(e: &keyring_core::Error) -> String {
        use keyring_core::Error as E;
        match e {
            E::PlatformFailure(inner) | E::NoStorageAccess(inner) => inner.to_string(),
            E::NoEntry => "no entry".to_string(),
            E::BadEncoding(_) => "the stored token is not UTF-8".to_string(),
            E::BadDataFormat(..) => "the stored token is in an unexpected format".to_string(),
            E::BadStoreFormat(s) => s.clone(),
            E::TooLong(attr, limit) => format!("{attr} is longer than {limit}"),
            E::Invalid(attr, why) => format!("{attr}: {why}"),
            E::Ambiguous(_) => "several entries match".to_string(),
            E::NoDefaultStore => "no credential store".to_string(),
            E::NotSupportedByStore(s) => s.clone(),
            _ => "unknown keyring error".to_string(),
        }
    }

    /// Tests and CI can turn a store off: `CALLBOARD_KEYRING=none` (no
    /// keyring at all) or `secret-service` (no kernel-keyring fallback).
    #[cfg(target_os = "linux")]
    fn enabled(store: &str) -> bool {
        match std::env::var("CALLBOARD_KEYRING") {
            Ok(v) if v == "none" => false,
            Ok(v) if !v.is_empty() => v.split(',').any(|s| s.trim() == store),
            _ => true,
        }
    }

    #[cfg(target_os = "linux")]
    type Store = std::sync::Arc<keyring_core::api::CredentialStore>;

    #[cfg(target_os = "linux")]
    fn stores(persistent_only: bool) -> Vec<(&'static str, Result<Store, String>)> {
        let mut out: Vec<(&'static str, Result<Store, String>)> = Vec::new();
        if enabled("secret-service") {
            let ss = if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none()
                && !std::env::var_os("XDG_RUNTIME_DIR")
                    .map(|d| std::path::Path::new(&d).join("bus").exists())
                    .unwrap_or(false)
            {
                Err("no D-Bus session bus".to_string())
            } else {
                zbus_secret_service_keyring_store::Store::new()
                    .map(|s| s as Store)
                    .map_err(|e| describe(&e))
            };
            out.push(("Secret Service", ss));
        }
        // The kernel keyring forgets at reboot: not a place for a sign-in's
        // refresh token (its stand-in in debug builds still counts, so the
        // keyring path can be tested without a keyring).
        #[cfg(debug_assertions)]
        let test_stand_in = std::env::var_os(crate::source::test_keyring::DIR_VAR).is_some();
        #[cfg(not(debug_assertions))]
        let test_stand_in = false;
        if enabled("keyutils") && (!persistent_only || test_stand_in) {
            out.push(("kernel keyring", kernel_keyring()));
        }
        out
    }

    #[cfg(target_os = "linux")]
    fn kernel_keyring() -> Result<Store, String> {
        // Debug builds: a test can put a file store in the kernel keyring's
        // place (see `test_keyring`), as CI containers often forbid keyctl.
        #[cfg(debug_assertions)]
        if let Some(dir) = std::env::var_os(crate::source::test_keyring::DIR_VAR) {
            return Ok(crate::source::test_keyring::FileStore::new(dir) as Store);
        }
        linux_keyutils_keyring_store::Store::new()
            .map(|s| s as Store)
            .map_err(|e| describe(&e))
    }

    #[cfg(target_os = "linux")]
    pub fn get(user: &str) -> Result<Secret, KeyringError> {
        get_from(KEYRING_SERVICE, user, false)
    }

    /// Read `service`/`user`; `persistent_only` leaves out the kernel keyring.
    #[cfg(target_os = "linux")]
    pub fn get_from(
        service: &str,
        user: &str,
        persistent_only: bool,
    ) -> Result<Secret, KeyringError> {
        let mut unavailable = Vec::new();
        let mut failed = None;
        let mut any_store = false;
        for (label, store) in stores(persistent_only) {
            let store = match store {
                Ok(s) => s,
                Err(why) => {
                    unavailable.push(format!("{label}: {why}"));
                    continue;
                }
            };
            let entry = match store.build(service, user, None) {
                Ok(e) => e,
                Err(e) => {
                    unavailable.push(format!("{label}: {}", describe(&e)));
                    continue;
                }
            };
            match entry.get_password() {
                Ok(token) => return Ok(Secret::new(token)),
                Err(keyring_core::Error::NoEntry) => any_store = true,
                Err(keyring_core::Error::NoStorageAccess(e)) => {
                    unavailable.push(format!("{label}: {e}"));
                }
                Err(e) => {
                    any_store = true;
                    failed.get_or_insert(format!("{label}: {}", describe(&e)));
                }
            }
        }
        match (failed, any_store) {
            (Some(why), _) => Err(KeyringError::Failed(why)),
            (None, true) => Err(KeyringError::NoEntry),
            (None, false) => Err(KeyringError::Unavailable(if unavailable.is_empty() {
                "no keyring store is enabled".to_string()
            } else {
                unavailable.join("; ")
            })),
        }
    }

    /// Store in the first store that takes it.
    #[cfg(target_os = "linux")]
    pub fn set(user: &str, token: &Secret) -> Result<super::Stored, KeyringError> {
        set_in(KEYRING_SERVICE, user, token, false)
    }

    /// Store `service`/`user` in the first store that takes it.
    #[cfg(target_os = "linux")]
    pub fn set_in(
        service: &str,
        user: &str,
        token: &Secret,
        persistent_only: bool,
    ) -> Result<super::Stored, KeyringError> {
        let mut why = Vec::new();
        for (label, store) in stores(persistent_only) {
            let result = store.and_then(|s| {
                let entry = s.build(service, user, None).map_err(|e| describe(&e))?;
                entry.set_password(token.expose()).map_err(|e| describe(&e))
            });
            match result {
                Ok(()) if label == "Secret Service" => return Ok(super::Stored::Persistent),
                Ok(()) => return Ok(super::Stored::KernelKeyring),
                Err(e) => why.push(format!("{label}: {e}")),
            }
        }
        Err(KeyringError::Unavailable(if why.is_empty() {
            "no keyring store is enabled".to_string()
        } else {
            why.join("; ")
        }))
    }

    /// Delete from every store; `Ok(true)` when one had it.
    #[cfg(target_os = "linux")]
    pub fn delete(user: &str) -> Result<bool, KeyringError> {
        delete_from(KEYRING_SERVICE, user, false)
    }

    /// Delete `service`/`user` from every store; `Ok(true)` when one had it.
    #[cfg(target_os = "linux")]
    pub fn delete_from(
        service: &str,
        user: &str,
        persistent_only: bool,
    ) -> Result<bool, KeyringError> {
        let mut deleted = false;
        let mut usable = false;
        let mut why = Vec::new();
        for (label, store) in stores(persistent_only) {
            let entry =
                match store.and_then(|s| s.build(service, user, None).map_err(|e| describe(&e))) {
                    Ok(e) => e,
                    Err(e) => {
                        why.push(format!("{label}: {e}"));
                        continue;
                    }
                };
            match entry.delete_credential() {
                Ok(()) => {
                    usable = true;
                    deleted = true;
                }
                Err(keyring_core::Error::NoEntry) => usable = true,
                Err(e) => why.push(format!("{label}: {}", describe(&e))),
            }
        }
        if usable {
            Ok(deleted)
        } else if why.is_empty() {
            Err(KeyringError::Unavailable(
                "no keyring store is enabled".to_string(),
            ))
        } else {
            Err(KeyringError::Unavailable(why.join("; ")))
        }
    }

    #[cfg(not(target_os = "linux"))]
    pub fn delete(_user: &str) -> Result<bool, KeyringError> {
        Err(KeyringError::Unavailable(
            "callboard's keyring support covers Linux only so far".to_string(),
        ))
    }

    #[cfg(not(target_os = "linux"))]
    pub fn get(_user: &str) -> Result<Secret, KeyringError> {
        Err(KeyringError::Unavailable(
            "callboard's keyring support covers Linux only so far".to_string(),
        ))
    }

    #[cfg(not(target_os = "linux"))]
    pub fn set(_user: &str, _token: &Secret) -> Result<super::Stored, KeyringError> {
        Err(KeyringError::Unavailable(
            "callboard's keyring support covers Linux only so far".to_string(),
        ))
    }

    #[cfg(not(target_os = "linux"))]
    pub fn get_from(_: &str, _: &str, _: bool) -> Result<Secret, KeyringError> {
        get("")
    }

    #[cfg(not(target_os = "linux"))]
    pub fn set_in(_: &str, _: &str, t: &Secret, _: bool) -> Result<super::Stored, KeyringError> {
        set("", t)
    }

    #[cfg(not(target_os = "linux"))]
    pub fn delete_from(_: &str, _: &str, _: bool) -> Result<bool, KeyringError> {
        delete("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("tok-123456");
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(s.redact("a tok-123456 b"), "a [redacted] b");
    }

    #[test]
    fn a_token_command_prints_the_token_on_stdout() {
        let t = run_token_command("printf 'abc-token\\nmeta: x\\n'").unwrap();
        assert_eq!(t.expose(), "abc-token");
        let e = run_token_command("exit 3").unwrap_err().to_string();
        assert!(e.contains("status 3"), "{e}");
        let e = run_token_command("true").unwrap_err().to_string();
        assert!(e.contains("printed nothing"), "{e}");
    }

    #[test]
    fn an_unset_variable_is_named() {
        let source = TokenSource::Env {
            var: "CALLBOARD_TEST_SURELY_UNSET_VAR".into(),
            required: true,
        };
        let e = resolve_token("prod", &source).unwrap_err().to_string();
        assert!(
            e.contains("CALLBOARD_TEST_SURELY_UNSET_VAR") && e.contains("prod"),
            "{e}"
        );
        let optional = TokenSource::Env {
            var: "CALLBOARD_TEST_SURELY_UNSET_VAR".into(),
            required: false,
        };
        assert!(resolve_token("prod", &optional).unwrap().is_none());
    }

    #[test]
    fn a_token_is_wiped_and_the_process_made_non_dumpable() {
        let mut s = String::with_capacity(64);
        s.push_str("tok-0123456789abcdef");
        let (ptr, cap) = (s.as_ptr(), s.capacity());
        wipe(&mut s);
        assert!(s.is_empty());
        // SAFETY: `s` still owns its buffer (only its length changed).
        let bytes = unsafe { std::slice::from_raw_parts(ptr, cap) };
        assert!(bytes.iter().all(|&b| b == 0));
        drop(s);

        let secret = Secret::new("tok-0123456789abcdef");
        assert_eq!(secret.clone().expose(), "tok-0123456789abcdef");
        #[cfg(target_os = "linux")]
        assert_eq!(unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) }, 0);
    }
}
