//! `callboard-pageread`: the reference a remote sync is measured against
//! (`benches/remote_sync.sh`). It reads every page of
//! `GET /api/catalog/entities/by-query` over one keep-alive connection and
//! does nothing else: each body is read whole, then only searched for
//! `pageInfo.nextCursor` (no JSON parsing), and dropped.
//!
//! ```text
//! callboard-pageread --url http://127.0.0.1:7107 [--limit 1000] [--fields a,b] [--filter kind=group]
//! ```
//!
//! The token comes from `CALLBOARD_TOKEN` (sent as a bearer token when
//! set). `fields`, as in callboard, is sent again on every page (the
//! cursor does not carry it); `filter` only on the first (the cursor
//! does). Prints one line: pages, items announced, bytes, milliseconds.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use reqwest::header;

struct Args {
    url: String,
    limit: u32,
    fields: Option<String>,
    filter: Option<String>,
}

fn args() -> Result<Args> {
    let mut out = Args {
        url: String::new(),
        limit: 1000,
        fields: None,
        filter: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--url" => out.url = value()?.trim_end_matches('/').to_string(),
            "--limit" => out.limit = value()?.parse().context("--limit")?,
            "--fields" => out.fields = Some(value()?),
            "--filter" => out.filter = Some(value()?),
            "-h" | "--help" => {
                println!(
                    "callboard-pageread --url BASE [--limit N] [--fields F] [--filter F]\n\
                     Reads every by-query page over one connection (token: CALLBOARD_TOKEN)."
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}"),
        }
    }
    if out.url.is_empty() {
        bail!("--url is required");
    }
    Ok(out)
}

/// The `nextCursor` of a by-query answer, found by text: the last
/// `"nextCursor":"…"` in the body (`pageInfo` comes after the items).
/// Backstage's cursors are base64, so they hold no JSON escapes.
fn next_cursor(body: &[u8]) -> Option<&str> {
    const KEY: &[u8] = b"\"nextCursor\":\"";
    let at = body.windows(KEY.len()).rposition(|w| w == KEY)? + KEY.len();
    let len = body[at..].iter().position(|&b| b == b'"')?;
    std::str::from_utf8(&body[at..at + len])
        .ok()
        .filter(|c| !c.is_empty())
}

async fn run(args: Args) -> Result<(u64, u64)> {
    let token = std::env::var("CALLBOARD_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    // One connection: at most one idle per host, reused page after page.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()?;
    let base = reqwest::Url::parse(&format!("{}/api/catalog/entities/by-query", args.url))?;
    let mut cursor: Option<String> = None;
    let (mut pages, mut bytes) = (0u64, 0u64);
    loop {
        let mut url = base.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("limit", &args.limit.to_string());
            if let Some(f) = &args.fields {
                q.append_pair("fields", f);
            }
            match &cursor {
                Some(c) => {
                    q.append_pair("cursor", c);
                }
                None => {
                    if let Some(f) = &args.filter {
                        q.append_pair("filter", f);
                    }
                }
            }
        }
        let mut request = client.get(url).header(header::ACCEPT, "application/json");
        if let Some(t) = &token {
            request = request.bearer_auth(t);
        }
        let response = request.send().await?;
        let status = response.status();
        if !status.is_success() {
            bail!("page {}: {status}", pages + 1);
        }
        let body = response.bytes().await?;
        pages += 1;
        bytes += body.len() as u64;
        match next_cursor(&body) {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    Ok((pages, bytes))
}

fn main() -> Result<()> {
    let started = Instant::now();
    let args = args()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (pages, bytes) = runtime.block_on(run(args))?;
    println!(
        "{pages} pages, {bytes} bytes, {} ms",
        started.elapsed().as_millis()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::next_cursor;

    #[test]
    fn the_cursor_is_the_last_one_in_the_body() {
        let body = br#"{"items":[{"metadata":{"description":"\"nextCursor\":\"fake\""}}],"totalItems":3,"pageInfo":{"nextCursor":"YWJj+/="}}"#;
        assert_eq!(next_cursor(body), Some("YWJj+/="));
        assert_eq!(next_cursor(br#"{"items":[],"pageInfo":{}}"#), None);
    }
}
