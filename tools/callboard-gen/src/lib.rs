//! Deterministic synthetic Backstage catalogs for benchmarks and scale tests.
//!
//! [`generate`] builds a catalog of realistic shape from a seed: an org tree
//! (organization → departments → teams) with users, domains, systems, and a
//! software graph of components, resources and APIs. Every document passes
//! Backstage's default validation and every ref it writes points at an entity
//! it also generates. `dependsOn` always names the kind and only points at
//! components and resources generated earlier, so the dependency graph
//! (including API consumption, which only targets APIs of shallower
//! providers) is a DAG; depths reach up to 8, and a few shared hubs
//! (`platform-auth-svc`, `shared-postgres-cluster`, …) carry a large blast
//! radius.
//!
//! Proportions per component: 1 API per 3, 2 resources per 9, 1 system per 5,
//! 1 user per 8, 1 team per 20; departments grow with the square root of the
//! team count. The component count is chosen so that the total is
//! `entities` (exactly, once `entities` is more than a few dozen), which puts
//! components at about 51%, APIs 17%, resources 11%, systems 10%, users 6%
//! and groups 3%.
//!
//! The PRNG is a self-contained splitmix64, so output depends only on the
//! seed and this file.

use std::collections::HashSet;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use callboard_core::catalog::relations::{emit_relations, stitch};
use callboard_core::catalog::Entity;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenOptions {
    /// Target number of entities (met exactly above a few dozen).
    pub entities: usize,
    pub seed: u64,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            entities: 10_000,
            seed: 42,
        }
    }
}

const API_VERSION: &str = "backstage.io/v1alpha1";
/// Longest allowed path in the `dependsOn` graph.
const MAX_DEPTH: usize = 8;

// ---------------------------------------------------------------------------
// PRNG

/// splitmix64: tiny, fast, and good enough for synthetic data.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_B00C)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// An index drawn with the given weights (not all zero).
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut r = ((u128::from(self.next_u64()) * u128::from(total)) >> 64) as u64;
        for (i, &w) in weights.iter().enumerate() {
            if r < u64::from(w) {
                return i;
            }
            r -= u64::from(w);
        }
        weights.len() - 1
    }

    fn weighted_pick<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let weights: Vec<u32> = items.iter().map(|(_, w)| *w).collect();
        items[self.weighted(&weights)].0
    }

    /// `n` characters from `alphabet`.
    fn token(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n).map(|_| *self.pick(alphabet) as char).collect()
    }
}

// ---------------------------------------------------------------------------
// Word lists

const COMPANIES: &[(&str, &str)] = &[
    ("acme", "Acme Corporation"),
    ("globex", "Globex"),
    ("initech", "Initech"),
    ("hooli", "Hooli"),
    ("umbrella", "Umbrella Group"),
    ("tyrell", "Tyrell Systems"),
    ("wonka", "Wonka Industries"),
    ("stark", "Stark Digital"),
];

const AREAS: &[&str] = &[
    "payments",
    "billing",
    "checkout",
    "catalog",
    "search",
    "identity",
    "messaging",
    "notifications",
    "logistics",
    "fulfillment",
    "inventory",
    "pricing",
    "ads",
    "analytics",
    "data",
    "ml",
    "recommendations",
    "media",
    "content",
    "streaming",
    "mobile",
    "web",
    "risk",
    "fraud",
    "compliance",
    "finance",
    "ledger",
    "customer",
    "support",
    "growth",
    "marketing",
    "loyalty",
    "orders",
    "shipping",
    "warehouse",
    "travel",
    "booking",
    "maps",
    "geo",
    "telemetry",
    "observability",
    "devtools",
    "storage",
    "network",
    "partners",
    "merchants",
    "insurance",
    "lending",
    "trading",
    "rewards",
];

const TOPICS: &[&str] = &[
    "ledger",
    "settlement",
    "invoice",
    "refund",
    "wallet",
    "card",
    "token",
    "session",
    "profile",
    "account",
    "cart",
    "order",
    "quote",
    "offer",
    "coupon",
    "rating",
    "review",
    "feed",
    "ranking",
    "index",
    "query",
    "crawler",
    "ingest",
    "export",
    "report",
    "audit",
    "consent",
    "policy",
    "scheduler",
    "dispatch",
    "router",
    "tracker",
    "matcher",
    "scoring",
    "classifier",
    "enricher",
    "resolver",
    "renderer",
    "upload",
    "transcode",
    "thumbnail",
    "stock",
    "reservation",
    "shipment",
    "label",
    "address",
    "tax",
    "currency",
    "fx",
    "payout",
    "kyc",
    "chargeback",
    "subscription",
    "plan",
    "usage",
    "metering",
    "quota",
    "alerting",
    "events",
    "webhook",
    "email",
    "sms",
    "push",
    "search",
    "pricing",
    "catalog",
    "routing",
    "forecast",
    "experiment",
    "identity",
    "entitlement",
    "invoicing",
    "returns",
    "claims",
];

const DEPT_SUFFIXES: &[&str] = &[
    "engineering",
    "platform",
    "products",
    "operations",
    "labs",
    "solutions",
    "technology",
];

const DOMAIN_QUALIFIERS: &[&str] = &[
    "core",
    "experience",
    "operations",
    "insights",
    "partner",
    "internal",
    "foundations",
];

const FIRST_NAMES: &[&str] = &[
    "ada", "alan", "alice", "amara", "ana", "andrei", "anika", "ben", "bianca", "bo", "carla",
    "chen", "chloe", "dan", "dara", "david", "diego", "elena", "emil", "emma", "erik", "fatima",
    "felix", "gina", "grace", "hana", "hugo", "ines", "ivan", "jack", "jana", "jin", "jonas",
    "julia", "kai", "karin", "kofi", "lara", "leo", "lina", "luca", "maya", "mehmet", "mia",
    "nadia", "nina", "noah", "olga", "omar", "paula", "pedro", "priya", "quinn", "rafael", "rosa",
    "ruth", "sam", "sara", "sofia", "tariq", "tess", "tomas", "uma", "vera", "victor", "wei",
    "yara", "yusuf", "zoe", "zara",
];

const LAST_NAMES: &[&str] = &[
    "abbott", "adeyemi", "alvarez", "andersen", "baker", "becker", "bianchi", "brown", "campbell",
    "chen", "costa", "dubois", "eriksson", "fischer", "garcia", "gomez", "gupta", "haddad",
    "hansen", "hoffmann", "ito", "jansen", "kaur", "kim", "kowalski", "kumar", "larsen", "lee",
    "lopez", "martin", "meyer", "moreau", "murphy", "nakamura", "nguyen", "novak", "okafor",
    "olsen", "patel", "perez", "petrov", "quinn", "rossi", "santos", "schmidt", "silva", "singh",
    "smith", "sato", "tanaka", "taylor", "torres", "vargas", "wagner", "walsh", "wang", "weber",
    "williams", "yilmaz", "zhang",
];

const LANG_TAGS: &[&str] = &[
    "java",
    "kotlin",
    "go",
    "python",
    "typescript",
    "rust",
    "scala",
    "ruby",
    "c++",
    "java:17",
];
const TECH_TAGS: &[&str] = &[
    "grpc",
    "rest",
    "kafka",
    "postgres",
    "redis",
    "graphql",
    "k8s",
    "aws",
    "gcp",
    "terraform",
    "react",
    "batch",
    "realtime",
    "pci",
    "gdpr",
    "tier-1",
    "tier-2",
    "internal",
    "public",
    "event-driven",
    "ml",
];
const RESOURCE_TAGS: &[&str] = &[
    "aws",
    "gcp",
    "postgres",
    "mysql",
    "kafka",
    "redis",
    "s3",
    "pii",
    "encrypted",
    "backup",
    "multi-az",
    "terraform",
];
const TECH: &[&str] = &[
    "Postgres",
    "Kafka",
    "Redis",
    "DynamoDB",
    "Cassandra",
    "Elasticsearch",
    "S3",
    "BigQuery",
    "MySQL",
    "RabbitMQ",
];

// ---------------------------------------------------------------------------
// Descriptions

