//! Small drawing and editing parts the screens share: a one-line text
//! field ([`line_edit`]), list scrolling ([`list`]), one-line spans
//! ([`spans`]), the header with breadcrumbs ([`header`]), the status bar and
//! footers ([`status_bar`]), pop-up frames ([`popup`]) and the help pop-up
//! ([`help`]). Drawing is pure over what it is given.

pub mod header;
pub mod help;
pub mod line_edit;
pub mod list;
pub mod popup;
pub mod spans;
pub mod status_bar;

pub use line_edit::LineEdit;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// The spinner's frame `n` (advanced by ticks while something runs).
pub fn spinner(n: usize) -> &'static str {
    SPINNER[n % SPINNER.len()]
}
