//! Word lists and description templates, and the helpers that draw
//! names, titles, tags and sentences from them.

use std::collections::HashSet;

use crate::rng::Rng;

pub(crate) const COMPANIES: &[(&str, &str)] = &[
    ("acme", "Acme Corporation"),
    ("globex", "Globex"),
    ("initech", "Initech"),
    ("hooli", "Hooli"),
    ("umbrella", "Umbrella Group"),
    ("tyrell", "Tyrell Systems"),
    ("wonka", "Wonka Industries"),
    ("stark", "Stark Digital"),
];

pub(crate) const AREAS: &[&str] = &[
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

pub(crate) const TOPICS: &[&str] = &[
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

pub(crate) const DEPT_SUFFIXES: &[&str] = &[
    "engineering",
    "platform",
    "products",
    "operations",
    "labs",
    "solutions",
    "technology",
];

pub(crate) const DOMAIN_QUALIFIERS: &[&str] = &[
    "core",
    "experience",
    "operations",
    "insights",
    "partner",
    "internal",
    "foundations",
];

pub(crate) const FIRST_NAMES: &[&str] = &[
    "ada", "alan", "alice", "amara", "ana", "andrei", "anika", "ben", "bianca", "bo", "carla",
    "chen", "chloe", "dan", "dara", "david", "diego", "elena", "emil", "emma", "erik", "fatima",
    "felix", "gina", "grace", "hana", "hugo", "ines", "ivan", "jack", "jana", "jin", "jonas",
    "julia", "kai", "karin", "kofi", "lara", "leo", "lina", "luca", "maya", "mehmet", "mia",
    "nadia", "nina", "noah", "olga", "omar", "paula", "pedro", "priya", "quinn", "rafael", "rosa",
    "ruth", "sam", "sara", "sofia", "tariq", "tess", "tomas", "uma", "vera", "victor", "wei",
    "yara", "yusuf", "zoe", "zara",
];

pub(crate) const LAST_NAMES: &[&str] = &[
    "abbott", "adeyemi", "alvarez", "andersen", "baker", "becker", "bianchi", "brown", "campbell",
    "chen", "costa", "dubois", "eriksson", "fischer", "garcia", "gomez", "gupta", "haddad",
    "hansen", "hoffmann", "ito", "jansen", "kaur", "kim", "kowalski", "kumar", "larsen", "lee",
    "lopez", "martin", "meyer", "moreau", "murphy", "nakamura", "nguyen", "novak", "okafor",
    "olsen", "patel", "perez", "petrov", "quinn", "rossi", "santos", "schmidt", "silva", "singh",
    "smith", "sato", "tanaka", "taylor", "torres", "vargas", "wagner", "walsh", "wang", "weber",
    "williams", "yilmaz", "zhang",
];

pub(crate) const LANG_TAGS: &[&str] = &[
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
pub(crate) const TECH_TAGS: &[&str] = &[
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
pub(crate) const RESOURCE_TAGS: &[&str] = &[
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
pub(crate) const TECH: &[&str] = &[
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

pub(crate) const SERVICE_SENTENCES: &[&str] = &[
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
pub(crate) const WEBSITE_SENTENCES: &[&str] = &[
    "Customer-facing {a} web app for managing {t} settings.",
    "Internal admin console for {a} {t} operations.",
    "Single-page app built with React and served from the CDN.",
    "Shows {t} history and status to support agents.",
    "Feature flags gate every release; see the runbook before a rollback.",
    "Server-side rendered pages for {a}, tuned for Core Web Vitals.",
];
pub(crate) const LIBRARY_SENTENCES: &[&str] = &[
    "Shared library for {t} parsing and validation.",
    "Thin client for the {a} {t} API with retries and tracing.",
    "Common models and helpers used across {a} services.",
    "Wraps {x} access with connection pooling and metrics.",
    "Versioned with semver; breaking changes need an ADR.",
];
pub(crate) const RESOURCE_SENTENCES: &[&str] = &[
    "Stores {t} records for the {a} domain.",
    "Provisioned with Terraform; changes go through the infra pipeline.",
    "Encrypted at rest; retention is {n} days.",
    "Replicated across three availability zones.",
    "Holds {t} data consumed by {a} batch jobs.",
];
pub(crate) const API_SENTENCES: &[&str] = &[
    "Public contract for {t} operations in {a}.",
    "Lets clients read and update {t} resources.",
    "Versioned API; breaking changes require a new major version.",
    "Rate limited to {n} requests per second per client.",
    "Consumers must authenticate with a platform token.",
];
pub(crate) const SYSTEM_SENTENCES: &[&str] = &[
    "Everything needed to run {a} {t}: services, data stores and APIs.",
    "Groups the components behind {a} {t} and their shared infrastructure.",
    "Owned by the {team} team; architecture notes live in the wiki.",
    "Tier-1 system with a {n}-minute recovery time objective.",
];
pub(crate) const DOMAIN_SENTENCES: &[&str] = &[
    "The {a} business domain and the systems that implement it.",
    "Strategy and roadmap for {a} are set by the domain leads.",
    "Covers {a} products for customers and internal users alike.",
];
pub(crate) const TEAM_SENTENCES: &[&str] = &[
    "Builds and runs {a} {t} services.",
    "Owns {t} within the {a} department and is on call for it.",
    "Reach us in the team channel; page the rota for production issues.",
    "Works in two-week cycles; intake via the {a} board.",
];

pub(crate) struct Words<'a> {
    pub(crate) area: &'a str,
    pub(crate) topic: &'a str,
    pub(crate) team: &'a str,
}

/// A description of 40–200 characters made from `sentences`.
pub(crate) fn describe(rng: &mut Rng, sentences: &[&str], words: &Words) -> String {
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

pub(crate) fn fill(rng: &mut Rng, template: &str, w: &Words) -> String {
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

pub(crate) fn title_case(name: &str) -> String {
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
pub(crate) fn unique(taken: &mut HashSet<String>, mut candidate: impl FnMut() -> String) -> String {
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
pub(crate) fn tags(
    rng: &mut Rng,
    pools: &[&'static [&'static str]],
    max: usize,
) -> Vec<&'static str> {
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