const SERVICE_SENTENCES: &[&str] = &[
    "Handles {t} requests for the {a} domain.",
    "Owns the {t} lifecycle end to end for {a}.",
    "Publishes {t} events to Kafka for downstream consumers.",
    "Backed by {x}; the p99 latency budget is {n} ms.",
    "Exposes a REST API used by {a} clients and partner integrations.",
    "Reconciles {t} data nightly and raises alerts on drift.",
    "Stateless; scales horizontally behind the service mesh.",
    "Page the {team} on-call rota for incidents.",
    "Migrating from the legacy {a} monolith.",
    "Validates and enriches incoming {t} records before storing them in {x}.",
];
const WEBSITE_SENTENCES: &[&str] = &[
    "Customer-facing {a} web app for managing {t} settings.",
    "Internal admin console for {a} {t} operations.",
    "Single-page app built with React and served from the CDN.",
    "Shows {t} history and status to support agents.",
    "Feature flags gate every release; see the runbook before a rollback.",
    "Server-side rendered pages for {a}, tuned for Core Web Vitals.",
];
const LIBRARY_SENTENCES: &[&str] = &[
    "Shared library for {t} parsing and validation.",
    "Thin client for the {a} {t} API with retries and tracing.",
    "Common models and helpers used across {a} services.",
    "Wraps {x} access with connection pooling and metrics.",
    "Versioned with semver; breaking changes need an ADR.",
];
const RESOURCE_SENTENCES: &[&str] = &[
    "Stores {t} records for the {a} domain.",
    "Provisioned with Terraform; changes go through the infra pipeline.",
    "Encrypted at rest; retention is {n} days.",
    "Replicated across three availability zones.",
    "Holds {t} data consumed by {a} batch jobs.",
];
const API_SENTENCES: &[&str] = &[
    "Public contract for {t} operations in {a}.",
    "Lets clients read and update {t} resources.",
    "Versioned API; breaking changes require a new major version.",
    "Rate limited to {n} requests per second per client.",
    "Consumers must authenticate with a platform token.",
];
const SYSTEM_SENTENCES: &[&str] = &[
    "Everything needed to run {a} {t}: services, data stores and APIs.",
    "Groups the components behind {a} {t} and their shared infrastructure.",
    "Owned by the {team} team; architecture notes live in the wiki.",
    "Tier-1 system with a {n}-minute recovery time objective.",
];
const DOMAIN_SENTENCES: &[&str] = &[
    "The {a} business domain and the systems that implement it.",
    "Strategy and roadmap for {a} are set by the domain leads.",
    "Covers {a} products for customers and internal users alike.",
];
const TEAM_SENTENCES: &[&str] = &[
    "Builds and runs {a} {t} services.",
    "Owns {t} within the {a} department and is on call for it.",
    "Reach us in the team channel; page the rota for production issues.",
    "Works in two-week cycles; intake via the {a} board.",
];

struct Words<'a> {
    area: &'a str,
    topic: &'a str,
    team: &'a str,
}

/// A description of 40–200 characters made from `sentences`.
fn describe(rng: &mut Rng, sentences: &[&str], words: &Words) -> String {
    let target = rng.range(40, 200);
    let mut out = String::new();
    let mut used = vec![false; sentences.len()];
    for _ in 0..12 {
        if out.len() >= target {
            break;
        }
        let i = rng.below(sentences.len());
        if used[i] {
            continue;
        }
        used[i] = true;
        let s = fill(rng, sentences[i], words);
        let extra = if out.is_empty() { s.len() } else { s.len() + 1 };
        if out.len() + extra > 200 {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&s);
    }
    if out.len() < 40 {
        let filler = format!("Maintained by the {} team.", words.team);
        if out.len() + filler.len() < 200 {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&filler);
        }
    }
    while out.len() < 40 {
        out.push_str(" More details in the docs.");
    }
    out
}

fn fill(rng: &mut Rng, template: &str, w: &Words) -> String {
    let mut s = template
        .replace("{a}", w.area)
        .replace("{t}", w.topic)
        .replace("{team}", w.team);
    if s.contains("{x}") {
        let tech = *rng.pick(TECH);
        s = s.replace("{x}", tech);
    }
    if s.contains("{n}") {
        s = s.replace("{n}", &(rng.range(2, 40) * 5).to_string());
    }
    s
}

fn title_case(name: &str) -> String {
    name.split(['-', '.', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A name not yet in `taken`: the first free candidate, or the last one
/// with a counter.
fn unique(taken: &mut HashSet<String>, mut candidate: impl FnMut() -> String) -> String {
    let mut last = String::new();
    for _ in 0..24 {
        last = candidate();
        if taken.insert(last.clone()) {
            return last;
        }
    }
    for n in 2.. {
        let name = format!("{last}-{n}");
        if taken.insert(name.clone()) {
            return name;
        }
    }
    unreachable!()
}

/// 0 to `max` (at most 4) distinct tags drawn from `pools`.
fn tags(rng: &mut Rng, pools: &[&'static [&'static str]], max: usize) -> Vec<&'static str> {
    let n = rng.weighted(&[20, 30, 25, 15, 10][..=max.min(4)]);
    let mut out: Vec<&'static str> = Vec::new();
    for _ in 0..n * 3 {
        if out.len() >= n {
            break;
        }
        let pool = pools[rng.below(pools.len())];
        let tag = *rng.pick(pool);
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

// ---------------------------------------------------------------------------
// The model being generated

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    departments: usize,
    teams: usize,
    users: usize,
    domains: usize,
    systems: usize,
    components: usize,
    apis: usize,
    resources: usize,
}

impl Counts {
    fn for_components(components: usize) -> Counts {
        let c = components as f64;
        let teams = ((c / 20.0).round() as usize).max(1);
        let departments = (((teams as f64).sqrt() * 1.2).round() as usize).clamp(1, teams);
        Counts {
            departments,
            teams,
            users: ((c / 8.0).round() as usize).max(1),
            domains: (departments * 3).div_ceil(2),
            systems: ((c / 5.0).round() as usize).max(1),
            components,
            apis: (c / 3.0).round() as usize,
            resources: (c * 2.0 / 9.0).round() as usize,
        }
    }

    fn total(&self) -> usize {
        1 + self.departments
            + self.teams
            + self.users
            + self.domains
            + self.systems
            + self.components
            + self.apis
            + self.resources
    }

    /// Counts whose total is `entities`, adjusting the component count.
    fn for_total(entities: usize) -> Counts {
        let mut components = ((entities as f64) / 1.95).round().max(1.0) as usize;
        for _ in 0..8 {
            let total = Counts::for_components(components).total();
            if total == entities {
                break;
            }
            let next = (components as i64 + entities as i64 - total as i64).max(1) as usize;
            if next == components {
                break;
            }
            components = next;
        }
        let mut counts = Counts::for_components(components);
        // Derived counts step with the component count; absorb the last few.
        let others = counts.total() - counts.components;
        if entities > others {
            counts.components = entities - others;
        }
        counts
    }
}

struct Dept {
    name: String,
    area: &'static str,
    teams: Vec<usize>,
    head: Option<usize>,
}

struct Team {
    name: String,
    dept: usize,
    topic: &'static str,
    members: Vec<usize>,
}

struct User {
    name: String,
    display: String,
    teams: Vec<usize>,
    /// Department this user heads, if any.
    heads: Option<usize>,
}

struct Domain {
    name: String,
    area: &'static str,
    dept: usize,
}

struct System {
    name: String,
    area: &'static str,
    topic: &'static str,
    domain: usize,
    owner: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeKind {
    Component,
    Resource,
}

struct Node {
    kind: NodeKind,
    name: String,
    spec_type: &'static str,
    lifecycle: &'static str,
    owner: usize,
    system: Option<usize>,
    depth: usize,
    depends_on: Vec<usize>,
    provides: Vec<usize>,
    consumes: Vec<usize>,
    hub: bool,
}

struct Api {
    name: String,
    spec_type: &'static str,
    provider: usize,
    topic: &'static str,
}

/// Shared infrastructure that many things depend on:
/// (kind, name, type, indices of earlier hubs it depends on, weight).
const HUBS: &[(NodeKind, &str, &str, &[usize], u32)] = &[
    (
        NodeKind::Resource,
        "shared-postgres-cluster",
        "database",
        &[],
        3,
    ),
    (
        NodeKind::Resource,
        "prod-k8s-cluster",
        "kubernetes-cluster",
        &[],
        2,
    ),
    (
        NodeKind::Component,
        "platform-auth-svc",
        "service",
        &[0, 1],
        8,
    ),
    (NodeKind::Component, "observability-sdk", "library", &[], 5),
    (
        NodeKind::Resource,
        "core-kafka-cluster",
        "kafka-cluster",
        &[1],
        3,
    ),
    (
        NodeKind::Component,
        "feature-flags-svc",
        "service",
        &[0, 1],
        3,
    ),
    (
        NodeKind::Component,
        "service-mesh-gateway",
        "service",
        &[1, 2],
        4,
    ),
    (NodeKind::Resource, "shared-redis-cache", "cache", &[1], 2),
    (NodeKind::Component, "event-bus-client", "library", &[4], 3),
    (NodeKind::Component, "config-svc", "service", &[0, 1], 2),
    (NodeKind::Component, "http-client-lib", "library", &[], 4),
    (NodeKind::Resource, "secrets-vault", "vault", &[1], 2),
    (NodeKind::Component, "audit-log-svc", "service", &[0, 4], 1),
    (NodeKind::Component, "rate-limiter-svc", "service", &[7], 1),
    (NodeKind::Component, "identity-token-lib", "library", &[], 2),
];

const COMPONENT_TYPES: &[(&str, u32)] = &[("service", 58), ("website", 12), ("library", 30)];
const LIFECYCLES: &[(&str, u32)] = &[("production", 75), ("experimental", 15), ("deprecated", 10)];
const RESOURCE_TYPES: &[(&str, u32)] = &[
    ("database", 35),
    ("s3-bucket", 20),
    ("kafka-topic", 15),
    ("cache", 10),
    ("queue", 10),
    ("search-index", 10),
];
const API_TYPES: &[(&str, u32)] = &[
    ("openapi", 65),
    ("grpc", 15),
    ("graphql", 8),
    ("asyncapi", 12),
];

fn component_suffixes(spec_type: &str) -> &'static [&'static str] {
    match spec_type {
        "service" => &[
            "svc",
            "api",
            "worker",
            "gateway",
            "consumer",
            "processor",
            "scheduler",
            "sync",
        ],
        "website" => &["web", "ui", "portal", "frontend", "console", "dashboard"],
        _ => &["lib", "sdk", "client", "common", "utils", "models"],
    }
}

fn resource_suffix(spec_type: &str) -> &'static str {
    match spec_type {
        "database" => "db",
        "s3-bucket" => "bucket",
        "kafka-topic" => "topic",
        "cache" => "cache",
        "queue" => "queue",
        _ => "index",
    }
}

/// Weights of the target depth (0..=8) by component type.
fn depth_weights(spec_type: &str) -> &'static [u32; MAX_DEPTH + 1] {
    match spec_type {
        "library" => &[50, 35, 15, 0, 0, 0, 0, 0, 0],
        "website" => &[0, 0, 10, 20, 25, 20, 12, 8, 5],
        _ => &[0, 10, 20, 25, 20, 12, 7, 4, 2],
    }
}

