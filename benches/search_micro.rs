//! Micro-benchmarks for `callboard_core::search`: decoding the cached corpus and
//! ranking it (with and without the TUI list's index), over 10k and 100k
//! synthetic entities.
//!
//! `cargo bench --bench search_micro`
//!
//! The synthetic catalog: names of one or two domain words plus a suffix
//! (`payments-gateway-api-17`), a title on 60% of them, ten spec types, 150
//! owner groups, 0-3 tags from 30, descriptions of 6-19 words (~90 bytes);
//! kinds weighted like a real catalog (half Components, a fifth APIs).

use std::hint::black_box;

use callboard_core::search::{
    decode_corpus, encode_corpus, parse_query, rank, search, Corpus, Index, Options, Plan, Scope,
    SearchRecord,
};
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};

/// A deterministic xorshift generator: the same corpus on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.below(v.len() as u64) as usize]
    }
}

const DOM: &str = "payments checkout inventory search auth user profile ledger billing \
    notification gateway orders shipping catalog pricing cart fraud risk \
    identity session analytics reporting metrics logging audit config feature \
    flags email sms push media image video upload storage cache queue events \
    stream ingest export import sync scheduler cron workflow approval review \
    rating recommend personalize ads campaign coupon loyalty rewards wallet \
    refund invoice tax currency fx settlement payout merchant partner vendor \
    supplier warehouse fulfilment returns tracking routing maps geo location \
    store kiosk mobile web admin portal dashboard console support ticket chat \
    bot voice translate i18n content cms blog docs help status health probe \
    canary deploy build release artifact registry secrets vault keys token oauth \
    sso ldap directory people hr payroll benefits finance accounting budget \
    forecast planning supply demand ml model training inference feature-store \
    etl warehouse-dw lake graph index crawler scraper sitemap seo edge cdn dns \
    proxy mesh ingress firewall waf ddos backup restore archive retention \
    compliance gdpr consent privacy telemetry tracing alerting oncall incident \
    postmortem";
const SUF: &str = "api service worker ui web db lib sdk cli job consumer producer adapter \
    bridge core frontend backend gateway proxy daemon";
const TYPES: &str = "service website library openapi grpc asyncapi database s3-bucket queue tool";
const WORDS: &str = "the a service that handles for and of to with in provides manages stores \
    processes requests data customer internal external api events from on backed \
    by used teams all legacy new platform shared responsible exposes endpoints \
    queries writes reads publishes consumes messages records reports daily batch \
    real-time cluster deployed region owned maintained library client \
    integration with third-party provider checkout payment order user account \
    product inventory price shipping notification email authentication \
    authorization token session cache search index metrics logs alerts dashboard \
    workflow approval invoice refund ledger balance transfer settlement fraud \
    risk score model feature experiment rollout config secret certificate backup \
    migration schema version deprecated replaced soon see docs runbook contact \
    team channel slack please do not call directly use instead wrapper around \
    postgres kafka redis elasticsearch s3 dynamodb graphql rest grpc openapi \
    spec mobile web ios android frontend backend edge cdn";
const TAGS: &str = "java go python rust typescript kotlin kafka grpc rest graphql postgres redis \
    aws gcp k8s pci gdpr tier-1 tier-2 tier-3 critical internal public beta \
    legacy ml batch streaming frontend backend";
const KINDS: &[(&str, u64)] = &[
    ("Component", 50),
    ("API", 20),
    ("Resource", 10),
    ("System", 5),
    ("Group", 5),
    ("User", 8),
    ("Domain", 1),
    ("Template", 1),
];

fn gen(n: usize) -> Vec<SearchRecord> {
    let split = |s: &'static str| s.split_whitespace().collect::<Vec<_>>();
    let (dom, suf, types, words, tags) = (
        split(DOM),
        split(SUF),
        split(TYPES),
        split(WORDS),
        split(TAGS),
    );
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    (0..n)
        .map(|i| {
            let mut k = r.below(100);
            let mut kind = "Component";
            for (name, weight) in KINDS {
                if k < *weight {
                    kind = name;
                    break;
                }
                k -= weight;
            }
            let mut name = String::new();
            for j in 0..1 + r.below(2) {
                if j > 0 {
                    name.push('-');
                }
                name.push_str(r.pick(&dom));
            }
            name.push('-');
            name.push_str(r.pick(&suf));
            if r.below(3) > 0 {
                name.push_str(&format!("-{}", i % 997));
            }
            let title = if r.below(10) < 6 {
                name.split('-')
                    .map(|w| {
                        let mut c = w.chars();
                        c.next()
                            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                            .unwrap_or_default()
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            } else {
                String::new()
            };
            let spec_type = r.pick(&types).to_string();
            let owner = format!("group:default/team-{}", r.pick(&dom));
            let tags = (0..r.below(4)).map(|_| r.pick(&tags).to_string()).collect();
            let mut description = String::new();
            for j in 0..6 + r.below(14) {
                if j > 0 {
                    description.push(' ');
                }
                description.push_str(r.pick(&words));
            }
            description[..1].make_ascii_uppercase();
            description.push('.');
            let lifecycle = ["production", "experimental", "deprecated"][r.below(3) as usize];
            SearchRecord {
                entity_ref: format!("{}:default/{}", kind.to_lowercase(), name),
                kind: kind.into(),
                namespace: "default".into(),
                name,
                title,
                spec_type,
                owner,
                lifecycle: lifecycle.into(),
                system: format!("system:default/{}", r.pick(&dom)),
                tags,
                description,
            }
        })
        .collect()
}

const QUERIES: &[&str] = &[
    "pay",
    "payments",
    "pmtgw",
    "checkout api",
    "kind:api owner:team-payments pay",
    "tag:java lifecycle:production",
    "",
];

fn benches(c: &mut Criterion) {
    for n in [10_000usize, 100_000] {
        let records = gen(n);
        let bytes = encode_corpus(&records);
        let mut group = c.benchmark_group(format!("search_{}k", n / 1000));
        group.sample_size(if n > 50_000 { 20 } else { 50 });
        group.bench_function("encode", |b| b.iter(|| encode_corpus(black_box(&records))));
        group.bench_function("decode", |b| {
            b.iter_batched(
                || bytes.clone(),
                |bytes| Corpus::decode(bytes).unwrap(),
                BatchSize::LargeInput,
            )
        });
        group.bench_function("decode_records", |b| {
            b.iter(|| decode_corpus(black_box(&bytes)).unwrap())
        });
        let corpus = Corpus::decode(bytes.clone()).unwrap();
        for q in QUERIES {
            let query = parse_query(q);
            group.bench_with_input(
                BenchmarkId::new("query", format!("{q:?}")),
                &query,
                |b, query| b.iter(|| search(&corpus, black_box(query), 50)),
            );
        }
        // The ranking with and without the index the TUI list builds once
        // (names and titles prepared for the fast nucleo scorer): one
        // thread each, so the ratio is the scorer's.
        let index = Index::build(&corpus);
        for q in ["pay", "payments", "checkout api", "pmtgw"] {
            let plan = Plan::new(&corpus, &parse_query(q));
            let options = Options::limit(50);
            group.bench_with_input(BenchmarkId::new("rank_nucleo", q), &plan, |b, plan| {
                b.iter(|| rank(&corpus, None, black_box(plan), Scope::All, &options))
            });
            group.bench_with_input(BenchmarkId::new("rank_indexed", q), &plan, |b, plan| {
                b.iter(|| rank(&corpus, Some(&index), black_box(plan), Scope::All, &options))
            });
        }
        group.finish();
    }
}

criterion_group!(search_micro, benches);
criterion_main!(search_micro);
