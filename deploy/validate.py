"""Offline checks of everything under deploy/, the Dockerfiles and docker-compose.yml.

    .venv/bin/python deploy/validate.py

Renders every kustomization root (deploy/k8s/base and each overlay) with `kubectl kustomize` (or the `kustomize`
binary), validates the Kubernetes objects with `kubernetes-validate --strict` against its bundled schemas, the KEDA
objects against the JSON Schemas in deploy/schemas, docker-compose.yml against the Compose Specification bundled
with check-jsonschema, and then checks what no schema can: that pods are hardened and probed, that secrets are only
referenced, that every writer pool's ScaledObject follows its pool, that Services and Ingresses reach ports the pods
declare and that the writers' QuickBooks Web Connector endpoint is exposed, let in and given its public HTTPS URL,
that the compose stack's references and ports resolve (each host port published once, on loopback, to a port that
is served), and that the dashboards and the Prometheus and collector configurations parse and name what exists.
Nothing is fetched: every schema ships with the installed packages. Prints one line per check; exits 1 if any failed.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from subprocess import PIPE
from typing import Any
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
SCHEMAS = DEPLOY / "schemas"
COMPOSE_FILE = ROOT / "docker-compose.yml"
COMPOSE_CONFIG = DEPLOY / "compose"
DASHBOARDS = COMPOSE_CONFIG / "grafana" / "dashboards"

Resource = dict[str, Any]

# The kustomization roots to render, and the partition count of each environment's topics: no consumer group
# usefully has more members than that, so it bounds every autoscaler's maximum.
PARTITIONS = {"base": 6, "dev": 6, "prod": 12}

# Kinds that are not Kubernetes' own, validated against our schemas instead of kubernetes-validate's.
CRD_SCHEMAS = {
    ("keda.sh/v1alpha1", "ScaledObject"): SCHEMAS / "keda-scaledobject.schema.json",
    ("keda.sh/v1alpha1", "TriggerAuthentication"): SCHEMAS / "keda-triggerauthentication.schema.json",
}

# The Kubernetes versions the rendered objects must be valid for: the oldest supported and the newest bundled.
KUBERNETES_VERSIONS = ("1.30", "1.37")

SECRET_NAME = "ledgerflow"  # the only Secret the services read; created by the operator, never rendered
FASTSTREAM_GRACEFUL_TIMEOUT = 15  # seconds; terminationGracePeriodSeconds must exceed it
WRITER_TOPIC = "ledger.commands"
WRITER_GROUP_PREFIX = "ledger-writer-"

# Service directory -> the module its image runs, and the arguments after it.
SERVICES = {
    "ingest": ["python", "-m", "ledgerflow.ingest"],
    "planner": ["python", "-m", "ledgerflow.planner"],
    "numbering": ["python", "-m", "ledgerflow.numbering"],
    "ledger-writer": ["python", "-m", "ledgerflow.ledger_writer"],
    "console": ["python", "-m", "ledgerflow.console"],
    "qbo-sim": ["python", "-m", "ledgerflow.qbo_sim", "--host", "0.0.0.0", "--port", "8000"],  # noqa: S104
    "qbd-sim": ["python", "-m", "ledgerflow.qbd_sim", "--host", "0.0.0.0", "--port", "8010"],  # noqa: S104
}
# The simulators serve no /metrics: Prometheus does not scrape them; nor does the console.
SIMULATORS = {"qbo-sim", "qbd-sim"}
UNSCRAPED = {*SIMULATORS, "console"}
PINNED_BASE = re.compile(r"^python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?$")

# The metric names the dashboards may chart (histograms with their _bucket/_sum/_count series).
KNOWN_METRICS = {
    "faststream_received_messages_total",
    "faststream_received_processed_messages_duration_seconds",
    "faststream_published_messages_total",
    "ledgerflow_dead_letters_total",
    "ledgerflow_consumer_lag",
    "ledgerflow_qbo_requests_total",
    "ledgerflow_qbo_errors_total",
    "ledgerflow_qbd_sessions_total",
    "ledgerflow_qbd_session_errors_total",
    "ledgerflow_qbd_requests_answered_total",
    "ledgerflow_qbd_message_set_requests",
    "ledgerflow_rate_limit_wait_seconds_total",
    "ledgerflow_documents_posted_total",
    "ledgerflow_writer_queue_depth",
    "ledgerflow_writer_queue_oldest_seconds",
    "ledgerflow_writer_queue_retrying",
    "ledgerflow_writer_queue_paused",
    "ledgerflow_writer_queue_over_limit",
    "ledgerflow_writer_company_requests_last_minute",
    "ledgerflow_writer_company_requests_limit",
    "ledgerflow_writer_company_throttled_total",
    "ledgerflow_writer_queue_wait_seconds",
    "ledgerflow_writer_queue_retries_total",
    "ledgerflow_writer_companies_leased",
    "ledgerflow_writer_lease_takeovers_total",
    "ledgerflow_order_to_books_seconds",
}
METRIC_NAME = re.compile(r"\b(?:faststream|ledgerflow)_[a-z0-9_]+")
RECORDED_NAME = re.compile(r"\bledgerflow:[a-z0-9_:]+")
RECORDING_RULES = ROOT / "deploy" / "observe" / "prometheus" / "rules.yml"


def recorded_names() -> set[str]:
    """The series ledgerflow's recording rules make (deploy/observe/prometheus/rules.yml)."""
    rules = yaml.safe_load(RECORDING_RULES.read_text())
    return {rule["record"] for group in rules["groups"] for rule in group["rules"] if "record" in rule}


def recording_rule_problems(rules: dict[str, Any]) -> list[str]:
    """Each rule reads only metrics the services export, and names a series in ledgerflow's namespace."""
    problems = []
    for group in rules.get("groups", []):
        for rule in group.get("rules", []):
            name = str(rule.get("record", ""))
            if not name.startswith("ledgerflow:"):
                problems.append(f"rule {name!r} is not named ledgerflow:<what>:<how>")
            for metric in METRIC_NAME.findall(str(rule.get("expr", ""))):
                if re.sub(r"_(bucket|sum|count)$", "", metric) not in KNOWN_METRICS:
                    problems.append(f"rule {name!r} reads {metric}, which no service exports")
    return problems


