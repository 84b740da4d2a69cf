//! The model being generated (org, users, domains, systems, the software
//! graph) and the tables that shape it.

use crate::rng::Rng;
use crate::MAX_DEPTH;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) departments: usize,
    pub(crate) teams: usize,
    pub(crate) users: usize,
    pub(crate) domains: usize,
    pub(crate) systems: usize,
    pub(crate) components: usize,
    pub(crate) apis: usize,
    pub(crate) resources: usize,
}

impl Counts {
    pub(crate) fn for_components(components: usize) -> Counts {
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

    pub(crate) fn total(&self) -> usize {
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
    pub(crate) fn for_total(entities: usize) -> Counts {
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

pub(crate) struct Dept {
    pub(crate) name: String,
    pub(crate) area: &'static str,
    pub(crate) teams: Vec<usize>,
    pub(crate) head: Option<usize>,
}

pub(crate) struct Team {
    pub(crate) name: String,
    pub(crate) dept: usize,
    pub(crate) topic: &'static str,
    pub(crate) members: Vec<usize>,
}

pub(crate) struct User {
    pub(crate) name: String,
    pub(crate) display: String,
    pub(crate) teams: Vec<usize>,
    /// Department this user heads, if any.
    pub(crate) heads: Option<usize>,
}

pub(crate) struct Domain {
    pub(crate) name: String,
    pub(crate) area: &'static str,
    pub(crate) dept: usize,
}

pub(crate) struct System {
    pub(crate) name: String,
    pub(crate) area: &'static str,
    pub(crate) topic: &'static str,
    pub(crate) domain: usize,
    pub(crate) owner: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeKind {
    Component,
    Resource,
}

pub(crate) struct Node {
    pub(crate) kind: NodeKind,
    pub(crate) name: String,
    pub(crate) spec_type: &'static str,
    pub(crate) lifecycle: &'static str,
    pub(crate) owner: usize,
    pub(crate) system: Option<usize>,
    pub(crate) depth: usize,
    pub(crate) depends_on: Vec<usize>,
    pub(crate) provides: Vec<usize>,
    pub(crate) consumes: Vec<usize>,
    pub(crate) hub: bool,
}

pub(crate) struct Api {
    pub(crate) name: String,
    pub(crate) spec_type: &'static str,
    pub(crate) provider: usize,
    pub(crate) topic: &'static str,
}

/// Shared infrastructure that many things depend on:
/// (kind, name, type, indices of earlier hubs it depends on, weight).
pub(crate) const HUBS: &[(NodeKind, &str, &str, &[usize], u32)] = &[
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

pub(crate) const COMPONENT_TYPES: &[(&str, u32)] =
    &[("service", 58), ("website", 12), ("library", 30)];
pub(crate) const LIFECYCLES: &[(&str, u32)] =
    &[("production", 75), ("experimental", 15), ("deprecated", 10)];
pub(crate) const RESOURCE_TYPES: &[(&str, u32)] = &[
    ("database", 35),
    ("s3-bucket", 20),
    ("kafka-topic", 15),
    ("cache", 10),
    ("queue", 10),
    ("search-index", 10),
];
pub(crate) const API_TYPES: &[(&str, u32)] = &[
    ("openapi", 65),
    ("grpc", 15),
    ("graphql", 8),
    ("asyncapi", 12),
];

pub(crate) fn component_suffixes(spec_type: &str) -> &'static [&'static str] {
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

pub(crate) fn resource_suffix(spec_type: &str) -> &'static str {
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
pub(crate) fn depth_weights(spec_type: &str) -> &'static [u32; MAX_DEPTH + 1] {
    match spec_type {
        "library" => &[50, 35, 15, 0, 0, 0, 0, 0, 0],
        "website" => &[0, 0, 10, 20, 25, 20, 12, 8, 5],
        _ => &[0, 10, 20, 25, 20, 12, 7, 4, 2],
    }
}

pub(crate) struct Generator {
    pub(crate) rng: Rng,
    pub(crate) company: &'static str,
    pub(crate) company_title: &'static str,
    pub(crate) counts: Counts,
    pub(crate) depts: Vec<Dept>,
    pub(crate) teams: Vec<Team>,
    pub(crate) users: Vec<User>,
    pub(crate) domains: Vec<Domain>,
    pub(crate) systems: Vec<System>,
    pub(crate) nodes: Vec<Node>,
    pub(crate) apis: Vec<Api>,
    /// Node indices by depth.
    pub(crate) by_depth: Vec<Vec<usize>>,
    /// Node indices by system.
    pub(crate) by_system: Vec<Vec<usize>>,
    /// (node index, weight) of hubs.
    pub(crate) hubs: Vec<(usize, u32)>,
}
