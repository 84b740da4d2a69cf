//! `callboard completions SHELL` and `callboard man`: shell completions and
//! the man page, generated from the same definition the parser uses, so
//! they always list the commands and options there are.

use std::io::Write;

use anyhow::Result;
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::exit::EXIT_OK;
use crate::cli::Cli;

/// The completion script for `shell` on `out`.
pub fn completions(shell: Shell, out: &mut dyn Write) -> Result<u8> {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "callboard", out);
    Ok(EXIT_OK)
}

/// The man page (section 1, roff) on `out`.
pub fn man(out: &mut dyn Write) -> Result<u8> {
    clap_mangen::Man::new(Cli::command()).render(out)?;
    Ok(EXIT_OK)
}
