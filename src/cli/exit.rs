//! Exit codes: 0 success; 1 the answer is "no" (validation errors, no
//! such entity, an ambiguous name, a failed sync); 2 callboard could not
//! run (bad arguments, bad config, unreadable cache).

pub const EXIT_OK: u8 = 0;
pub const EXIT_NO: u8 = 1;
pub const EXIT_ERROR: u8 = 2;
