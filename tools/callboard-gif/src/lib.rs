//! `callboard-gif`: the README's pictures, made from the vhs tapes
//! (`vhs/*.tape`) with nothing but Rust: each tape is replayed against the
//! TUI's TestBackend harness ([`replay`]), every frame's cells are drawn
//! with an 8x8 bitmap font ([`font`], [`render`]) and the frames written
//! as an animated GIF. vhs itself needs ttyd, ffmpeg and a browser; this
//! needs `cargo run`. Not shipped (`publish = false`).

pub mod font;
pub mod render;
pub mod replay;
pub mod tape;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Replay one tape and write its GIF to `out` (default: the tape's
/// `Output`, relative to the current directory). Returns the GIF's path,
/// its frame count and size in bytes.
pub fn record(
    tape_path: &Path,
    out: Option<&Path>,
    opts: &replay::Options,
) -> Result<(PathBuf, usize, u64)> {
    let text = std::fs::read_to_string(tape_path)
        .with_context(|| format!("reading {}", tape_path.display()))?;
    let steps =
        tape::parse_tape(&text).map_err(|e| anyhow::anyhow!("{}: {e}", tape_path.display()))?;
    let rec = replay::replay(&steps, opts)
        .with_context(|| format!("replaying {}", tape_path.display()))?;
    let out = match out {
        Some(o) => o.to_path_buf(),
        None => steps
            .iter()
            .find_map(|s| match s {
                tape::Step::Output(o) if o.ends_with(".gif") => Some(PathBuf::from(o)),
                _ => None,
            })
            .unwrap_or_else(|| tape_path.with_extension("gif")),
    };
    let frames: Vec<(render::Image, u64)> = rec
        .frames
        .iter()
        .map(|(b, ms)| (render::render(b), *ms))
        .collect();
    let mut bytes = Vec::new();
    render::write_gif(&mut bytes, &frames)?;
    std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    Ok((out, frames.len(), bytes.len() as u64))
}