struct Generator {
    rng: Rng,
    company: &'static str,
    company_title: &'static str,
    counts: Counts,
    depts: Vec<Dept>,
    teams: Vec<Team>,
    users: Vec<User>,
    domains: Vec<Domain>,
    systems: Vec<System>,
    nodes: Vec<Node>,
    apis: Vec<Api>,
    /// Node indices by depth.
    by_depth: Vec<Vec<usize>>,
    /// Node indices by system.
    by_system: Vec<Vec<usize>>,
    /// (node index, weight) of hubs.
    hubs: Vec<(usize, u32)>,
}

/// Generate a synthetic catalog of about `opts.entities` documents, in the
/// shape a descriptor file holds them (no `relations`, no `namespace`).
/// Exactly `opts.entities` above a few dozen; empty for 0.
pub fn generate(opts: &GenOptions) -> Vec<Value> {
    if opts.entities == 0 {
        return Vec::new();
    }
    let mut rng = Rng::new(opts.seed);
    let (company, company_title) = *rng.pick(COMPANIES);
    let counts = Counts::for_total(opts.entities);
    let mut g = Generator {
        rng,
        company,
        company_title,
        counts,
        depts: Vec::new(),
        teams: Vec::new(),
        users: Vec::new(),
        domains: Vec::new(),
        systems: Vec::new(),
        nodes: Vec::new(),
        apis: Vec::new(),
        by_depth: vec![Vec::new(); MAX_DEPTH + 1],
        by_system: Vec::new(),
        hubs: Vec::new(),
    };
    g.org();
    g.users();
    g.domains_and_systems();
    g.software();
    g.apis();
    g.consumers();
    g.documents()
}

impl Generator {
    fn org(&mut self) {
        let mut taken = HashSet::from([self.company.to_string()]);
        let mut areas: Vec<&'static str> = AREAS.to_vec();
        // Shuffle, then make sure the first department is the platform one
        // that owns the shared hubs.
        for i in (1..areas.len()).rev() {
            let j = self.rng.below(i + 1);
            areas.swap(i, j);
        }
        for d in 0..self.counts.departments {
            let (name, area) = if d == 0 {
                taken.insert("platform-engineering".into());
                ("platform-engineering".to_string(), "platform")
            } else {
                let area = areas[(d - 1) % areas.len()];
                let rng = &mut self.rng;
                let name = unique(&mut taken, || format!("{area}-{}", rng.pick(DEPT_SUFFIXES)));
                (name, area)
            };
            self.depts.push(Dept {
                name,
                area,
                teams: Vec::new(),
                head: None,
            });
        }
        for t in 0..self.counts.teams {
            // Every department gets a team before any gets a second.
            let dept = if t < self.depts.len() {
                t
            } else {
                self.rng.below(self.depts.len())
            };
            let area = self.depts[dept].area;
            let rng = &mut self.rng;
            let mut topic = "core";
            let name = unique(&mut taken, || {
                topic = *rng.pick(TOPICS);
                format!("{area}-{topic}")
            });
            self.depts[dept].teams.push(t);
            self.teams.push(Team {
                name,
                dept,
                topic,
                members: Vec::new(),
            });
        }
    }

    fn users(&mut self) {
        let mut taken = HashSet::new();
        for u in 0..self.counts.users {
            let rng = &mut self.rng;
            let (mut first, mut last) = ("", "");
            let name = unique(&mut taken, || {
                first = *rng.pick(FIRST_NAMES);
                last = *rng.pick(LAST_NAMES);
                format!("{first}.{last}")
            });
            let display = format!("{} {}", title_case(first), title_case(last));
            let team = if u < self.teams.len() {
                u
            } else {
                self.rng.below(self.teams.len())
            };
            let mut teams = vec![team];
            if self.rng.chance(0.1) {
                let dept = &self.depts[self.teams[team].dept];
                let other = *self.rng.pick(&dept.teams);
                if other != team {
                    teams.push(other);
                }
            }
            for &t in &teams {
                self.teams[t].members.push(u);
            }
            self.users.push(User {
                name,
                display,
                teams,
                heads: None,
            });
        }
        // Each department is headed by one of its members.
        for d in 0..self.depts.len() {
            let members: Vec<usize> = self.depts[d]
                .teams
                .iter()
                .flat_map(|&t| self.teams[t].members.iter().copied())
                .filter(|&u| self.users[u].heads.is_none())
                .collect();
            if !members.is_empty() {
                let head = *self.rng.pick(&members);
                self.users[head].heads = Some(d);
                self.depts[d].head = Some(head);
            }
        }
    }

    fn domains_and_systems(&mut self) {
        let mut taken = HashSet::new();
        for i in 0..self.counts.domains {
            let dept = if i < self.depts.len() {
                i
            } else {
                self.rng.below(self.depts.len())
            };
            let area = self.depts[dept].area;
            let rng = &mut self.rng;
            let name = if i < self.depts.len() && taken.insert(area.to_string()) {
                area.to_string()
            } else {
                unique(&mut taken, || {
                    format!("{area}-{}", rng.pick(DOMAIN_QUALIFIERS))
                })
            };
            self.domains.push(Domain { name, area, dept });
        }
        let mut taken = HashSet::new();
        for s in 0..self.counts.systems {
            let domain = if s < self.domains.len() {
                s
            } else {
                self.rng.below(self.domains.len())
            };
            let area = self.domains[domain].area;
            let dept = &self.depts[self.domains[domain].dept];
            let owner = *self.rng.pick(&dept.teams);
            let rng = &mut self.rng;
            let mut topic = "core";
            let name = unique(&mut taken, || {
                topic = *rng.pick(TOPICS);
                format!("{area}-{topic}")
            });
            self.systems.push(System {
                name,
                area,
                topic,
                domain,
                owner,
            });
        }
        self.by_system = vec![Vec::new(); self.systems.len()];
    }

