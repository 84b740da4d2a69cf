//! Link the `callboard` binary as a fixed-address (non-PIE) executable on
//! Linux/glibc. A PIE binary this size carries ~44,000 relative
//! relocations: the loader writes every pointer in `.data.rel.ro` at each
//! start, one private (copy-on-write) page fault per 4 KB page, ~160 of them.
//! Without PIE those pages are plain file pages shared across runs, which
//! takes ~0.5 ms off every short command (`show`, `search`, `--version`);
//! see the README's Benchmarks. The objects stay position-independent
//! (only the final link changes, so no dependency is rebuilt); shared
//! libraries keep their address randomisation, the binary's own image
//! loses it.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
