//! Remote sources against the loopback fake of the Backstage API
//! (`tests/support`): the binary's remote commands, faults and retries,
//! incremental syncs and Scaffolder runs. One test binary, each file a
//! module.

#[path = "../support/mod.rs"]
mod support;

mod indexed_entity;
mod login_flow;
mod remote_cli;
mod remote_faults;
mod remote_sync;
mod snapshot_writer;
mod template_remote;