# A token endpoint's address (LEDGERFLOW_QBO_TOKEN_URL) is configuration; every other TOKEN is a credential.
SECRET_LIKE = re.compile(r"PASSWORD|TOKEN(?!_URL$)|SECRET|_KEY$|CONNECTIONS|DATABASE_URL")

# The QuickBooks Web Connector endpoint the writers serve (LEDGERFLOW_QBD_PORT), on the container port `qbwc`, at
# LEDGERFLOW_QBD_PUBLIC_URL: HTTPS (TLS ends at the ingress), or plain HTTP on localhost, which is all the Web
# Connector allows.
QBWC_PORT_NAME = "qbwc"
QBWC_PATH = "/qbwc"
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


class CheckFailed(Exception):
    """A check found problems; the message lists them, one per line."""


def fail_if(problems: list[str]) -> None:
    if problems:
        raise CheckFailed("\n".join(problems))


# --- rendering ----------------------------------------------------------------------------------------------------


def kustomization_roots() -> dict[str, Path]:
    """deploy/k8s/base and every overlay, by name."""
    roots = {"base": K8S / "base"}
    for kustomization in sorted((K8S / "overlays").glob("*/kustomization.yaml")):
        roots[kustomization.parent.name] = kustomization.parent
    return roots


def kustomize_command(root: Path) -> list[str]:
    """`kubectl kustomize`, else the `kustomize` binary on PATH or next to this interpreter (e.g. in .venv/bin)."""
    if kubectl := shutil.which("kubectl"):
        return [kubectl, "kustomize", str(root)]
    beside = Path(sys.executable).parent
    if kustomize := shutil.which("kustomize") or shutil.which("kustomize", path=str(beside)):
        return [kustomize, "build", str(root)]
    raise CheckFailed(
        "neither kubectl nor kustomize is on PATH: install kubectl (it embeds kustomize), or the kustomize binary: "
        f"GOBIN={beside} go install sigs.k8s.io/kustomize/kustomize/v5@v5.5.0"
    )


def render(root: Path) -> list[Resource]:
    """The objects a kustomization root renders to."""
    done = subprocess.run(kustomize_command(root), capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0:
        raise CheckFailed(f"{rel(root)} does not render:\n{done.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def ident(resource: Resource) -> str:
    return f"{resource.get('kind')}/{resource.get('metadata', {}).get('name')}"


def kinds(resources: list[Resource]) -> str:
    counts = Counter(str(r.get("kind")) for r in resources)
    return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))


# --- schema validation --------------------------------------------------------------------------------------------


def run_tools(module: str, runs: list[list[str]], install: str) -> list[subprocess.CompletedProcess[str]]:
    """Run a Python tool installed next to this interpreter (never from the network), the runs side by side."""
    if importlib.util.find_spec(module) is None:
        raise CheckFailed(f"{module} is not installed: {sys.executable} -m pip install {install}")
    started = [
        (args, subprocess.Popen([sys.executable, "-m", module, *args], stdout=PIPE, stderr=PIPE, text=True))
        for args in runs
    ]
    done = []
    for args, process in started:
        stdout, stderr = process.communicate(timeout=300)
        done.append(subprocess.CompletedProcess(args, process.returncode, stdout, stderr))
    return done


def kubernetes_validate(rendered: dict[str, list[Resource]]) -> str:
    """`kubernetes-validate --strict` over every rendered object that is Kubernetes' own, for each version."""
    # The overlays share most objects with the base: validate each distinct object once (namespace aside).
    seen: set[str] = set()
    native: dict[str, list[Resource]] = {}
    for name, resources in rendered.items():
        native[name] = []
        for resource in resources:
            key = json.dumps({**resource, "metadata": {**resource["metadata"], "namespace": None}}, sort_keys=True)
            if crd_schema(resource) is None and key not in seen:
                seen.add(key)
                native[name].append(resource)
    total = sum(len(resources) for resources in native.values())
    with tempfile.TemporaryDirectory(prefix="ledgerflow-k8s-") as tmp:
        files = []
        for name, resources in native.items():
            if not resources:
                continue
            path = Path(tmp) / f"{name}.yaml"
            path.write_text(yaml.safe_dump_all(resources, sort_keys=False))
            files.append(str(path))
        problems = []
        runs = [["--strict", "-k", version, *files] for version in KUBERNETES_VERSIONS]
        for version, done in zip(
            KUBERNETES_VERSIONS, run_tools("kubernetes_validate", runs, "kubernetes-validate"), strict=True
        ):
            lines = done.stdout.splitlines() + done.stderr.splitlines()
            passed = sum(1 for line in lines if line.startswith("INFO") and " passed for resource " in line)
            problems += [f"{version}: {line}" for line in lines if not line.startswith("INFO")]
            if done.returncode != 0 or passed != total:
                problems.append(f"{version}: {passed} of {total} objects passed (exit status {done.returncode})")
    fail_if(problems)
    rendered_total = sum(1 for resources in rendered.values() for r in resources if crd_schema(r) is None)
    versions = " and ".join(KUBERNETES_VERSIONS)
    return f"{rendered_total} objects ({total} distinct) of {', '.join(native)} valid for Kubernetes {versions}"


def crd_schema(resource: Resource) -> Path | None:
    return CRD_SCHEMAS.get((str(resource.get("apiVersion")), str(resource.get("kind"))))