    fn push_node(&mut self, node: Node) -> usize {
        let i = self.nodes.len();
        self.by_depth[node.depth].push(i);
        if let Some(s) = node.system {
            self.by_system[s].push(i);
        }
        self.nodes.push(node);
        i
    }

    fn lifecycle(&mut self) -> &'static str {
        self.rng.weighted_pick(LIFECYCLES)
    }

    fn software(&mut self) {
        let mut component_names = HashSet::new();
        let mut resource_names = HashSet::new();
        let hub_count = HUBS
            .len()
            .min(5 + self.counts.components / 12_000)
            .min(self.counts.components + self.counts.resources);
        // Hubs live in the platform department's first system, if any.
        let platform_system = (0..self.systems.len())
            .find(|&s| self.depts[self.domains[self.systems[s].domain].dept].area == "platform");
        let platform_teams = self.depts[0].teams.clone();
        let mut hub_nodes = Vec::new();
        let (mut components_left, mut resources_left) =
            (self.counts.components, self.counts.resources);
        for &(kind, name, spec_type, deps, weight) in &HUBS[..hub_count] {
            let depends_on: Vec<usize> = deps.iter().map(|&h| hub_nodes[h]).collect();
            let depth = depends_on
                .iter()
                .map(|&d| self.nodes[d].depth + 1)
                .max()
                .unwrap_or(0);
            match kind {
                NodeKind::Component => {
                    component_names.insert(name.to_string());
                    components_left = components_left.saturating_sub(1);
                }
                NodeKind::Resource => {
                    resource_names.insert(name.to_string());
                    resources_left = resources_left.saturating_sub(1);
                }
            }
            let owner = *self.rng.pick(&platform_teams);
            let i = self.push_node(Node {
                kind,
                name: name.to_string(),
                spec_type,
                lifecycle: "production",
                owner,
                system: platform_system,
                depth,
                depends_on,
                provides: Vec::new(),
                consumes: Vec::new(),
                hub: true,
            });
            hub_nodes.push(i);
            self.hubs.push((i, weight));
        }
        while components_left + resources_left > 0 {
            let resource = self.rng.below(components_left + resources_left) < resources_left;
            if resource {
                resources_left -= 1;
                self.resource(&mut resource_names);
            } else {
                components_left -= 1;
                self.component(&mut component_names);
            }
        }
    }

    fn owner_for(&mut self, system: usize) -> usize {
        let owner = self.systems[system].owner;
        if self.rng.chance(0.85) {
            owner
        } else {
            *self.rng.pick(&self.depts[self.teams[owner].dept].teams)
        }
    }

    fn resource(&mut self, taken: &mut HashSet<String>) {
        let system = self.rng.below(self.systems.len());
        let owner = self.systems[system].owner;
        let spec_type = self.rng.weighted_pick(RESOURCE_TYPES);
        let base = &self.systems[system].name;
        let suffix = resource_suffix(spec_type);
        let rng = &mut self.rng;
        let name = unique(taken, || {
            format!("{base}-{suffix}-{:04}", rng.below(10_000))
        });
        // Some resources sit on shared infrastructure.
        let mut depends_on = Vec::new();
        let hub_for = match spec_type {
            "database" => Some("shared-postgres-cluster"),
            "kafka-topic" => Some("core-kafka-cluster"),
            "cache" => Some("shared-redis-cache"),
            _ => None,
        };
        if let Some(hub) = hub_for.filter(|_| self.rng.chance(0.4)) {
            if let Some(&(h, _)) = self.hubs.iter().find(|(h, _)| self.nodes[*h].name == hub) {
                depends_on.push(h);
            }
        } else if self.rng.chance(0.1) && !self.by_depth[0].is_empty() {
            let r = *self.rng.pick(&self.by_depth[0]);
            if self.nodes[r].kind == NodeKind::Resource {
                depends_on.push(r);
            }
        }
        let depth = depends_on
            .iter()
            .map(|&d| self.nodes[d].depth + 1)
            .max()
            .unwrap_or(0);
        self.push_node(Node {
            kind: NodeKind::Resource,
            name,
            spec_type,
            lifecycle: "production",
            owner,
            system: Some(system),
            depth,
            depends_on,
            provides: Vec::new(),
            consumes: Vec::new(),
            hub: false,
        });
    }

    fn component(&mut self, taken: &mut HashSet<String>) {
        let system = self.rng.below(self.systems.len());
        let owner = self.owner_for(system);
        let spec_type = self.rng.weighted_pick(COMPONENT_TYPES);
        let lifecycle = self.lifecycle();
        let base = &self.systems[system].name;
        let suffix = *self.rng.pick(component_suffixes(spec_type));
        let rng = &mut self.rng;
        let name = unique(taken, || {
            format!("{base}-{suffix}-{:04}", rng.below(10_000))
        });

        // Target depth, no deeper than one below the deepest node so far.
        let deepest = (0..=MAX_DEPTH)
            .rev()
            .find(|&d| !self.by_depth[d].is_empty());
        let limit = deepest.map_or(0, |d| (d + 1).min(MAX_DEPTH));
        let weights = depth_weights(spec_type);
        let depth = self.rng.weighted(weights).min(limit);

        let mut depends_on = Vec::new();
        if depth > 0 {
            // One dependency one level down fixes the depth; prefer the
            // component's own system.
            let same: Vec<usize> = self.by_system[system]
                .iter()
                .copied()
                .filter(|&n| self.nodes[n].depth == depth - 1)
                .collect();
            let anchor = if !same.is_empty() && self.rng.chance(0.5) {
                *self.rng.pick(&same)
            } else {
                *self.rng.pick(&self.by_depth[depth - 1])
            };
            depends_on.push(anchor);
            let extra = match spec_type {
                "service" => self.rng.weighted(&[25, 30, 25, 12, 8]),
                "website" => self.rng.range(1, 3),
                _ => self.rng.weighted(&[50, 35, 15]),
            };
            for _ in 0..extra {
                let roll = self.rng.below(10);
                let candidate = if roll < 4 {
                    let local: Vec<usize> = self.by_system[system]
                        .iter()
                        .copied()
                        .filter(|&n| self.nodes[n].depth < depth)
                        .collect();
                    (!local.is_empty()).then(|| *self.rng.pick(&local))
                } else {
                    let level = self.rng.below(depth);
                    let pool = &self.by_depth[level];
                    (!pool.is_empty()).then(|| *self.rng.pick(pool))
                };
                if let Some(c) = candidate {
                    if !depends_on.contains(&c) {
                        depends_on.push(c);
                    }
                }
            }
            let hub_chance = if spec_type == "library" { 0.1 } else { 0.35 };
            if !self.hubs.is_empty() && self.rng.chance(hub_chance) {
                for _ in 0..4 {
                    let h = self.rng.weighted_pick(&self.hubs);
                    if self.nodes[h].depth < depth {
                        if !depends_on.contains(&h) {
                            depends_on.push(h);
                        }
                        break;
                    }
                }
            }
        }
        self.push_node(Node {
            kind: NodeKind::Component,
            name,
            spec_type,
            lifecycle,
            owner,
            system: Some(system),
            depth,
            depends_on,
            provides: Vec::new(),
            consumes: Vec::new(),
            hub: false,
        });
    }

    /// Attach APIs to providers: one per hub service, the rest to random
    /// services.
    fn apis(&mut self) {
        let services: Vec<usize> = (0..self.nodes.len())
            .filter(|&n| {
                self.nodes[n].kind == NodeKind::Component && self.nodes[n].spec_type == "service"
            })
            .collect();
        let components: Vec<usize> = (0..self.nodes.len())
            .filter(|&n| self.nodes[n].kind == NodeKind::Component)
            .collect();
        if components.is_empty() {
            return;
        }
        let mut taken = HashSet::new();
        for i in 0..self.counts.apis {
            let hub_service = self
                .hubs
                .iter()
                .map(|&(h, _)| h)
                .filter(|&h| self.nodes[h].spec_type == "service")
                .nth(i);
            let provider = match hub_service {
                Some(h) => h,
                None if !services.is_empty() => *self.rng.pick(&services),
                None => *self.rng.pick(&components),
            };
            let spec_type = self.rng.weighted_pick(API_TYPES);
            let suffix = match spec_type {
                "grpc" => "grpc",
                "graphql" => "graphql",
                "asyncapi" => "events",
                _ => "api",
            };
            let node = &self.nodes[provider];
            let topic;
            let name = if let Some(base) = node.name.strip_suffix("-svc").filter(|_| node.hub) {
                topic = "platform";
                unique(&mut taken, || format!("{base}-{suffix}"))
            } else {
                let system = &self.systems[node.system.expect("software has a system")];
                let base = &system.name;
                let rng = &mut self.rng;
                let mut t = system.topic;
                let name = unique(&mut taken, || {
                    t = *rng.pick(TOPICS);
                    if rng.chance(0.3) {
                        format!("{base}-{t}-{suffix}-v{}", rng.range(2, 4))
                    } else {
                        format!("{base}-{t}-{suffix}")
                    }
                });
                topic = t;
                name
            };
            let a = self.apis.len();
            self.nodes[provider].provides.push(a);
            self.apis.push(Api {
                name,
                spec_type,
                provider,
                topic,
            });
        }
    }

    /// Choose consumed APIs: only those whose provider is shallower, so API
    /// edges keep the graph acyclic.
    fn consumers(&mut self) {
        let mut by_depth: Vec<Vec<usize>> = vec![Vec::new(); MAX_DEPTH + 1];
        for (a, api) in self.apis.iter().enumerate() {
            by_depth[self.nodes[api.provider].depth].push(a);
        }
        let hub_apis: Vec<(usize, u32)> = self
            .apis
            .iter()
            .enumerate()
            .filter(|(_, api)| self.nodes[api.provider].hub)
            .map(|(a, api)| {
                let weight = self
                    .hubs
                    .iter()
                    .find(|(h, _)| *h == api.provider)
                    .map_or(1, |(_, w)| *w);
                (a, weight)
            })
            .collect();
        for n in 0..self.nodes.len() {
            let node = &self.nodes[n];
            if node.kind != NodeKind::Component || node.spec_type == "library" || node.depth == 0 {
                continue;
            }
            let depth = node.depth;
            let count = if node.spec_type == "website" {
                self.rng.weighted(&[10, 40, 35, 15])
            } else {
                self.rng.weighted(&[35, 35, 20, 10])
            };
            let mut consumes = Vec::new();
            for _ in 0..count {
                let level = self.rng.below(depth);
                if by_depth[level].is_empty() {
                    continue;
                }
                let a = *self.rng.pick(&by_depth[level]);
                if !consumes.contains(&a) {
                    consumes.push(a);
                }
            }
            if !hub_apis.is_empty() && self.rng.chance(0.3) {
                let a = self.rng.weighted_pick(&hub_apis);
                if self.nodes[self.apis[a].provider].depth < depth && !consumes.contains(&a) {
                    consumes.push(a);
                }
            }
            self.nodes[n].consumes = consumes;
        }
    }

    // -----------------------------------------------------------------------
    // Documents

    fn email(&self, local: &str) -> String {
        format!("{local}@{}.example", self.company)
    }

    fn owner_ref(&mut self, team: usize) -> String {
        let name = &self.teams[team].name;
        match self.rng.below(10) {
            0 => format!("group:default/{name}"),
            1 => format!("group:{name}"),
            _ => name.clone(),
        }
    }

    fn node_ref(&self, n: usize) -> String {
        let node = &self.nodes[n];
        let kind = match node.kind {
            NodeKind::Component => "component",
            NodeKind::Resource => "resource",
        };
        format!("{kind}:default/{}", node.name)
    }

    fn documents(&mut self) -> Vec<Value> {
        let mut docs = Vec::with_capacity(self.counts.total());
        docs.push(self.org_doc());
        for d in 0..self.depts.len() {
            docs.push(self.dept_doc(d));
        }
        for t in 0..self.teams.len() {
            docs.push(self.team_doc(t));
        }
        for u in 0..self.users.len() {
            docs.push(self.user_doc(u));
        }
        for d in 0..self.domains.len() {
            docs.push(self.domain_doc(d));
        }
        for s in 0..self.systems.len() {
            docs.push(self.system_doc(s));
        }
        // Software in generation order, each component followed by the APIs
        // it provides (as a repo's catalog-info.yaml would list them).
        for n in 0..self.nodes.len() {
            let doc = match self.nodes[n].kind {
                NodeKind::Component => self.component_doc(n),
                NodeKind::Resource => self.resource_doc(n),
            };
            docs.push(doc);
            for a in self.nodes[n].provides.clone() {
                docs.push(self.api_doc(a));
            }
        }
        docs
    }

    fn org_doc(&mut self) -> Value {
        let children: Vec<&str> = self.depts.iter().map(|d| d.name.as_str()).collect();
        json!({
            "apiVersion": API_VERSION,
            "kind": "Group",
            "metadata": {
                "name": self.company,
                "title": self.company_title,
                "description": format!("{} engineering organization.", self.company_title),
                "links": [{"url": format!("https://intranet.{}.example", self.company), "title": "Intranet", "icon": "web"}],
            },
            "spec": {
                "type": "organization",
                "profile": {"displayName": self.company_title, "email": self.email("engineering")},
                "children": children,
            },
        })
    }

    fn dept_doc(&mut self, d: usize) -> Value {
        let dept = &self.depts[d];
        let children: Vec<&str> = dept
            .teams
            .iter()
            .map(|&t| self.teams[t].name.as_str())
            .collect();
        let members: Vec<&str> = dept
            .head
            .iter()
            .map(|&u| self.users[u].name.as_str())
            .collect();
        let title = title_case(&dept.name);
        json!({
            "apiVersion": API_VERSION,
            "kind": "Group",
            "metadata": {
                "name": dept.name,
                "title": title,
                "description": format!("The {title} department of {}.", self.company_title),
            },
            "spec": {
                "type": "department",
                "profile": {"displayName": title, "email": self.email(&dept.name)},
                "parent": self.company,
                "children": children,
                "members": members,
            },
        })
    }

    fn team_doc(&mut self, t: usize) -> Value {
        let team = &self.teams[t];
        let dept = &self.depts[team.dept];
        let words = Words {
            area: dept.area,
            topic: team.topic,
            team: &team.name,
        };
        let description = describe(&mut self.rng, TEAM_SENTENCES, &words);
        let title = title_case(&team.name);
        let mut annotations = Map::new();
        annotations.insert(
            "github.com/team-slug".into(),
            format!("{}/{}", self.company, team.name).into(),
        );
        if self.rng.chance(0.8) {
            let id = self.rng.token(b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", 6);
            annotations.insert("pagerduty.com/service-id".into(), format!("P{id}").into());
        } else {
            annotations.insert("opsgenie.com/team".into(), title.clone().into());
        }
        let mut links = vec![json!({
            "url": format!("https://{}.slack.example/channels/team-{}", self.company, team.name),
            "title": "Team channel",
            "icon": "chat",
        })];
        if self.rng.chance(0.6) {
            links.push(json!({
                "url": format!("https://runbooks.{}.example/teams/{}", self.company, team.name),
                "title": "Runbook",
                "icon": "docs",
            }));
        }
        let members: Vec<&str> = team
            .members
            .iter()
            .map(|&u| self.users[u].name.as_str())
            .collect();
        json!({
            "apiVersion": API_VERSION,
            "kind": "Group",
            "metadata": {
                "name": team.name,
                "title": title,
                "description": description,
                "annotations": annotations,
                "links": links,
            },
            "spec": {
                "type": "team",
                "profile": {"displayName": title, "email": self.email(&team.name)},
                "parent": dept.name,
                "children": [],
                "members": members,
            },
        })
    }

    fn user_doc(&mut self, u: usize) -> Value {
        let user = &self.users[u];
        let mut member_of: Vec<&str> = user
            .teams
            .iter()
            .map(|&t| self.teams[t].name.as_str())
            .collect();
        if let Some(d) = user.heads {
            member_of.push(&self.depts[d].name);
        }
        json!({
            "apiVersion": API_VERSION,
            "kind": "User",
            "metadata": {"name": user.name},
            "spec": {
                "profile": {"displayName": user.display, "email": self.email(&user.name)},
                "memberOf": member_of,
            },
        })
    }

    fn domain_doc(&mut self, d: usize) -> Value {
        let domain = &self.domains[d];
        let dept = &self.depts[domain.dept];
        let words = Words {
            area: domain.area,
            topic: domain.area,
            team: &dept.name,
        };
        let description = describe(&mut self.rng, DOMAIN_SENTENCES, &words);
        let mut spec = Map::new();
        spec.insert("owner".into(), dept.name.clone().into());
        if self.rng.chance(0.5) {
            spec.insert("type".into(), "product-area".into());
        }
        json!({
            "apiVersion": API_VERSION,
            "kind": "Domain",
            "metadata": {
                "name": domain.name,
                "title": title_case(&domain.name),
                "description": description,
                "links": [{"url": format!("https://wiki.{}.example/domains/{}", self.company, domain.name), "title": "Domain overview", "icon": "docs"}],
            },
            "spec": spec,
        })
    }

    fn system_doc(&mut self, s: usize) -> Value {
        let system = &self.systems[s];
        let words = Words {
            area: system.area,
            topic: system.topic,
            team: &self.teams[system.owner].name,
        };
        let description = describe(&mut self.rng, SYSTEM_SENTENCES, &words);
        let tags = tags(&mut self.rng, &[TECH_TAGS], 2);
        let owner = self.owner_ref(system.owner);
        let system = &self.systems[s];
        let mut metadata = Map::new();
        metadata.insert("name".into(), system.name.clone().into());
        metadata.insert("title".into(), title_case(&system.name).into());
        metadata.insert("description".into(), description.into());
        if !tags.is_empty() {
            metadata.insert("tags".into(), json!(tags));
        }
        json!({
            "apiVersion": API_VERSION,
            "kind": "System",
            "metadata": metadata,
            "spec": {"owner": owner, "domain": self.domains[system.domain].name},
        })
    }

    fn software_words(&self, n: usize) -> (&'static str, &'static str, String) {
        let node = &self.nodes[n];
        let team = self.teams[node.owner].name.clone();
        match node.system {
            Some(s) => (self.systems[s].area, self.systems[s].topic, team),
            None => ("platform", "infrastructure", team),
        }
    }

    fn component_doc(&mut self, n: usize) -> Value {
        let (area, topic, team) = self.software_words(n);
        let words = Words {
            area,
            topic,
            team: &team,
        };
        let node = &self.nodes[n];
        let name = node.name.clone();
        let spec_type = node.spec_type;
        let sentences = match spec_type {
            "service" => SERVICE_SENTENCES,
            "website" => WEBSITE_SENTENCES,
            _ => LIBRARY_SENTENCES,
        };
        let description = describe(&mut self.rng, sentences, &words);
        let tags = tags(&mut self.rng, &[LANG_TAGS, TECH_TAGS], 4);
        let company = self.company;

        let mut metadata = Map::new();
        metadata.insert("name".into(), name.clone().into());
        if self.rng.chance(0.3) {
            // Titles drop the numeric suffix: "Payments Ledger Svc".
            let base = name
                .rsplit_once('-')
                .filter(|(_, n)| n.bytes().all(|b| b.is_ascii_digit()))
                .map_or(name.as_str(), |(base, _)| base);
            metadata.insert("title".into(), title_case(base).into());
        }
        metadata.insert("description".into(), description.into());
        let mut labels = Map::new();
        labels.insert("tier".into(), self.rng.range(1, 3).to_string().into());
        metadata.insert("labels".into(), labels.into());
        let mut annotations = Map::new();
        annotations.insert(
            "github.com/project-slug".into(),
            format!("{company}/{name}").into(),
        );
        annotations.insert(
            "backstage.io/source-location".into(),
            format!("url:https://github.com/{company}/{name}/tree/main/").into(),
        );
        if self.rng.chance(0.5) {
            annotations.insert("backstage.io/techdocs-ref".into(), "dir:.".into());
        }
        if spec_type == "service" {
            if self.rng.chance(0.6) {
                annotations.insert("backstage.io/kubernetes-id".into(), name.clone().into());
            }
            if self.rng.chance(0.3) {
                let id = self.rng.token(b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", 6);
                annotations.insert("pagerduty.com/service-id".into(), format!("P{id}").into());
            }
        }
        if self.rng.chance(0.2) {
            annotations.insert(
                "sonarqube.org/project-key".into(),
                format!("{company}_{}", name.replace('-', "_")).into(),
            );
        }
        metadata.insert("annotations".into(), annotations.into());
        if !tags.is_empty() {
            metadata.insert("tags".into(), json!(tags));
        }
        let mut links = Vec::new();
        if spec_type != "library" && self.rng.chance(0.45) {
            links.push(json!({
                "url": format!("https://runbooks.{company}.example/{name}"),
                "title": "Runbook",
                "icon": "docs",
            }));
        }
        if spec_type == "service" && self.rng.chance(0.5) {
            links.push(json!({
                "url": format!("https://grafana.{company}.example/d/{name}"),
                "title": "Dashboard",
                "icon": "dashboard",
                "type": "dashboard",
            }));
        }
        if spec_type == "website" {
            links.push(json!({
                "url": format!("https://{name}.{company}.example"),
                "title": "Production",
                "icon": "web",
            }));
        }
        if !links.is_empty() {
            metadata.insert("links".into(), links.into());
        }

        let owner = self.owner_ref(self.nodes[n].owner);
        let node = &self.nodes[n];
        let mut spec = Map::new();
        spec.insert("type".into(), spec_type.into());
        spec.insert("lifecycle".into(), node.lifecycle.into());
        spec.insert("owner".into(), owner.into());
        if let Some(s) = node.system {
            spec.insert("system".into(), self.systems[s].name.clone().into());
        }
        if !node.provides.is_empty() {
            let apis: Vec<&str> = node
                .provides
                .iter()
                .map(|&a| self.apis[a].name.as_str())
                .collect();
            spec.insert("providesApis".into(), json!(apis));
        }
        if !node.consumes.is_empty() {
            let apis: Vec<String> = node
                .consumes
                .iter()
                .map(|&a| {
                    let name = &self.apis[a].name;
                    if a % 4 == 0 {
                        format!("api:{name}")
                    } else {
                        name.clone()
                    }
                })
                .collect();
            spec.insert("consumesApis".into(), json!(apis));
        }
        if !node.depends_on.is_empty() {
            let deps: Vec<String> = node.depends_on.iter().map(|&d| self.node_ref(d)).collect();
            spec.insert("dependsOn".into(), json!(deps));
        }
        json!({
            "apiVersion": API_VERSION,
            "kind": "Component",
            "metadata": metadata,
            "spec": spec,
        })
    }

    fn resource_doc(&mut self, n: usize) -> Value {
        let (area, topic, team) = self.software_words(n);
        let words = Words {
            area,
            topic,
            team: &team,
        };
        let description = describe(&mut self.rng, RESOURCE_SENTENCES, &words);
        let tags = tags(&mut self.rng, &[RESOURCE_TAGS], 3);
        let owner = self.owner_ref(self.nodes[n].owner);
        let node = &self.nodes[n];
        let mut metadata = Map::new();
        metadata.insert("name".into(), node.name.clone().into());
        metadata.insert("description".into(), description.into());
        if !tags.is_empty() {
            metadata.insert("tags".into(), json!(tags));
        }
        if node.spec_type == "kubernetes-cluster" {
            metadata.insert(
                "annotations".into(),
                json!({"kubernetes.io/api-server": format!("https://k8s.{}.example", self.company)}),
            );
        }
        let mut spec = Map::new();
        spec.insert("type".into(), node.spec_type.into());
        spec.insert("owner".into(), owner.into());
        if let Some(s) = node.system {
            spec.insert("system".into(), self.systems[s].name.clone().into());
        }
        if !node.depends_on.is_empty() {
            let deps: Vec<String> = node.depends_on.iter().map(|&d| self.node_ref(d)).collect();
            spec.insert("dependsOn".into(), json!(deps));
        }
        json!({
            "apiVersion": API_VERSION,
            "kind": "Resource",
            "metadata": metadata,
            "spec": spec,
        })
    }

    fn api_doc(&mut self, a: usize) -> Value {
        let provider = self.apis[a].provider;
        let (area, _, team) = self.software_words(provider);
        let api = &self.apis[a];
        let words = Words {
            area,
            topic: api.topic,
            team: &team,
        };
        let description = describe(&mut self.rng, API_SENTENCES, &words);
        let tags = tags(&mut self.rng, &[TECH_TAGS], 2);
        let owner = self.owner_ref(self.nodes[provider].owner);
        let api = &self.apis[a];
        let node = &self.nodes[provider];
        let version = format!(
            "{}.{}.{}",
            self.rng.range(1, 4),
            self.rng.below(20),
            self.rng.below(10)
        );
        let definition = definition(api.spec_type, &api.name, api.topic, &version);
        let mut metadata = Map::new();
        metadata.insert("name".into(), api.name.clone().into());
        metadata.insert("title".into(), title_case(&api.name).into());
        metadata.insert("description".into(), description.into());
        if !tags.is_empty() {
            metadata.insert("tags".into(), json!(tags));
        }
        let mut spec = Map::new();
        spec.insert("type".into(), api.spec_type.into());
        spec.insert("lifecycle".into(), node.lifecycle.into());
        spec.insert("owner".into(), owner.into());
        if let Some(s) = node.system {
            spec.insert("system".into(), self.systems[s].name.clone().into());
        }
        spec.insert("definition".into(), definition.into());
        json!({
            "apiVersion": API_VERSION,
            "kind": "API",
            "metadata": metadata,
            "spec": spec,
        })
    }
}

/// A short, plausible API definition of the given type.
fn definition(spec_type: &str, name: &str, topic: &str, version: &str) -> String {
    let title = title_case(name);
    match spec_type {
        "grpc" => {
            let service = title.replace(' ', "");
            format!(
                "syntax = \"proto3\";\npackage {pkg};\n\nservice {service} {{\n  rpc Get{t}(Get{t}Request) returns ({t});\n  rpc List{t}s(List{t}sRequest) returns (List{t}sResponse);\n}}\n",
                pkg = name.replace('-', "."),
                t = title_case(topic).replace(' ', ""),
            )
        }
        "graphql" => format!(
            "type Query {{\n  {topic}(id: ID!): {t}\n  {topic}s(first: Int, after: String): [{t}!]!\n}}\n\ntype {t} {{\n  id: ID!\n  createdAt: String!\n  status: String\n}}\n",
            t = title_case(topic).replace(' ', ""),
        ),
        "asyncapi" => format!(
            "asyncapi: 2.6.0\ninfo:\n  title: {title}\n  version: {version}\nchannels:\n  {topic}.updated:\n    subscribe:\n      message:\n        payload:\n          type: object\n          properties:\n            id:\n              type: string\n"
        ),
        _ => format!(
            "openapi: 3.0.3\ninfo:\n  title: {title}\n  version: {version}\npaths:\n  /{topic}s:\n    get:\n      summary: List {topic}s\n      responses:\n        '200':\n          description: OK\n  /{topic}s/{{id}}:\n    get:\n      summary: Get one {topic}\n      parameters:\n        - name: id\n          in: path\n          required: true\n          schema:\n            type: string\n      responses:\n        '200':\n          description: OK\n        '404':\n          description: Not found\n"
        ),
    }
}

// ---------------------------------------------------------------------------
// Output

/// Write `docs` as multi-document YAML files `dir/part-0001.yaml`, … with
/// `per_file` documents each (one JSON-encoded document per line, which is
/// valid YAML), plus `dir/catalog-info.yaml`: a Location named
/// `generated-catalog` that targets every part. Returns the path of
/// `catalog-info.yaml`.
pub fn write_yaml_tree(docs: &[Value], dir: &Path, per_file: usize) -> io::Result<PathBuf> {
    if per_file == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "per_file must be at least 1",
        ));
    }
    fs::create_dir_all(dir)?;
    let mut targets = Vec::new();
    for (i, chunk) in docs.chunks(per_file).enumerate() {
        let file = format!("part-{:04}.yaml", i + 1);
        let mut out = BufWriter::with_capacity(1 << 20, fs::File::create(dir.join(&file))?);
        for doc in chunk {
            out.write_all(b"---\n")?;
            serde_json::to_writer(&mut out, doc)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        targets.push(file);
    }
    let root = dir.join("catalog-info.yaml");
    let mut out = BufWriter::new(fs::File::create(&root)?);
    writeln!(out, "apiVersion: {API_VERSION}")?;
    writeln!(out, "kind: Location")?;
    writeln!(out, "metadata:")?;
    writeln!(out, "  name: generated-catalog")?;
    writeln!(
        out,
        "  description: Synthetic catalog of {} entities written by callboard-gen.",
        docs.len()
    )?;
    writeln!(out, "spec:")?;
    if targets.is_empty() {
        writeln!(out, "  targets: []")?;
    } else {
        writeln!(out, "  targets:")?;
        for t in &targets {
            writeln!(out, "    - ./{t}")?;
        }
    }
    out.flush()?;
    Ok(root)
}

