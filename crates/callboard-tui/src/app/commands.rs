//! The overlays: the `:` command line and the help pop-up, and what the
//! commands do.

use super::{App, Effect, Mode};
use crate::command::{self, Command};
use crate::keymap::Action;
use crate::messages::Request;
use crate::theme::Theme;
use crate::widgets::LineEdit;
use callboard_core::text;

impl App {
    pub(super) fn update_command(&mut self, line: &mut LineEdit, action: Action) {
        match action {
            Action::Back => self.mode = Mode::Normal,
            Action::Open => {
                self.mode = Mode::Normal;
                match command::parse(&line.text) {
                    Ok(cmd) => self.run_command(cmd),
                    Err(e) => self.fail(e),
                }
            }
            Action::Backspace if line.text.is_empty() => self.mode = Mode::Normal,
            edit => {
                line.edit(&edit);
                self.mode = Mode::Command(line.clone());
            }
        }
    }

    pub(super) fn update_help(&mut self, scroll: usize, action: Action) {
        let rows = self.keymap.help_rows().len() + 8;
        let page = self.size.1.saturating_sub(6).max(1) as usize;
        let max = rows.saturating_sub(page);
        let scroll = match action {
            Action::Back | Action::Help | Action::Quit => {
                self.mode = Mode::Normal;
                return;
            }
            Action::Down | Action::ScrollDown => scroll + 1,
            Action::Up | Action::ScrollUp => scroll.saturating_sub(1),
            Action::HalfPageDown | Action::PageDown => scroll + page / 2,
            Action::HalfPageUp | Action::PageUp => scroll.saturating_sub(page / 2),
            Action::Top => 0,
            Action::Bottom => max,
            _ => scroll,
        };
        self.mode = Mode::Help {
            scroll: scroll.min(max),
        };
    }

    fn run_command(&mut self, cmd: Command) {
        match cmd {
            Command::Quit => self.quit = true,
            Command::Sync => self.start_sync(),
            Command::CancelSync => self.cancel_sync(),
            Command::Templates => self.open_templates(),
            Command::Help => self.mode = Mode::Help { scroll: 0 },
            Command::Filter(key, values) => {
                let query = command::with_filter(&self.catalog.query.text, key, &values);
                self.show_query(&query);
                if values.is_empty() {
                    self.say(format!("{} filter removed", key.as_str()));
                } else {
                    let filter = format!("{}:{}", key.as_str(), values.join(","));
                    if let Some(hint) = command::suggestions(&filter).first() {
                        self.fail(format!("{}: {hint}", text::one_line(&filter)));
                    }
                }
            }
            Command::Clear => self.show_query(""),
            Command::Find(text) => {
                let query = command::with_text(&self.catalog.query.text, &text);
                self.show_query(&query);
            }
            Command::Open(input) => {
                self.say(format!("looking up {}…", text::one_line(&input)));
                self.effects.push(Effect::Request(Request::Resolve(input)));
            }
            Command::Theme(name) => {
                match Theme::select(Some(&name), self.env.no_color, self.env.background) {
                    Ok(theme) => {
                        self.theme = theme;
                        if self.env.no_color && theme.name != name {
                            self.say("NO_COLOR is set: the mono theme stays");
                        } else if Theme::is_auto(Some(&name)) {
                            self.say(format!("auto: the {} theme", theme.name));
                        }
                        // An open docs page is rendered again in the new colours.
                        self.show_docs();
                    }
                    Err(e) => self.fail(e),
                }
            }
        }
    }

    /// Back to the catalog with this query, the list focused.
    fn show_query(&mut self, query: &str) {
        self.stack.clear();
        self.catalog.show_query(query);
    }

    pub(super) fn start_sync(&mut self) {
        if self.sync.is_some() {
            // The sync key again cancels it (the status bar says so).
            self.cancel_sync();
            return;
        }
        self.effects.push(Effect::StartSync);
        self.say("sync started");
    }

    /// Stop the running sync: the download ends at once and the last
    /// snapshot stays.
    pub(super) fn cancel_sync(&mut self) {
        match &mut self.sync {
            Some(s) => {
                s.cancelling = true;
                self.effects.push(Effect::CancelSync);
                self.say("cancelling the sync…");
            }
            None => self.say("no sync is running"),
        }
    }
}
