//! Turning the model into catalog documents (descriptor-file shape).

use serde_json::{json, Map, Value};

use crate::model::{Generator, NodeKind};
use crate::words::{
    describe, tags, title_case, Words, API_SENTENCES, DOMAIN_SENTENCES, LANG_TAGS,
    LIBRARY_SENTENCES, RESOURCE_SENTENCES, RESOURCE_TAGS, SERVICE_SENTENCES, SYSTEM_SENTENCES,
    TEAM_SENTENCES, TECH_TAGS, WEBSITE_SENTENCES,
};
use crate::API_VERSION;

impl Generator {
    pub(crate) fn email(&self, local: &str) -> String {
        format!("{local}@{}.example", self.company)
    }

    pub(crate) fn owner_ref(&mut self, team: usize) -> String {
        let name = &self.teams[team].name;
        match self.rng.below(10) {
            0 => format!("group:default/{name}"),
            1 => format!("group:{name}"),
            _ => name.clone(),
        }
    }

    pub(crate) fn node_ref(&self, n: usize) -> String {
        let node = &self.nodes[n];
        let kind = match node.kind {
            NodeKind::Component => "component",
            NodeKind::Resource => "resource",
        };
        format!("{kind}:default/{}", node.name)
    }

    pub(crate) fn documents(&mut self) -> Vec<Value> {
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

    pub(crate) fn org_doc(&mut self) -> Value {
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

    pub(crate) fn dept_doc(&mut self, d: usize) -> Value {
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

    pub(crate) fn team_doc(&mut self, t: usize) -> Value {
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

    pub(crate) fn user_doc(&mut self, u: usize) -> Value {
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

    pub(crate) fn domain_doc(&mut self, d: usize) -> Value {
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

    pub(crate) fn system_doc(&mut self, s: usize) -> Value {
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

    pub(crate) fn software_words(&self, n: usize) -> (&'static str, &'static str, String) {
        let node = &self.nodes[n];
        let team = self.teams[node.owner].name.clone();
        match node.system {
            Some(s) => (self.systems[s].area, self.systems[s].topic, team),
            None => ("platform", "infrastructure", team),
        }
    }

    pub(crate) fn component_doc(&mut self, n: usize) -> Value {
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

    pub(crate) fn resource_doc(&mut self, n: usize) -> Value {
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

    pub(crate) fn api_doc(&mut self, a: usize) -> Value {
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
pub(crate) fn definition(spec_type: &str, name: &str, topic: &str, version: &str) -> String {
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
