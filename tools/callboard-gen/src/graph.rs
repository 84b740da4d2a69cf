//! Building the model: the org tree, users, domains and systems, then
//! the software graph (components, resources, APIs) as a DAG.

use std::collections::HashSet;

use crate::model::{
    component_suffixes, depth_weights, resource_suffix, Api, Dept, Domain, Generator, Node,
    NodeKind, System, Team, User, API_TYPES, COMPONENT_TYPES, HUBS, LIFECYCLES, RESOURCE_TYPES,
};
use crate::words::{
    title_case, unique, AREAS, DEPT_SUFFIXES, DOMAIN_QUALIFIERS, FIRST_NAMES, LAST_NAMES, TOPICS,
};
use crate::MAX_DEPTH;

impl Generator {
    pub(crate) fn org(&mut self) {
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

    pub(crate) fn users(&mut self) {
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

    pub(crate) fn domains_and_systems(&mut self) {
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

    pub(crate) fn push_node(&mut self, node: Node) -> usize {
        let i = self.nodes.len();
        self.by_depth[node.depth].push(i);
        if let Some(s) = node.system {
            self.by_system[s].push(i);
        }
        self.nodes.push(node);
        i
    }

    pub(crate) fn lifecycle(&mut self) -> &'static str {
        self.rng.weighted_pick(LIFECYCLES)
    }

    pub(crate) fn software(&mut self) {
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

    pub(crate) fn owner_for(&mut self, system: usize) -> usize {
        let owner = self.systems[system].owner;
        if self.rng.chance(0.85) {
            owner
        } else {
            *self.rng.pick(&self.depts[self.teams[owner].dept].teams)
        }
    }

    pub(crate) fn resource(&mut self, taken: &mut HashSet<String>) {
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

    pub(crate) fn component(&mut self, taken: &mut HashSet<String>) {
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
    pub(crate) fn apis(&mut self) {
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
    pub(crate) fn consumers(&mut self) {
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
}