def crd_validate(rendered: dict[str, list[Resource]]) -> str:
    """Our JSON Schemas for the KEDA objects, with check-jsonschema (which also checks each schema itself)."""
    counts: Counter[str] = Counter()
    problems = []
    with tempfile.TemporaryDirectory(prefix="ledgerflow-crd-") as tmp:
        by_schema: dict[Path, list[str]] = {schema: [] for schema in CRD_SCHEMAS.values()}
        for name, resources in rendered.items():
            for i, resource in enumerate(resources):
                if (schema := crd_schema(resource)) is not None:
                    path = Path(tmp) / f"{name}-{i}-{resource['kind']}-{resource['metadata']['name']}.json"
                    path.write_text(json.dumps(resource))
                    by_schema[schema].append(str(path))
                    counts[str(resource["kind"])] += 1
        used = {schema: files for schema, files in by_schema.items() if files}
        runs = [["--schemafile", str(schema), *files] for schema, files in used.items()]
        for schema, done in zip(used, run_tools("check_jsonschema", runs, "check-jsonschema"), strict=True):
            if done.returncode != 0:
                problems.append(f"{rel(schema)}:\n{(done.stdout + done.stderr).strip()}")
    fail_if(problems)
    if not counts:
        raise CheckFailed("no KEDA objects rendered: every writer pool needs a ScaledObject")
    return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) + " valid against deploy/schemas"


# --- what the schemas cannot see ----------------------------------------------------------------------------------


def containers(deployment: Resource) -> list[Resource]:
    spec = deployment["spec"]["template"]["spec"]
    return list(spec.get("initContainers", [])) + list(spec.get("containers", []))


def env_value(container: Resource, name: str) -> str | None:
    for item in container.get("env", []):
        if item.get("name") == name:
            value = item.get("value")
            return None if value is None else str(value)
    return None


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def pod_problems(deployment: Resource) -> list[str]:
    """Hardening, probes, resources and shutdown of one Deployment's pods."""
    name = ident(deployment)
    pod = deployment["spec"]["template"]["spec"]
    pod_security = pod.get("securityContext", {})
    problems = []
    grace = pod.get("terminationGracePeriodSeconds", 30)
    if grace <= FASTSTREAM_GRACEFUL_TIMEOUT:
        problems.append(f"{name}: terminationGracePeriodSeconds {grace} is not above {FASTSTREAM_GRACEFUL_TIMEOUT}")
    if pod.get("automountServiceAccountToken") is not False:
        problems.append(f"{name}: mounts a service account token (set automountServiceAccountToken: false)")
    for c in containers(deployment):
        where = f"{name} container {c['name']}"
        security = c.get("securityContext", {})
        if not security.get("runAsNonRoot", pod_security.get("runAsNonRoot")):
            problems.append(f"{where}: runAsNonRoot is not true")
        if security.get("runAsUser", pod_security.get("runAsUser")) == 0:
            problems.append(f"{where}: runs as uid 0")
        if security.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: readOnlyRootFilesystem is not true")
        if security.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: allowPrivilegeEscalation is not false")
        if "ALL" not in security.get("capabilities", {}).get("drop", []) or security.get("capabilities", {}).get("add"):
            problems.append(f"{where}: capabilities must drop ALL and add none")
        seccomp = security.get("seccompProfile", pod_security.get("seccompProfile", {}))
        if seccomp.get("type") != "RuntimeDefault":
            problems.append(f"{where}: seccompProfile is not RuntimeDefault")
        resources = c.get("resources", {})
        for part in ("requests", "limits"):
            if not {"cpu", "memory"} <= set(resources.get(part, {})):
                problems.append(f"{where}: resources.{part} needs cpu and memory")
        image = str(c.get("image", ""))
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        if "@sha256:" not in image and (not tag or tag == "latest"):
            problems.append(f"{where}: image {image!r} needs a pinned tag")
        ports = {p.get("name"): p.get("containerPort") for p in c.get("ports", [])}
        for probe in ("livenessProbe", "readinessProbe"):
            http = c.get(probe, {}).get("httpGet")
            if not http:
                problems.append(f"{where}: no HTTP {probe}")
                continue
            if not str(http.get("path", "")).startswith("/health"):
                problems.append(f"{where}: {probe} path {http.get('path')!r} is not under /health")
            port = http.get("port")
            if port not in ports and port not in ports.values():
                problems.append(f"{where}: {probe} port {port!r} is not a container port")
        for item in c.get("env", []):
            if SECRET_LIKE.search(str(item.get("name"))) and "value" in item:
                problems.append(f"{where}: {item['name']} is set inline; read it from the Secret {SECRET_NAME!r}")
    return problems


def secret_references(resource: Resource) -> Iterator[str]:
    """The names of every Secret an object reads."""
    if resource.get("kind") == "Deployment":
        pod = resource["spec"]["template"]["spec"]
        for c in containers(resource):
            for source in c.get("envFrom", []):
                if "secretRef" in source:
                    yield str(source["secretRef"]["name"])
            for item in c.get("env", []):
                if ref := item.get("valueFrom", {}).get("secretKeyRef"):
                    yield str(ref["name"])
        for volume in pod.get("volumes", []):
            if "secret" in volume:
                yield str(volume["secret"]["secretName"])
    elif resource.get("kind") == "TriggerAuthentication":
        for ref in resource["spec"].get("secretTargetRef", []):
            yield str(ref["name"])