/// Write each document's `metadata.name`, one per line.
pub fn write_names(docs: &[Value], path: &Path) -> io::Result<()> {
    let mut out = BufWriter::new(fs::File::create(path)?);
    for doc in docs {
        if let Some(name) = doc.pointer("/metadata/name").and_then(Value::as_str) {
            writeln!(out, "{name}")?;
        }
    }
    out.flush()
}

/// The documents as a catalog server returns them: parsed, with relations
/// emitted and stitched, `metadata.namespace` filled in and a deterministic
/// `uid` and `etag`. Fails on the first document that does not parse or
/// whose refs do not.
pub fn server_entities(docs: &[Value]) -> Result<Vec<Entity>, String> {
    let mut entities = Vec::with_capacity(docs.len());
    let mut emitted = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let entity =
            Entity::from_value(doc.clone()).map_err(|e| format!("document {}: {e}", i + 1))?;
        let relations = emit_relations(&entity).map_err(|errors| {
            let first = &errors[0];
            format!("{}: {} {:?}", entity.ref_key(), first.path, first.error)
        })?;
        emitted.extend(relations);
        entities.push(entity);
    }
    stitch(&mut entities, emitted);
    for entity in &mut entities {
        let key = entity.ref_key();
        let h1 = fnv1a(key.as_bytes(), 0xCBF2_9CE4_8422_2325);
        let h2 = fnv1a(key.as_bytes(), 0x8422_2325_CBF2_9CE4);
        entity.metadata.namespace = Some("default".into());
        entity.metadata.uid = Some(format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            h1 >> 32,
            (h1 >> 16) & 0xFFFF,
            h1 & 0xFFF,
            0x8000 | ((h2 >> 48) & 0x3FFF),
            h2 & 0xFFFF_FFFF_FFFF
        ));
        entity.metadata.etag = Some(format!("{h2:016x}{h1:016x}"));
    }
    Ok(entities)
}

