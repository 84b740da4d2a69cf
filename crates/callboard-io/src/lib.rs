//! callboard's I/O layer: everything that touches the file system, SQLite,
//! HTTP or the keyring, over the pure model of `callboard-core`. It never
//! prints: progress and problems come back as values and callbacks, and
//! the front ends (the TUI, the command line) decide what to show.
//!
//! - [`config`]: the config file and the sources it names; [`demo`]: the
//!   embedded demo catalog.
//! - [`cache`]: one SQLite snapshot per source, replaced atomically.
//! - [`source`]: local repos (YAML with positions, Locations), Backstage
//!   backends (REST client, full and incremental sync), tokens.
//! - [`remotes`]: the registry of Backstage connections (one runtime, one
//!   HTTP client and one token per endpoint) everything remote goes through.
//! - [`signin`]: signing in as a user (OAuth with PKCE, like
//!   `backstage-cli auth login`), the tokens' stores, refreshing.
//! - [`sync`]: sources into the cache; [`clock`]: the time it reads and
//!   waits on (a manual one in tests).
//! - [`docs`]: finding and reading TechDocs, local or remote.
//! - [`detail`]: one entity as the TUI's entity screen shows it.
//! - [`template`]: local template runs, drafts, the scaffolder client.

pub mod cache;
pub mod clock;
pub mod config;
pub mod demo;
pub mod detail;
pub mod docs;
pub mod refresh;
pub mod remotes;
pub mod safe_fs;
pub mod signin;
pub mod source;
pub mod sync;
pub mod template;

#[cfg(test)]
mod test_server;