def manifest_problems(resources: list[Resource], partitions: int) -> list[str]:
    """Everything about one rendered root that a schema cannot express."""
    problems: list[str] = []
    by_kind: dict[str, list[Resource]] = {}
    for resource in resources:
        by_kind.setdefault(str(resource["kind"]), []).append(resource)
    deployments = {d["metadata"]["name"]: d for d in by_kind.get("Deployment", [])}
    config_maps = by_kind.get("ConfigMap", [])

    for secret in by_kind.get("Secret", []):
        problems.append(f"{ident(secret)} is rendered: secrets are created in the cluster, never committed")
    for resource in resources:
        problems += [
            f"{ident(resource)} reads the Secret {name!r}; only {SECRET_NAME!r} exists"
            for name in secret_references(resource)
            if name != SECRET_NAME
        ]
    for cm in config_maps:
        problems += [
            f"{ident(cm)} holds {key}, which is a secret: move it to the Secret {SECRET_NAME!r}"
            for key in cm.get("data", {})
            if SECRET_LIKE.search(key)
        ]
    cm_names = {cm["metadata"]["name"] for cm in config_maps}
    config = {k: v for cm in config_maps for k, v in cm.get("data", {}).items()}

    for deployment in deployments.values():
        problems += pod_problems(deployment)
        name = ident(deployment)
        labels = deployment["spec"]["template"]["metadata"].get("labels", {})
        if labels.get("app.kubernetes.io/part-of") != "ledgerflow":
            problems.append(f"{name}: pods lack app.kubernetes.io/part-of=ledgerflow (the default-deny policy)")
        for c in containers(deployment):
            problems += [
                f"{name}: envFrom names the ConfigMap {source['configMapRef']['name']!r}, which is not rendered"
                for source in c.get("envFrom", [])
                if "configMapRef" in source and source["configMapRef"]["name"] not in cm_names
            ]
        for kind in ("Service", "PodDisruptionBudget"):
            if not any(selects(selector_of(o), labels) for o in by_kind.get(kind, [])):
                problems.append(f"{name}: no {kind} selects its pods")

    deny = [
        p
        for p in by_kind.get("NetworkPolicy", [])
        if not p["spec"].get("ingress")
        and not p["spec"].get("egress")
        and {"Ingress", "Egress"} <= set(p["spec"].get("policyTypes", []))
        and p["spec"].get("podSelector", {}).get("matchLabels") == {"app.kubernetes.io/part-of": "ledgerflow"}
    ]
    if not deny:
        problems.append("no default-deny NetworkPolicy for app.kubernetes.io/part-of=ledgerflow")

    for hpa in by_kind.get("HorizontalPodAutoscaler", []):
        target = hpa["spec"]["scaleTargetRef"]["name"]
        if target not in deployments:
            problems.append(f"{ident(hpa)} scales {target!r}, which is not rendered")
        if hpa["spec"]["maxReplicas"] > partitions:
            problems.append(f"{ident(hpa)}: maxReplicas {hpa['spec']['maxReplicas']} > {partitions} partitions")

    problems += writer_pool_problems(deployments, by_kind.get("ScaledObject", []), config, partitions)
    problems += service_port_problems(by_kind.get("Service", []), deployments)
    problems += ingress_problems(by_kind.get("Ingress", []), by_kind.get("Service", []))
    problems += qbwc_problems(deployments, by_kind, config)
    return problems


def container_ports(deployment: Resource) -> dict[str, int]:
    """Port name (or, unnamed, its number) -> number, over the pod's containers."""
    return {
        str(p.get("name", p["containerPort"])): int(p["containerPort"])
        for c in containers(deployment)
        for p in c.get("ports", [])
    }


def pod_labels(deployment: Resource) -> dict[str, str]:
    return {str(k): str(v) for k, v in deployment["spec"]["template"]["metadata"].get("labels", {}).items()}


def service_port_problems(services: list[Resource], deployments: dict[str, Resource]) -> list[str]:
    """Every Service selects pods, and each of its ports' targets is a port those pods declare."""
    problems = []
    for service in services:
        selected = [d for d in deployments.values() if selects(selector_of(service), pod_labels(d))]
        if not selected:
            problems.append(f"{ident(service)} selects no Deployment's pods")
            continue
        for port in service["spec"].get("ports", []):
            target = port.get("targetPort", port.get("port"))
            for deployment in selected:
                ports = container_ports(deployment)
                if target not in ports and target not in ports.values():
                    problems.append(
                        f"{ident(service)} port {port.get('name', port.get('port'))!r} targets {target!r}, "
                        f"which {ident(deployment)} does not declare"
                    )
    return problems


def ingress_problems(ingresses: list[Resource], services: list[Resource]) -> list[str]:
    """Every Ingress backend is a rendered Service and one of its ports; every Ingress terminates TLS."""
    by_name = {s["metadata"]["name"]: s for s in services}
    problems = []
    for ingress in ingresses:
        spec = ingress["spec"]
        if not spec.get("tls"):
            problems.append(f"{ident(ingress)} has no TLS")
        for rule in spec.get("rules", []):
            for path in rule.get("http", {}).get("paths", []):
                backend = path.get("backend", {}).get("service", {})
                name, port = backend.get("name"), backend.get("port", {})
                if (service := by_name.get(name)) is None:
                    problems.append(f"{ident(ingress)} routes {path.get('path')} to the Service {name!r}, not rendered")
                    continue
                known = {(p.get("name"), p.get("port")) for p in service["spec"].get("ports", [])}
                if not any(port.get("name") == n or port.get("number") == number for n, number in known):
                    problems.append(f"{ident(ingress)} routes {path.get('path')} to a port {ident(service)} lacks")
    return problems


def policy_selects(policy: Resource, labels: dict[str, str]) -> bool:
    """Whether a NetworkPolicy's podSelector (matchLabels, and `In` expressions) selects pods with these labels; an
    empty selector selects every pod of the namespace."""
    selector = policy["spec"].get("podSelector", {})
    if not all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items()):
        return False
    return all(
        expression.get("operator") == "In" and labels.get(expression["key"]) in expression.get("values", [])
        for expression in selector.get("matchExpressions", [])
    )


def ingress_allowed(policies: list[Resource], labels: dict[str, str], port: int, name: str) -> bool:
    """Whether some NetworkPolicy lets traffic from outside the pods in, to this port of pods with these labels."""
    for policy in policies:
        if not policy_selects(policy, labels):
            continue
        for rule in policy["spec"].get("ingress", []):
            if not rule.get("ports"):  # every port
                return True
            for allowed in rule["ports"]:
                number = allowed.get("port")
                if number in (name, port) or (
                    isinstance(number, int) and number <= port <= allowed.get("endPort", number)
                ):
                    return True
    return False


