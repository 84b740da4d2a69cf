//! Mutation fuzzing without libFuzzer (cargo-fuzz needs a nightly
//! compiler): every parser and renderer that reads untrusted text is fed
//! inputs mutated from seeds and a dictionary of its syntax, each input
//! under a time limit and a memory limit.
//!
//! - `cargo test -p callboard-tui --test fuzz` runs a short smoke (3 s a
//!   target; CI does this).
//! - The long run: `CALLBOARD_FUZZ_SECS=600 cargo test --release -p
//!   callboard-tui --test fuzz -- --nocapture --test-threads=5` (each target
//!   for 600 s, printing its executions).
//!
//! Limits: `CALLBOARD_FUZZ_INPUT_MS` per input (default 3000 in release,
//! 20000 in debug builds) and `CALLBOARD_FUZZ_MEM_MB` of memory allocated
//! by one input (default 512). A panic, a timeout or the memory limit is a
//! finding: the input is written to `target/fuzz-findings/` and the test
//! fails (the memory limit aborts the process after writing the input).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------- memory

/// The system allocator, counting what each thread holds; a thread with a
/// limit set fails an allocation past it (after writing its input out).
struct Counting;

thread_local! {
    static HELD: Cell<usize> = const { Cell::new(0) };
    static LIMIT: Cell<usize> = const { Cell::new(0) };
    static INPUT: Cell<(*const u8, usize)> = const { Cell::new((std::ptr::null(), 0)) };
    static FINDING_FD: Cell<i32> = const { Cell::new(-1) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let size = layout.size();
        let over = HELD
            .try_with(|h| {
                let limit = LIMIT.with(|l| l.get());
                let now = h.get().saturating_add(size);
                if limit > 0 && now > limit {
                    return true;
                }
                h.set(now);
                false
            })
            .unwrap_or(false);
        if over {
            // No allocation from here: raw writes of the input, then fail.
            let (ptr, len) = INPUT.with(|i| i.get());
            let fd = FINDING_FD.with(|f| f.get());
            if !ptr.is_null() && fd >= 0 {
                unsafe { libc::write(fd, ptr as *const libc::c_void, len) };
            }
            let msg =
                b"\nfuzz: an input went over the memory limit; it is in target/fuzz-findings/\n";
            unsafe { libc::write(2, msg.as_ptr() as *const libc::c_void, msg.len()) };
            return std::ptr::null_mut();
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = HELD.try_with(|h| h.set(h.get().saturating_sub(layout.size())));
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

// ---------------------------------------------------------------- inputs

/// xorshift64*: reproducible from the seed printed at the start.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One mutation of `input`: bytes changed, inserted, removed, duplicated,
/// dictionary words inserted, or another seed spliced in.
fn mutate(rng: &mut Rng, input: &mut Vec<u8>, seeds: &[&str], dict: &[&str]) {
    let pos = |rng: &mut Rng, v: &Vec<u8>| rng.below(v.len() + 1);
    match rng.below(9) {
        0 if !input.is_empty() => {
            let i = rng.below(input.len());
            input[i] = rng.next() as u8;
        }
        1 => {
            let i = pos(rng, input);
            const BYTES: &[u8] = b" \n-:[]{}&*!|>'\"#%$\\,.0";
            input.insert(i, BYTES[rng.below(BYTES.len())]);
        }
        2 if !input.is_empty() => {
            let a = rng.below(input.len());
            let b = (a + 1 + rng.below(16)).min(input.len());
            input.drain(a..b);
        }
        3 if !input.is_empty() => {
            // Duplicate a slice (nesting, repetition).
            let a = rng.below(input.len());
            let b = (a + 1 + rng.below(64)).min(input.len());
            let piece = input[a..b].to_vec();
            let times = 1 + rng.below(8);
            let at = pos(rng, input);
            for _ in 0..times {
                input.splice(at..at, piece.iter().copied());
            }
        }
        4..=6 => {
            let word = dict[rng.below(dict.len())].as_bytes();
            let at = pos(rng, input);
            input.splice(at..at, word.iter().copied());
        }
        7 => {
            let other = seeds[rng.below(seeds.len())].as_bytes();
            let a = rng.below(other.len() + 1);
            let b = a + rng.below(other.len() - a + 1);
            let at = pos(rng, input);
            input.splice(at..at, other[a..b].iter().copied());
        }
        _ => {
            let at = pos(rng, input);
            let n = 1 + rng.below(4);
            let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            input.splice(at..at, bytes);
        }
    }
    // Inputs stay under 64 KiB: big enough for nesting and tables, small
    // enough for many executions.
    input.truncate(64 * 1024);
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn findings_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz-findings");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run `target` on mutated inputs for the time budget; fail on the first
/// panic, timeout or memory overrun, with the input saved.
fn fuzz(name: &str, seeds: &[&str], dict: &[&str], target: fn(&str)) {
    let secs = env_u64("CALLBOARD_FUZZ_SECS", 3);
    let input_ms = env_u64(
        "CALLBOARD_FUZZ_INPUT_MS",
        if cfg!(debug_assertions) {
            20_000
        } else {
            3_000
        },
    );
    let mem = env_u64("CALLBOARD_FUZZ_MEM_MB", 512) as usize * 1024 * 1024;
    let seed = env_u64(
        "CALLBOARD_FUZZ_SEED",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            | 1,
    );
    let dir = findings_dir();
    let pending = dir.join(format!("{name}-memory.txt"));
    let pending_file = std::fs::File::create(&pending).unwrap();
    let (to_worker, inputs) = mpsc::channel::<Vec<u8>>();
    let (to_main, results) = mpsc::channel::<Result<(), String>>();
    std::thread::Builder::new()
        .name(format!("fuzz-{name}"))
        .stack_size(64 << 20)
        .spawn(move || {
            use std::os::fd::AsRawFd;
            FINDING_FD.with(|f| f.set(pending_file.as_raw_fd()));
            for input in inputs {
                let text = String::from_utf8_lossy(&input).into_owned();
                INPUT.with(|i| i.set((text.as_ptr(), text.len())));
                HELD.with(|h| h.set(0));
                LIMIT.with(|l| l.set(mem));
                let outcome = std::panic::catch_unwind(|| target(&text));
                LIMIT.with(|l| l.set(0));
                let outcome = outcome.map_err(|p| {
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default()
                });
                if to_main.send(outcome).is_err() {
                    break;
                }
            }
        })
        .unwrap();
    let mut rng = Rng(seed);
    let mut pool: Vec<Vec<u8>> = seeds.iter().map(|s| s.as_bytes().to_vec()).collect();
    let started = Instant::now();
    let mut runs = 0u64;
    let mut slowest = Duration::ZERO;
    while started.elapsed() < Duration::from_secs(secs) {
        let mut input = pool[rng.below(pool.len())].clone();
        for _ in 0..1 + rng.below(8) {
            mutate(&mut rng, &mut input, seeds, dict);
        }
        let save = |kind: &str, detail: &str| {
            let path = dir.join(format!("{name}-{kind}-{seed}-{runs}.txt"));
            std::fs::write(&path, &input).unwrap();
            format!(
                "fuzz {name}: {kind} after {runs} runs (seed {seed}): {detail}; input in {}",
                path.display()
            )
        };
        let one = Instant::now();
        to_worker.send(input.clone()).unwrap();
        match results.recv_timeout(Duration::from_millis(input_ms)) {
            Ok(Ok(())) => {}
            Ok(Err(message)) => panic!("{}", save("panic", &message)),
            Err(_) => panic!("{}", save("timeout", &format!("over {input_ms} ms"))),
        }
        slowest = slowest.max(one.elapsed());
        runs += 1;
        // Keep some inputs to grow from (no coverage feedback: a small,
        // rotating pool keeps depth without losing the seeds).
        if rng.below(16) == 0 {
            if pool.len() < 256 {
                pool.push(input);
            } else {
                let i = seeds.len() + rng.below(pool.len() - seeds.len());
                pool[i] = input;
            }
        }
    }
    let _ = std::fs::remove_file(&pending);
    let mut out = std::io::stderr();
    let _ = writeln!(
        out,
        "fuzz {name}: {runs} executions in {:.0} s, slowest input {:.0} ms, no finding (seed {seed})",
        started.elapsed().as_secs_f64(),
        slowest.as_secs_f64() * 1000.0
    );
}

// ---------------------------------------------------------------- targets

const YAML_SEEDS: &[&str] = &[
    "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a\n  annotations:\n    x: 'y'\nspec:\n  type: service\n  owner: team-a\n  lifecycle: production\n",
    "---\na: &x [1, 2, {b: *x}]\n...\n--- !tag\n- |\n  block\n- >-\n  folded\n",
    "{\"apiVersion\": \"v1\", \"kind\": \"User\", \"metadata\": {\"name\": \"\\ud83d\\udc68\"}}\n",
    "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n",
    "? complex\n: value\n%YAML 1.2\n---\n\"\\x41\\u00e9\": !!str 1\n",
];
const YAML_DICT: &[&str] = &[
    "&a ",
    "*a",
    "&b ",
    "*b",
    "<<: ",
    "!!binary ",
    "!!str ",
    "!",
    "? ",
    ": ",
    "- ",
    "---\n",
    "...\n",
    "|+\n",
    ">-\n",
    "[",
    "]",
    "{",
    "}",
    "\"\\u",
    "\\ud83d",
    "\\udc68",
    "'",
    "#",
    "%YAML 1.2\n",
    "%TAG ! tag:x:\n",
    "\t",
    "\r\n",
    "\u{feff}",
    "  ",
    "\n  ",
    "$text: ",
    "$json: ",
    "$yaml: ",
    "null",
    "~",
    "0x1F",
    "1e999",
    ".nan",
];

#[test]
fn yaml_loader() {
    fuzz("yaml", YAML_SEEDS, YAML_DICT, |text| {
        let (docs, errors) = callboard_io::source::yaml::parse_documents(text);
        for e in &errors {
            let _ = format!("{e:?}");
        }
        let _ = docs.len();
    });
}

const REF_SEEDS: &[&str] = &[
    "component:default/a",
    "group:team-a",
    "b",
    "user:ns/x.y_z-0",
    "Template:Default/Hello",
    ":/:",
];
const REF_DICT: &[&str] = &[
    ":",
    "/",
    "default/",
    "component:",
    "é",
    "\u{0}",
    " ",
    ".",
    "-",
    "__",
];

#[test]
fn ref_parser() {
    use callboard_core::catalog::entity_ref::{short_ref, split_ref};
    use callboard_core::catalog::EntityRef;
    fuzz("refs", REF_SEEDS, REF_DICT, |text| {
        let _ = split_ref(text);
        let _ = short_ref(text);
        if let Ok(r) = EntityRef::parse(text) {
            let canonical = r.canonical();
            let again = EntityRef::parse(&canonical).expect("a canonical ref parses");
            assert_eq!(again.canonical(), canonical, "canonical is stable");
            let _ = r.display_short();
        }
    });
}

const TEMPLATE_SEEDS: &[&str] = &[
    "${{ parameters.name | upper }}-${{ values.x or 'd' }}",
    "{% for i in range(0, 3) %}${{ loop.index }}{% else %}none{% endfor %}",
    "{% if a %}A{% elif b %}B{% else %}C{% endif %}",
    "{% set s = 'ab' %}{% set s = s + s %}${{ s | replace('a', 'bb') }}",
    "${{ [1, 2, 3] | join(',') }} ${{ {'a': 1}.a }} ${{ 'x' if true else 'y' }}",
    "{% raw %}${{ not }}{% endraw %}{# comment #}{%- if x -%} t {%- endif %}",
    "${{ parameters.list | length }} ${{ 'abc'.split('b') }} ${{ 3 * 4 / 2 ** 3 }}",
];
const TEMPLATE_DICT: &[&str] = &[
    "${{ ",
    " }}",
    "{% ",
    " %}",
    "{%- ",
    " -%}",
    "if ",
    "endif",
    "for x in ",
    "endfor",
    "set ",
    "= ",
    "+ ",
    "~ ",
    "| replace('a', 'aa')",
    "| upper",
    "| join",
    "| dump",
    "| trim",
    "range(0, 9)",
    "parameters.name",
    "s + s",
    "loop.index",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "'",
    "\"",
    "raw",
    "endraw",
    "elif ",
    "else",
    "not ",
    " and ",
    " or ",
    " in ",
    " is ",
    "**",
    "%",
    ".length",
    "* 99999",
    "| repeat(9999)",
    "|",
];

#[test]
fn template_engine() {
    use callboard_core::template::expr::{eval_expr, render_str, Syntax, Val};
    fuzz("template", TEMPLATE_SEEDS, TEMPLATE_DICT, |text| {
        let ctx = &Val::from(&serde_json::json!({
            "parameters": {"name": "svc", "list": [1, "two", {"three": 3}], "flag": true},
            "values": {"x": "y"},
            "s": "ab", "a": 1, "b": 0,
        }));
        let _ = render_str(text, ctx, Syntax::default());
        let cookie = Syntax {
            cookiecutter: true,
            trim_blocks: true,
            lstrip_blocks: true,
        };
        let _ = render_str(text, ctx, cookie);
        let _ = eval_expr(text, ctx);
    });
}

const DOCS_SEEDS: &[&str] = &[
    "# Title\n\nSome *text* with `code` and a [link](other.md#x).\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- one\n  - two\n\n```rust\nfn x() {}\n```\n",
    "<h1>T</h1><p>para <b>bold</b> <a href=\"x\">l</a></p><ul><li>a<ul><li>b</li></ul></li></ul><table><tr><th>h</th></tr><tr><td>c</td></tr></table><pre><code>x</code></pre>",
    "> quote\n> > nested\n\n1. a\n2. b\n\n[ref]: http://x\n\n![img](i.png)\n\n---\n\nTerm\n: def\n",
    "<div><script>x</script><style>y</style>&amp;&#x41;&#65;&bogus;<br/><img alt=\"a\"></div>",
];
const DOCS_DICT: &[&str] = &[
    "|",
    "|---",
    "\n",
    "- ",
    "  ",
    "> ",
    "#",
    "```",
    "`",
    "*",
    "_",
    "[",
    "](",
    ")",
    "<ul>",
    "<li>",
    "</li>",
    "</ul>",
    "<table>",
    "<tr>",
    "<td>",
    "</td>",
    "<ol>",
    "<pre>",
    "<code>",
    "&amp;",
    "&#",
    "<!--",
    "-->",
    "<a href=\"",
    "\">",
    "</a>",
    "1. ",
    "\t",
    "\\",
    "<",
    ">",
    "\u{1b}[31m",
    "\r",
    "| x | y | z |",
    "|:-:|",
];

#[test]
fn docs_renderer() {
    use callboard_tui::docs_render::{first_screens, prepare, render, RenderOptions};
    fuzz("docs", DOCS_SEEDS, DOCS_DICT, |text| {
        let md = callboard_core::docs::html::to_markdown(text);
        for page in [text, md.as_str()] {
            let opts = RenderOptions {
                width: 80,
                palette: callboard_tui::theme::Palette::Dark,
            };
            let _ = first_screens(page, opts);
            let prepared = prepare(page);
            let _ = prepared.outline();
            let rendered = render(
                page,
                &prepared,
                RenderOptions {
                    width: 20,
                    palette: callboard_tui::theme::Palette::Mono,
                },
                None,
            );
            let _ = rendered.find("a");
        }
    });
}

const MKDOCS_SEEDS: &[&str] = &[
    "site_name: S\nsite_description: d\ndocs_dir: docs\nnav:\n  - Home: index.md\n  - Section:\n      - Page: a/b.md\n      - Link: https://x\n  - plain.md\n",
    "site_name: S\nmarkdown_extensions:\n  - pymdownx.emoji:\n      emoji_index: !!python/name:material.extensions.emoji.twemoji\nplugins: [techdocs-core]\n",
    "a: &a [x, x]\nb: &b [*a, *a]\nnav: *b\n",
];

#[test]
fn mkdocs_reader() {
    fuzz("mkdocs", MKDOCS_SEEDS, YAML_DICT, |text| {
        let _ = callboard_core::docs::mkdocs::parse(text, "mkdocs.yml");
    });
}
