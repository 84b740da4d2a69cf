//! Catalog health, computed from the cached catalog alone: scorecards
//! (checks, levels, next steps), hygiene (the catalog's problems, grouped)
//! and impact (who to page when an entity goes down). Pure functions over
//! reports and [`crate::catalog::EntityLookup`]s; no I/O.

pub mod checks;
pub mod hygiene;
pub mod impact;
pub mod levels;
pub mod score;

pub use checks::{Check, CheckOutcome, Subject};
pub use impact::{impact, Impact, TeamImpact};
pub use levels::{Rule, Scorecard, ScorecardError};
pub use score::{score, summarize, CheckResult, EntityScore, ScoreSummary};