def qbwc_problems(
    deployments: dict[str, Resource], by_kind: dict[str, list[Resource]], config: dict[str, str]
) -> list[str]:
    """A writer that serves the Web Connector endpoint declares it as the port `qbwc`, listens beyond loopback, has
    a Service exposing it and a NetworkPolicy letting it in; the ConfigMap gives its public HTTPS URL, which an
    Ingress routing to that port, if any is rendered, serves."""
    problems = []
    qbwc_services: set[str] = set()
    for deployment in deployments.values():
        for c in containers(deployment):
            if (value := env_value(c, "LEDGERFLOW_QBD_PORT")) is None:
                continue
            where = f"{ident(deployment)} container {c['name']}"
            ports = {p.get("name"): p.get("containerPort") for p in c.get("ports", [])}
            if not value.isdigit() or ports.get(QBWC_PORT_NAME) != int(value):
                problems.append(f"{where}: LEDGERFLOW_QBD_PORT {value} is not its container port {QBWC_PORT_NAME!r}")
                continue
            if env_value(c, "LEDGERFLOW_QBD_HOST") in (None, *LOOPBACK_HOSTS):
                problems.append(f"{where}: LEDGERFLOW_QBD_HOST must be 0.0.0.0 (the default listens on loopback)")
            labels = pod_labels(deployment)
            exposing = {
                str(s["metadata"]["name"])
                for s in by_kind.get("Service", [])
                if selects(selector_of(s), labels)
                and any(p.get("targetPort") in (QBWC_PORT_NAME, int(value)) for p in s["spec"].get("ports", []))
            }
            if not exposing:
                problems.append(f"{ident(deployment)}: no Service exposes its port {QBWC_PORT_NAME!r}")
            qbwc_services |= exposing
            if not ingress_allowed(by_kind.get("NetworkPolicy", []), labels, int(value), QBWC_PORT_NAME):
                problems.append(f"{ident(deployment)}: no NetworkPolicy lets the Web Connector in on {value}")
    if not qbwc_services and not problems:
        return problems
    url = config.get("LEDGERFLOW_QBD_PUBLIC_URL")
    problems += [f"LEDGERFLOW_QBD_PUBLIC_URL: {p}" for p in public_url_problems(url)]
    routes = {
        (rule.get("host"), path.get("path"))
        for ingress in by_kind.get("Ingress", [])
        for rule in ingress["spec"].get("rules", [])
        for path in rule.get("http", {}).get("paths", [])
        if path.get("backend", {}).get("service", {}).get("name") in qbwc_services
    }
    if url and routes and (urlsplit(url).hostname, urlsplit(url).path) not in routes:
        served = ", ".join(f"{host}{path}" for host, path in sorted(routes, key=str))
        problems.append(f"LEDGERFLOW_QBD_PUBLIC_URL {url} is not what the Ingress serves ({served})")
    return problems


def public_url_problems(url: str | None, local_ports: set[int] | None = None) -> list[str]:
    """The URL the .qwc files carry: HTTPS ending in /qbwc; or, on one machine (`local_ports`: the host ports the
    endpoint is published on), http://localhost on one of those ports, which the Web Connector also allows."""
    if not url:
        return ["is not set (the .qwc files would say http://localhost)"]
    parts = urlsplit(url)
    problems = []
    if parts.path != QBWC_PATH:
        problems.append(f"{url} does not end in {QBWC_PATH}")
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        if local_ports is None:
            problems.append(f"{url} is plain HTTP: the Web Connector reaches a cluster over HTTPS only")
        elif (parts.port or 80) not in local_ports:
            problems.append(f"{url}: port {parts.port or 80} is not a host port published to the endpoint")
    elif parts.scheme != "https":
        problems.append(f"{url} is not HTTPS: the Web Connector refuses plain HTTP beyond localhost")
    return problems


def selector_of(resource: Resource) -> dict[str, str]:
    selector = resource.get("spec", {}).get("selector", {})
    labels = selector.get("matchLabels", selector) if isinstance(selector, dict) else {}
    return {str(k): str(v) for k, v in labels.items()}


def writer_pools(deployments: dict[str, Resource]) -> dict[str, str]:
    """Writer Deployment name -> its LEDGERFLOW_WRITER_POOL."""
    pools = {}
    for name, deployment in deployments.items():
        for c in containers(deployment):
            if (pool := env_value(c, "LEDGERFLOW_WRITER_POOL")) is not None:
                pools[name] = pool
    return pools


def writer_pool_problems(
    deployments: dict[str, Resource], scaled_objects: list[Resource], config: dict[str, str], partitions: int
) -> list[str]:
    problems = []
    pools = writer_pools(deployments)
    if "default" not in pools.values():
        problems.append("no writer pool `default` (it writes every tenant not listed in LEDGERFLOW_WRITER_POOLS)")
    for pool, n in Counter(pools.values()).items():
        if n > 1:
            problems.append(f"writer pool {pool!r} has {n} Deployments")
    try:
        mapping = json.loads(config.get("LEDGERFLOW_WRITER_POOLS", "{}"))
    except json.JSONDecodeError as e:
        return [*problems, f"LEDGERFLOW_WRITER_POOLS is not JSON: {e}"]
    if not isinstance(mapping, dict):
        return [*problems, "LEDGERFLOW_WRITER_POOLS must map pool -> list of tenants"]
    problems += [
        f"LEDGERFLOW_WRITER_POOLS lists the pool {pool!r}, which has no Deployment"
        for pool in mapping
        if pool not in pools.values()
    ]
    owners = Counter(tenant for tenants in mapping.values() for tenant in tenants)
    problems += [f"tenant {tenant!r} is in {n} writer pools" for tenant, n in owners.items() if n > 1]

    scaled = {so["spec"]["scaleTargetRef"]["name"]: so for so in scaled_objects}
    problems += [
        f"{ident(so)} scales {target!r}, which is not a writer pool's Deployment"
        for target, so in scaled.items()
        if target not in pools
    ]
    for deployment, pool in sorted(pools.items()):
        if (scaled_object := scaled.get(deployment)) is None:
            problems.append(f"writer pool {pool!r} ({deployment}) has no ScaledObject")
            continue
        where = ident(scaled_object)
        maximum = scaled_object["spec"].get("maxReplicaCount", 100)  # KEDA's default
        if maximum > partitions:
            problems.append(f"{where}: maxReplicaCount {maximum} > {partitions} partitions")
        triggers = scaled_object["spec"]["triggers"]
        kinds = {trigger.get("type") for trigger in triggers}
        problems += [f"{where}: no {kind} trigger" for kind in ("kafka", "postgresql") if kind not in kinds]
        for trigger in triggers:
            meta = trigger.get("metadata", {})
            if trigger.get("type") == "postgresql":
                problems += queue_trigger_problems(where, meta, pool, deployments[deployment])
                continue
            if meta.get("consumerGroup") != WRITER_GROUP_PREFIX + pool:
                group = meta.get("consumerGroup")
                problems.append(f"{where}: consumerGroup {group!r} is not {WRITER_GROUP_PREFIX}{pool}")
            if meta.get("topic") != WRITER_TOPIC:
                problems.append(f"{where}: topic {meta.get('topic')!r} is not {WRITER_TOPIC}")
            if meta.get("bootstrapServers") != config.get("LEDGERFLOW_KAFKA_BOOTSTRAP_SERVERS"):
                problems.append(f"{where}: bootstrapServers differ from the ConfigMap's")
    return problems


