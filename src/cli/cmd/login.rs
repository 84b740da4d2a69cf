//! `callboard login NAME --token` / `logout NAME`: a Backstage endpoint's
//! static token in the OS keyring (signing in as a user is `signin.rs`).

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{bail, Result};
use callboard_io::config::{Source, SourceKind};
use callboard_io::source::auth::Secret;

use crate::cli::exit::{EXIT_ERROR, EXIT_NO, EXIT_OK};
use crate::cli::output::clean;
use crate::cli::session::Session;

/// `callboard login NAME --token`: read a token without echo, check it against the
/// endpoint when the config names it, store it in the OS keyring.
pub fn login(session: &Session, name: &str) -> Result<u8> {
    use callboard_io::config::TokenSource;
    use callboard_io::source::auth::{no_keyring_advice, store_token, Stored};

    let endpoint = match session.sources.iter().find(|s| s.name == name) {
        Some(Source {
            kind: SourceKind::Remote(endpoint),
            ..
        }) => Some(endpoint),
        Some(_) => bail!("source '{name}' reads local files; `login` is for Backstage endpoints (sources with a `url`)"),
        None => {
            say(&format!(
                "note: the config has no endpoint named '{}'; the token is stored for one you add with that name",
                clean(name)
            ));
            None
        }
    };
    if let Some(ep) = endpoint {
        if !matches!(ep.token, TokenSource::Keyring { .. }) {
            say(&format!(
                "note: source '{}' takes its token from {}; the keyring entry is only used with `token: {{keyring: true}}` (the default)",
                clean(name),
                clean(&ep.token.describe())
            ));
        }
    }
    let token = match read_token_interactively(name) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("callboard: login: {e}");
            return Ok(EXIT_ERROR);
        }
    };
    if let Some(ep) = endpoint {
        let checked = session.remotes.check_token(name, ep, token.clone());
        match checked {
            Ok(n) => say(&format!(
                "{} accepted the token ({})",
                clean(&ep.url),
                callboard_core::text::counted(n as usize, "entity")
            )),
            Err(e)
                if matches!(
                    e.kind,
                    callboard_io::source::backstage::ErrorKind::Unauthorized
                        | callboard_io::source::backstage::ErrorKind::Forbidden
                ) =>
            {
                eprintln!("callboard: {}", clean(&token.redact(&e.to_string())));
                eprintln!("callboard: the token was not stored");
                return Ok(EXIT_NO);
            }
            Err(e) => say(&format!(
                "could not check the token ({}); storing it anyway",
                clean(&token.redact(&e.to_string()))
            )),
        }
    }
    match store_token(name, &token) {
        Ok(Stored::Persistent) => {
            say(&format!(
                "stored in the OS keyring (Secret Service) as service 'callboard', user '{}'",
                clean(name)
            ));
            Ok(EXIT_OK)
        }
        Ok(Stored::KernelKeyring) => {
            say(&format!(
                "No Secret Service is running here, so the token went to the kernel keyring: it is kept in memory \
                 for this user until reboot (or a few days unused), then `callboard login {}` is needed again.\n\
                 For a lasting setup, {}",
                clean(name),
                no_keyring_advice(name)
            ));
            Ok(EXIT_OK)
        }
        Err(e) => {
            eprintln!("callboard: cannot store the token: {e}");
            Ok(EXIT_ERROR)
        }
    }
}

/// `callboard logout URL|NAME`: sign out (revoke and delete the sign-in)
/// and remove a static token stored under NAME from the keyring.
pub fn logout(session: &Session, name: &str) -> u8 {
    let signed_out = crate::cli::cmd::signin::logout(session, name);
    let is_url = name.contains("://");
    if is_url {
        return signed_out.unwrap_or_else(|| {
            eprintln!(
                "callboard: there is no sign-in of callboard's for {}",
                clean(name)
            );
            EXIT_NO
        });
    }
    match callboard_io::source::auth::delete_token(name) {
        Ok(true) => {
            eprintln!(
                "removed the token for '{}' from the OS keyring",
                clean(name)
            );
            EXIT_OK
        }
        Ok(false) if signed_out.is_some() => signed_out.unwrap_or(EXIT_OK),
        Ok(false) => {
            eprintln!("the OS keyring holds no token for '{}'", clean(name));
            EXIT_NO
        }
        Err(_) if signed_out.is_some() => signed_out.unwrap_or(EXIT_OK),
        Err(e) => {
            eprintln!("callboard: {e}");
            EXIT_ERROR
        }
    }
}

/// Read a token for `callboard login`: without echo from the terminal, or
/// one line from stdin when stdin is not a terminal (scripts, tests).
pub fn read_token_interactively(name: &str) -> std::io::Result<Secret> {
    let token = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("Token for '{name}' (input hidden): "))?
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line
    };
    let token = token.trim();
    if token.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "no token was entered",
        ));
    }
    if token.chars().any(char::is_whitespace) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "a token has no spaces; paste only the token",
        ));
    }
    Ok(Secret::new(token))
}

/// Write a line to stderr (login's messages).
pub fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}
