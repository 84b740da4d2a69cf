//! `cargo run -p callboard-gif -- [--size 80x24] [--callboard PATH] [TAPE...]`
//! writes each tape's GIF where its `Output` line says (default: every
//! `vhs/*.tape`, run from the repository root). `--callboard` is the binary
//! for the commands the headless tape types (default: `callboard` next to
//! this program, i.e. `target/debug/callboard` after `cargo build`).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use callboard_gif::replay::Options;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut size = (80u16, 24u16);
    let mut callboard: Option<PathBuf> = std::env::current_exe()
        .ok()
        .and_then(|p| Some(p.parent()?.join("callboard")))
        .filter(|p| p.is_file());
    let mut tapes: Vec<PathBuf> = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--size" => {
                let v = args.next().context("--size needs COLSxROWS")?;
                let (c, r) = v.split_once('x').context("--size needs COLSxROWS")?;
                size = (c.parse()?, r.parse()?);
            }
            "--callboard" => {
                callboard = Some(args.next().context("--callboard needs a path")?.into())
            }
            "-h" | "--help" => {
                println!("usage: callboard-gif [--size 80x24] [--callboard PATH] [TAPE...]");
                return Ok(());
            }
            flag if flag.starts_with('-') => bail!("unknown option {flag}"),
            tape => tapes.push(tape.into()),
        }
    }
    if tapes.is_empty() {
        let mut found: Vec<PathBuf> = std::fs::read_dir("vhs")
            .context("no tapes given and no vhs/ here (run from the repository root)")?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "tape"))
            .collect();
        found.sort();
        tapes = found;
    }
    // A template's local run writes into the TUI's working directory.
    let work = tempfile::tempdir()?;
    let opts = Options {
        size,
        callboard,
        workdir: Some(work.path().to_path_buf()),
    };
    for tape in &tapes {
        let (out, frames, bytes) = callboard_gif::record(tape, None, &opts)?;
        println!(
            "{} -> {} ({frames} frames, {} KiB)",
            tape.display(),
            out.display(),
            bytes / 1024
        );
    }
    Ok(())
}