fn fnv1a(bytes: &[u8], basis: u64) -> u64 {
    bytes.iter().fold(basis, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use callboard_core::catalog::entity_ref::{EntityRef, RefContext};
    use callboard_core::catalog::index::{
        dependency_tree, Catalog, CatalogEntity, Direction, Origin,
    };
    use callboard_core::catalog::validate::{is_valid_object_name, validate_document};
    use std::collections::HashMap;

    fn docs(n: usize, seed: u64) -> Vec<Value> {
        generate(&GenOptions { entities: n, seed })
    }

    fn kind_of(doc: &Value) -> &str {
        doc["kind"].as_str().unwrap()
    }

    fn key(doc: &Value) -> String {
        let kind = kind_of(doc);
        EntityRef::new(kind, "default", doc["metadata"]["name"].as_str().unwrap()).canonical()
    }

    #[test]
    fn same_seed_same_output_other_seed_other_output() {
        let a = docs(2000, 7);
        assert_eq!(a, docs(2000, 7));
        assert_ne!(a, docs(2000, 8));
    }

    #[test]
    fn every_document_is_valid_and_emits_relations() {
        for doc in docs(2000, 1) {
            let issues = validate_document(&doc);
            assert!(issues.is_empty(), "{doc}: {issues:?}");
            let entity = Entity::from_value(doc.clone()).unwrap();
            assert!(emit_relations(&entity).is_ok(), "{doc}");
            let name = doc["metadata"]["name"].as_str().unwrap();
            assert!(is_valid_object_name(name), "{name}");
            if let Some(d) = doc["metadata"]["description"].as_str() {
                if matches!(kind_of(&doc), "Component" | "API" | "Resource" | "System") {
                    assert!((40..=200).contains(&d.len()), "{} chars: {d}", d.len());
                }
            }
        }
    }

    #[test]
    fn total_is_met_and_refs_are_unique() {
        for n in [50, 2000, 10_000] {
            let docs = docs(n, 3);
            assert_eq!(docs.len(), n);
            let mut seen = HashSet::new();
            for doc in &docs {
                assert!(seen.insert(key(doc)), "duplicate {}", key(doc));
            }
        }
        // Tiny catalogs still generate one of everything.
        assert!(!docs(1, 3).is_empty());
        assert!(docs(0, 3).is_empty());
    }

    #[test]
    fn no_dangling_refs_and_dependencies_form_a_dag() {
        let docs = docs(2000, 11);
        let keys: HashSet<String> = docs.iter().map(key).collect();
        let position: HashMap<String, usize> =
            docs.iter().enumerate().map(|(i, d)| (key(d), i)).collect();
        let fields = [
            ("owner", Some("Group")),
            ("system", Some("System")),
            ("domain", Some("Domain")),
            ("memberOf", Some("Group")),
            ("parent", Some("Group")),
            ("children", Some("Group")),
            ("members", Some("User")),
            ("providesApis", Some("API")),
            ("consumesApis", Some("API")),
            ("dependsOn", None),
        ];
        let mut depends = 0;
        for doc in &docs {
            let me = key(doc);
            for (field, default_kind) in fields {
                let values: Vec<&str> = match &doc["spec"][field] {
                    Value::String(s) => vec![s.as_str()],
                    Value::Array(a) => a.iter().map(|v| v.as_str().unwrap()).collect(),
                    _ => continue,
                };
                for v in values {
                    if field == "dependsOn" {
                        assert!(
                            v.starts_with("component:default/")
                                || v.starts_with("resource:default/"),
                            "{v}"
                        );
                        // Only earlier documents: a DAG in file order.
                        assert!(position[&v.to_string()] < position[&me], "{me} -> {v}");
                        depends += 1;
                    }
                    let target =
                        EntityRef::parse_with(v, RefContext::new(default_kind, Some("default")))
                            .unwrap()
                            .canonical();
                    assert!(keys.contains(&target), "{me}.{field} -> {target} dangles");
                }
            }
        }
        assert!(depends > 500);
    }

    #[test]
    fn group_tree_and_membership_are_consistent() {
        let docs = docs(2000, 5);
        let by_key: HashMap<String, &Value> = docs.iter().map(|d| (key(d), d)).collect();
        let strs = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
                .unwrap_or_default()
        };
        let mut orgs = 0;
        for doc in docs.iter().filter(|d| kind_of(d) == "Group") {
            let name = doc["metadata"]["name"].as_str().unwrap();
            match doc["spec"]["type"].as_str().unwrap() {
                "organization" => orgs += 1,
                "team" => {
                    assert!(doc["metadata"]["annotations"]
                        .as_object()
                        .unwrap()
                        .keys()
                        .any(|k| callboard_core::catalog::entity::is_on_call_annotation(k)));
                    assert!(doc["spec"]["profile"]["email"].is_string());
                }
                _ => {}
            }
            for child in strs(&doc["spec"]["children"]) {
                let child = by_key[&format!("group:default/{child}")];
                assert_eq!(child["spec"]["parent"].as_str(), Some(name));
            }
            if let Some(parent) = doc["spec"]["parent"].as_str() {
                let parent = by_key[&format!("group:default/{parent}")];
                assert!(strs(&parent["spec"]["children"]).contains(&name.to_string()));
            }
            for member in strs(&doc["spec"]["members"]) {
                let user = by_key[&format!("user:default/{member}")];
                assert!(strs(&user["spec"]["memberOf"]).contains(&name.to_string()));
            }
        }
        assert_eq!(orgs, 1);
        for user in docs.iter().filter(|d| kind_of(d) == "User") {
            let name = user["metadata"]["name"].as_str().unwrap().to_string();
            assert!(user["spec"]["profile"]["email"].is_string());
            assert!(user["spec"]["profile"]["displayName"].is_string());
            for group in strs(&user["spec"]["memberOf"]) {
                let group = by_key[&format!("group:default/{group}")];
                assert!(strs(&group["spec"]["members"]).contains(&name));
            }
        }
    }

    #[test]
    fn proportions_depth_and_hubs_look_real() {
        let docs = docs(10_000, 2);
        let count = |kind: &str| docs.iter().filter(|d| kind_of(d) == kind).count();
        let (components, apis, resources) = (count("Component"), count("API"), count("Resource"));
        let (users, groups) = (count("User"), count("Group"));
        let teams = docs.iter().filter(|d| d["spec"]["type"] == "team").count();
        assert!((4400..=5600).contains(&components), "{components}");
        assert!((1400..=1900).contains(&apis), "{apis}");
        assert!((900..=1300).contains(&resources), "{resources}");
        assert!(
            (components / 10..=components / 6).contains(&users),
            "{users}"
        );
        assert!(
            (components / 25..=components / 16).contains(&teams),
            "{teams}"
        );
        assert!(groups > teams);
        let types = |t: &str| {
            docs.iter()
                .filter(|d| kind_of(d) == "Component" && d["spec"]["type"] == t)
                .count()
        };
        assert!(types("service") > types("library") && types("library") > types("website"));
        assert!(types("website") > 0);
        let runbooks = docs
            .iter()
            .filter(|d| {
                d["metadata"]["links"]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|l| l["title"] == "Runbook"))
            })
            .count();
        assert!(runbooks > components / 5);
        for d in &docs {
            if let Some(tags) = d["metadata"]["tags"].as_array() {
                assert!(tags.len() <= 4);
            }
        }

        // Depths and blast radius on the stitched catalog.
        let entities = server_entities(&docs).unwrap();
        let depth = longest_depends_on_path(&entities);
        assert!((3..=MAX_DEPTH).contains(&depth), "depth {depth}");
        let hub = entities
            .iter()
            .max_by_key(|e| {
                e.relations()
                    .iter()
                    .filter(|r| r.relation_type == "dependencyOf")
                    .count()
            })
            .unwrap()
            .ref_key();
        let catalog = Catalog::new(entities.into_iter().map(|entity| CatalogEntity {
            entity,
            origin: Origin::default(),
        }));
        let blast = dependency_tree(&catalog, &hub, Direction::DependedOnBy, None);
        assert!(blast.count > components / 10, "{hub}: {}", blast.count);
    }

    fn longest_depends_on_path(entities: &[Entity]) -> usize {
        let index: HashMap<String, usize> = entities
            .iter()
            .enumerate()
            .map(|(i, e)| (e.ref_key(), i))
            .collect();
        let mut memo: Vec<Option<usize>> = vec![None; entities.len()];
        fn depth(
            i: usize,
            entities: &[Entity],
            index: &HashMap<String, usize>,
            memo: &mut Vec<Option<usize>>,
        ) -> usize {
            if let Some(d) = memo[i] {
                return d;
            }
            let d = entities[i]
                .relations()
                .iter()
                .filter(|r| r.relation_type == "dependsOn")
                .map(|r| 1 + depth(index[&r.target_ref], entities, index, memo))
                .max()
                .unwrap_or(0);
            memo[i] = Some(d);
            d
        }
        (0..entities.len())
            .map(|i| depth(i, entities, &index, &mut memo))
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn yaml_tree_round_trips_and_names_are_listed() {
        let docs = docs(300, 9);
        let dir = tempfile::tempdir().unwrap();
        let root = write_yaml_tree(&docs, dir.path(), 100).unwrap();
        let location: Value = serde_norway::from_str(&fs::read_to_string(&root).unwrap()).unwrap();
        assert!(validate_document(&location).is_empty());
        assert_eq!(location["metadata"]["name"], "generated-catalog");
        let targets = location["spec"]["targets"].as_array().unwrap();
        assert_eq!(targets.len(), 3);
        let mut read: Vec<Value> = Vec::new();
        for t in targets {
            let path = dir
                .path()
                .join(t.as_str().unwrap().trim_start_matches("./"));
            let text = fs::read_to_string(path).unwrap();
            for doc in serde_norway::Deserializer::from_str(&text) {
                read.push(serde::Deserialize::deserialize(doc).unwrap());
            }
        }
        assert_eq!(read, docs);

        let names = dir.path().join("names.txt");
        write_names(&docs, &names).unwrap();
        assert_eq!(
            fs::read_to_string(names).unwrap().lines().count(),
            docs.len()
        );
    }

    #[test]
    fn server_entities_carry_relations_and_ids() {
        let docs = docs(500, 4);
        let entities = server_entities(&docs).unwrap();
        assert_eq!(entities.len(), docs.len());
        let uids: HashSet<_> = entities
            .iter()
            .map(|e| e.metadata.uid.clone().unwrap())
            .collect();
        assert_eq!(uids.len(), entities.len());
        assert!(entities.iter().all(|e| e.namespace() == "default"));
        assert!(
            entities
                .iter()
                .filter(|e| !e.relations().is_empty())
                .count()
                > docs.len() * 9 / 10
        );
    }
}