def queue_trigger_problems(where: str, meta: dict[str, Any], pool: str, deployment: Resource) -> list[str]:
    """The queue trigger counts this pool's companies, in the writer's schema, over the writer's own connection."""
    problems = []
    query = str(meta.get("query", ""))
    if f"writer_pool = '{pool}'" not in query:
        problems.append(f"{where}: the queue query does not count pool {pool!r}: {query}")
    if "ledger_writer.companies" not in query:
        problems.append(f"{where}: the queue query does not read ledger_writer.companies")
    variable = meta.get("connectionFromEnv")
    names = {item.get("name") for container in containers(deployment) for item in container.get("env", [])}
    if variable is not None and variable not in names:
        problems.append(f"{where}: connectionFromEnv {variable} is not set on the writer's container")
    return problems


def k8s_manifests(rendered: dict[str, list[Resource]]) -> str:
    problems = []
    for name, resources in rendered.items():
        if name not in PARTITIONS:
            problems.append(f"{name}: add its topics' partition count to PARTITIONS in deploy/validate.py")
            continue
        problems += [f"{name}: {p}" for p in manifest_problems(resources, PARTITIONS[name])]
    fail_if(problems)
    pools = {name: sorted(writer_pools(deployments_of(r)).values()) for name, r in rendered.items()}
    return "hardened, probed pods; secrets referenced only; ports reached; writer pools " + "; ".join(
        f"{name}: {', '.join(p)}" for name, p in pools.items()
    )


def deployments_of(resources: list[Resource]) -> dict[str, Resource]:
    return {r["metadata"]["name"]: r for r in resources if r.get("kind") == "Deployment"}


# --- containers ---------------------------------------------------------------------------------------------------


def dockerfiles() -> str:
    problems = []
    for service, command in SERVICES.items():
        path = ROOT / "services" / service / "Dockerfile"
        if not path.is_file():
            problems.append(f"{rel(path)} is missing")
            continue
        problems += [f"{rel(path)}: {p}" for p in dockerfile_problems(path.read_text(), service, command)]
    fail_if(problems)
    return f"{len(SERVICES)} Dockerfiles: multi-stage, pinned python base, uid 10001, constraints.txt"


def dockerfile_problems(text: str, service: str, command: list[str]) -> list[str]:
    lines = [line.strip() for line in re.sub(r"\\\n", " ", text).splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    args = {
        match.group(1): match.group(2)
        for line in instructions
        if (match := re.match(r"ARG\s+(\w+)=(\S+)", line)) is not None
    }
    problems = []
    bases = [line.split()[1] for line in instructions if line.startswith("FROM ")]
    if len(bases) < 2:
        problems.append("not multi-stage")
    for base in bases:
        image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), base)
        if not PINNED_BASE.match(image):
            problems.append(f"base image {image!r} is not python:3.11.<patch>-slim-bookworm")
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    if not users or users[-1].split(":")[0] != "10001":
        problems.append("does not end as USER 10001")
    install = f"-c constraints.txt ./libs/contracts ./libs/runtime ./services/{service}"
    if not any("pip install" in line and install in line for line in instructions):
        problems.append(f"no `pip install {install}`")
    cmds = [line for line in instructions if line.startswith("CMD ")]
    if not cmds or json.loads(cmds[-1][4:]) != command:
        problems.append(f"CMD is not {command}")
    return problems


def compose() -> str:
    args = ["--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)]
    [done] = run_tools("check_jsonschema", [args], "check-jsonschema")
    if done.returncode != 0:
        raise CheckFailed((done.stdout + done.stderr).strip())
    spec = yaml.safe_load(COMPOSE_FILE.read_text())
    fail_if(compose_problems(spec))
    return f"{len(spec['services'])} services valid against the Compose Specification; references and ports resolve"


def compose_problems(spec: dict[str, Any]) -> list[str]:
    """depends_on targets, build files, bind mounts and topics: what the Compose schema does not check."""
    services: dict[str, Any] = spec.get("services", {})
    problems = []
    for name, service in services.items():
        depends = service.get("depends_on", {})
        problems += [
            f"service {name!r} depends on {target!r}, which is not a service"
            for target in (depends if isinstance(depends, (list, dict)) else [])
            if target not in services
        ]
        build = service.get("build")
        if isinstance(build, dict) and build.get("dockerfile"):
            dockerfile = ROOT / build.get("context", ".") / build["dockerfile"]
            if not dockerfile.is_file():
                problems.append(f"service {name!r} builds from {rel(dockerfile)}, which does not exist")
        for volume in service.get("volumes", []):
            source = str(volume).split(":", 1)[0] if isinstance(volume, str) else str(volume.get("source", ""))
            if source.startswith(".") and not (ROOT / source).exists():
                problems.append(f"service {name!r} mounts {source}, which does not exist")
    problems += compose_port_problems(services)
    topics = services.get("topics", {}).get("command", "")
    problems += [
        f"the topic creator does not create {topic}"
        for topic in expected_topics()
        if not re.search(rf"(?<![\w.]){re.escape(topic)}(?![\w.])", str(topics))
    ]
    return problems


def command_of(service: dict[str, Any]) -> list[str]:
    command = service.get("command") or []
    return shlex.split(command) if isinstance(command, str) else [str(arg) for arg in command]


def environment_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(str(item).partition("=")[::2] for item in env)
    return {str(k): str(v) for k, v in env.items()}


def published_ports(service: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(host address, host port, container port) of each of a service's `ports` given both ports (short or long
    syntax); a port range or a container port alone (a random host port) is left out."""
    ports = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            ip, host, container = str(port.get("host_ip", "")), str(port.get("published")), str(port.get("target"))
        else:
            *address, host, container = ["", "", *str(port).split("/")[0].rsplit(":", 2)][-3:]
            ip = address[0]
        if host.isdigit() and container.isdigit():
            ports.append((ip, int(host), int(container)))
    return ports


def served_ports(service: dict[str, Any]) -> set[int] | None:
    """The ports a ledgerflow container listens on, from its command and environment; None for other images."""
    if not str(service.get("image", "")).startswith("ledgerflow-"):
        return None
    command, env = command_of(service), environment_of(service)
    ports = {int(command[i + 1]) for i, arg in enumerate(command[:-1]) if arg == "--port" and command[i + 1].isdigit()}
    if not ports:  # a pipeline service: its health and metrics port
        ports.add(int(env.get("LEDGERFLOW_HTTP_PORT", "8080")))
    if env.get("LEDGERFLOW_QBD_PORT", "").isdigit():
        ports.add(int(env["LEDGERFLOW_QBD_PORT"]))
    return ports


def compose_port_problems(services: dict[str, Any]) -> list[str]:
    """Host ports on loopback and each published once; every published port and health check on a port that is
    served (by the service, or by one sharing its network, which must exist); the Web Connector endpoint's
    settings, its public URL on the host port published for it."""
    problems = []
    guests: dict[str, list[str]] = {}
    for name, service in services.items():
        mode = str(service.get("network_mode", ""))
        if mode.startswith("service:"):
            host = mode.removeprefix("service:")
            if host not in services:
                problems.append(f"service {name!r} uses the network of {host!r}, which is not a service")
            guests.setdefault(host, []).append(name)
            if service.get("ports"):
                problems.append(f"service {name!r} shares {host!r}'s network: publish its ports on {host!r}")
    owners: dict[int, list[str]] = {}
    qbwc_host_ports: set[int] = set()
    for name, service in services.items():
        published = published_ports(service)
        env = environment_of(service)
        for ip, host_port, container_port in published:
            owners.setdefault(host_port, []).append(name)
            if ip not in ("127.0.0.1", "[::1]"):
                problems.append(f"service {name!r} publishes {host_port} on {ip or 'every address'}, not loopback")
            if str(container_port) == env.get("LEDGERFLOW_QBD_PORT"):
                qbwc_host_ports.add(host_port)
        served = served_ports(service)
        if served is None:
            continue
        in_network = set(served)
        for guest in guests.get(name, []):
            in_network |= served_ports(services.get(guest, {})) or set()
        problems += [
            f"service {name!r} publishes container port {container}, which nothing in its network serves"
            for _, _, container in published
            if container not in in_network
        ]
        health = " ".join(map(str, (service.get("healthcheck") or {}).get("test", [])))
        problems += [
            f"service {name!r} checks its health on port {port}, which it does not serve"
            for port in map(int, re.findall(r"//(?:127\.0\.0\.1|localhost):(\d+)/", health))
            if port not in served
        ]
    problems += [
        f"host port {port} is published by {', '.join(names)}: only one service may publish it"
        for port, names in owners.items()
        if len(names) > 1
    ]
    for name, service in services.items():
        env = environment_of(service)
        if "LEDGERFLOW_QBD_PORT" not in env:
            continue
        if env.get("LEDGERFLOW_QBD_HOST", "127.0.0.1") in LOOPBACK_HOSTS:
            problems.append(f"service {name!r}: LEDGERFLOW_QBD_HOST must be 0.0.0.0 in a container")
        url = env.get("LEDGERFLOW_QBD_PUBLIC_URL")
        problems += [
            f"service {name!r}: LEDGERFLOW_QBD_PUBLIC_URL {p}" for p in public_url_problems(url, qbwc_host_ports)
        ]
    return problems


def expected_topics() -> list[str]:
    try:
        from ledgerflow.contracts.topics import all_topics
    except ImportError as e:
        raise CheckFailed(f"ledgerflow.contracts is not installed ({e}): run `make install`") from e
    return all_topics()


# --- observability configuration ----------------------------------------------------------------------------------


def prometheus_config() -> str:
    config = yaml.safe_load((COMPOSE_CONFIG / "prometheus.yml").read_text())
    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    problems = []
    scraped = set()
    for job in config.get("scrape_configs", []):
        for static in job.get("static_configs", []):
            for target in static.get("targets", []):
                host = str(target).rsplit(":", 1)[0]
                scraped.add(host)
                if host not in services and host != "localhost":
                    problems.append(f"job {job['job_name']!r} scrapes {target}, which is not a compose service")
    for name, service in services.items():
        if str(service.get("image", "")).startswith("ledgerflow-") and name not in UNSCRAPED and name not in scraped:
            problems.append(f"compose service {name!r} serves /metrics but is not scraped")
    fail_if(problems)
    return f"deploy/compose/prometheus.yml scrapes {len(scraped)} targets, all compose services"


def recording_rules() -> str:
    """The rules parse as Prometheus reads them (promtool, where installed) and read only exported metrics; the
    compose Prometheus loads them."""
    rules = yaml.safe_load(RECORDING_RULES.read_text())
    problems = recording_rule_problems(rules)
    promtool = shutil.which("promtool")
    if promtool is not None:
        checked = subprocess.run([promtool, "check", "rules", str(RECORDING_RULES)], capture_output=True, text=True)
        if checked.returncode != 0:
            problems.append(f"promtool check rules: {checked.stderr.strip() or checked.stdout.strip()}")
    config = yaml.safe_load((COMPOSE_CONFIG / "prometheus.yml").read_text())
    if "/etc/prometheus/rules.yml" not in config.get("rule_files", []):
        problems.append("deploy/compose/prometheus.yml does not load /etc/prometheus/rules.yml")
    fail_if(problems)
    how = "checked by promtool" if promtool else "promtool not installed: names and metrics checked"
    return f"{rel(RECORDING_RULES)}: {len(recorded_names())} series recorded, {how}"


def collector_config() -> str:
    config = yaml.safe_load((COMPOSE_CONFIG / "otel-collector.yaml").read_text())
    problems = []
    pipelines = config.get("service", {}).get("pipelines", {})
    connectors = set(config.get("connectors") or {})
    for name, pipeline in pipelines.items():
        for section, declared in (
            ("receivers", set(config.get("receivers") or {}) | connectors),
            ("processors", set(config.get("processors") or {})),
            ("exporters", set(config.get("exporters") or {}) | connectors),
        ):
            problems += [
                f"pipeline {name}: {section[:-1]} {item!r} is not declared"
                for item in pipeline.get(section, [])
                if item not in declared
            ]
    problems += [
        f"extension {e!r} is not declared"
        for e in config.get("service", {}).get("extensions", [])
        if e not in (config.get("extensions") or {})
    ]
    if "traces" not in pipelines or "metrics" not in pipelines:
        problems.append("needs a traces and a metrics pipeline")
    fail_if(problems)
    return f"deploy/compose/otel-collector.yaml: pipelines {', '.join(pipelines)} reference declared components"


def grafana() -> str:
    provisioning = COMPOSE_CONFIG / "grafana" / "provisioning"
    datasources = {
        ds["uid"]
        for path in sorted((provisioning / "datasources").glob("*.y*ml"))
        for ds in yaml.safe_load(path.read_text()).get("datasources", [])
    }
    for path in sorted((provisioning / "dashboards").glob("*.y*ml")):
        yaml.safe_load(path.read_text())
    problems = []
    dashboards = sorted(DASHBOARDS.glob("*.json"))
    if not dashboards:
        problems.append(f"no dashboard under {rel(DASHBOARDS)}")
    panels = 0
    for path in dashboards:
        try:
            dashboard = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            problems.append(f"{rel(path)} is not JSON: {e}")
            continue
        found = dashboard_problems(dashboard, datasources)
        problems += [f"{rel(path)}: {p}" for p in found]
        panels += len(dashboard.get("panels", []))
    fail_if(problems)
    return f"{len(dashboards)} dashboard(s), {panels} panels, datasources {', '.join(sorted(datasources))}"


def dashboard_problems(dashboard: dict[str, Any], datasources: set[str]) -> list[str]:
    problems = []
    recorded = recorded_names()
    variables = {v["name"] for v in dashboard.get("templating", {}).get("list", [])}
    if not dashboard.get("uid") or not dashboard.get("title"):
        problems.append("needs a uid and a title")
    ids = Counter(panel.get("id") for panel in dashboard.get("panels", []))
    problems += [f"panel id {i} is used {n} times" for i, n in ids.items() if n > 1]
    for panel in dashboard.get("panels", []):
        title = panel.get("title")
        grid = panel.get("gridPos", {})
        if grid.get("x", 0) + grid.get("w", 0) > 24:
            problems.append(f"panel {title!r} is wider than the grid")
        for target in panel.get("targets", []):
            uid = str(target.get("datasource", panel.get("datasource", {})).get("uid", ""))
            known = uid in datasources or uid.strip("${}") in variables
            if not known:
                problems.append(f"panel {title!r} uses the unknown datasource {uid!r}")
            expr = str(target.get("expr", ""))
            if not expr:
                problems.append(f"panel {title!r} has a target without a query")
            for metric in METRIC_NAME.findall(expr):
                if re.sub(r"_(bucket|sum|count)$", "", metric) not in KNOWN_METRICS:
                    problems.append(f"panel {title!r} charts {metric}, which no service exports")
            for series in RECORDED_NAME.findall(expr):
                if series not in recorded:
                    problems.append(f"panel {title!r} charts {series}, which no recording rule makes")
    return problems


# --- running ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool
    detail: str


def check(name: str, run: Callable[[], str]) -> Result:
    try:
        return Result(name, True, run())
    except CheckFailed as e:
        return Result(name, False, str(e))
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError, subprocess.SubprocessError) as e:
        return Result(name, False, f"{type(e).__name__}: {e}")


def run_checks(report: Callable[[Result], None] = lambda result: None) -> list[Result]:
    """Every check; `report` sees each result in order as soon as it is known. The tools run side by side."""
    results: list[Result] = []
    rendered: dict[str, list[Resource]] = {}

    def render_root(name: str, root: Path) -> str:
        rendered[name] = render(root)
        return f"{len(rendered[name])} objects: {kinds(rendered[name])}"

    def collect(futures: list[Future[Result]]) -> None:
        for future in futures:
            results.append(future.result())
            report(results[-1])

    with ThreadPoolExecutor(max_workers=4) as pool:
        independent = [
            pool.submit(check, name, run)
            for name, run in (
                ("Dockerfiles", dockerfiles),
                ("docker-compose.yml", compose),
                ("Prometheus configuration", prometheus_config),
                ("Recording rules", recording_rules),
                ("OpenTelemetry Collector configuration", collector_config),
                ("Grafana provisioning and dashboards", grafana),
            )
        ]
        collect(
            [
                pool.submit(check, f"kustomize {rel(root)}", partial(render_root, name, root))
                for name, root in kustomization_roots().items()
            ]
        )
        if rendered:
            collect(
                [
                    pool.submit(check, "kubernetes-validate --strict", partial(kubernetes_validate, rendered)),
                    pool.submit(check, "KEDA objects against deploy/schemas", partial(crd_validate, rendered)),
                    pool.submit(check, "manifest policy", partial(k8s_manifests, rendered)),
                ]
            )
        collect(independent)
    return results


def print_result(result: Result) -> None:
    if result.ok:
        print(f"ok    {result.name}: {result.detail}")
    else:
        print(f"FAIL  {result.name}:")
        for line in result.detail.splitlines():
            print(f"        {line}")
    sys.stdout.flush()


def main() -> int:
    print(f"ledgerflow deployment checks, offline, from {ROOT}")
    results = run_checks(print_result)
    failed = [r for r in results if not r.ok]
    if failed:
        print(f"deploy/validate.py: {len(failed)} of {len(results)} checks FAILED")
        return 1
    print(f"deploy/validate.py: all {len(results)} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
