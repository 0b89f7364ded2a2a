"""The deployment files, offline: every check of deploy/validate.py passes, the checks catch what they claim to, and
the prod overlay keeps its promises (hardened pods, probes, graceful shutdown, secrets only referenced, one
ScaledObject per writer pool following the pool's consumer group, autoscalers within the partitions)."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from deploy import validate

Resource = dict[str, Any]

PROD_PARTITIONS = 12
STATELESS_STAGES = ("ingest", "planner", "numbering")
QBWC_PORT = 8095


@pytest.fixture(scope="module")
def results() -> list[validate.Result]:
    return validate.run_checks()


@pytest.fixture(scope="module")
def prod() -> list[Resource]:
    return validate.render(validate.K8S / "overlays" / "prod")


@pytest.fixture(scope="module")
def dev() -> list[Resource]:
    return validate.render(validate.K8S / "overlays" / "dev")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load(validate.COMPOSE_FILE.read_text())["services"]
    return services


def of_kind(resources: list[Resource], kind: str) -> list[Resource]:
    return [r for r in resources if r["kind"] == kind]


def pod_spec(deployment: Resource) -> Resource:
    spec: Resource = deployment["spec"]["template"]["spec"]
    return spec


def writer_pools(resources: list[Resource]) -> dict[str, str]:
    """Deployment name -> its LEDGERFLOW_WRITER_POOL."""
    return {
        d["metadata"]["name"]: item["value"]
        for d in of_kind(resources, "Deployment")
        for c in pod_spec(d)["containers"]
        for item in c.get("env", [])
        if item["name"] == "LEDGERFLOW_WRITER_POOL"
    }


# --- deploy/validate.py --------------------------------------------------------------------------------------------


def test_every_check_passes(results: list[validate.Result]) -> None:
    failed = [f"{r.name}:\n{r.detail}" for r in results if not r.ok]
    assert not failed, "\n".join(failed)


def test_every_environment_and_file_is_checked(results: list[validate.Result]) -> None:
    names = {r.name for r in results}
    assert {f"kustomize deploy/k8s/{root}" for root in ("base", "overlays/dev", "overlays/prod")} <= names
    assert {
        "kubernetes-validate --strict",
        "KEDA objects against deploy/schemas",
        "manifest policy",
        "Dockerfiles",
        "docker-compose.yml",
        "Grafana provisioning and dashboards",
        "Prometheus configuration",
        "OpenTelemetry Collector configuration",
    } <= names


def test_kubernetes_validate_refuses_an_unknown_field(prod: list[Resource]) -> None:
    pdb = copy.deepcopy(of_kind(prod, "PodDisruptionBudget")[0])
    pdb["spec"]["maxUnavailabel"] = pdb["spec"].pop("maxUnavailable")
    with pytest.raises(validate.CheckFailed, match="maxUnavailabel"):
        validate.kubernetes_validate({"broken": [pdb]})


def test_the_keda_schema_refuses_a_wrong_scaled_object(prod: list[Resource]) -> None:
    scaled_object = copy.deepcopy(of_kind(prod, "ScaledObject")[0])
    scaled_object["spec"]["maxReplicaCount"] = "12"
    scaled_object["spec"]["triggers"][0]["metadata"]["lagTreshold"] = "10"
    with pytest.raises(validate.CheckFailed, match="keda-scaledobject"):
        validate.crd_validate({"broken": [scaled_object]})


def test_the_policy_catches_a_scaled_object_on_another_pools_group(prod: list[Resource]) -> None:
    broken = copy.deepcopy(prod)
    for scaled_object in of_kind(broken, "ScaledObject"):
        scaled_object["spec"]["triggers"][0]["metadata"]["consumerGroup"] = "ledger-writer-default"
        scaled_object["spec"]["maxReplicaCount"] = 24
    problems = "\n".join(validate.manifest_problems(broken, PROD_PARTITIONS))
    assert "consumerGroup 'ledger-writer-default' is not ledger-writer-large-tenants" in problems
    assert "maxReplicaCount 24 > 12 partitions" in problems


def test_the_policy_catches_a_rendered_secret_and_an_inline_token(prod: list[Resource]) -> None:
    broken = copy.deepcopy(prod)
    broken.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "ledgerflow"}, "stringData": {}})
    writer = next(d for d in of_kind(broken, "Deployment") if d["metadata"]["name"] in writer_pools(broken))
    pod_spec(writer)["containers"][0]["env"].append({"name": "LEDGERFLOW_QBO_TOKEN", "value": "oops"})
    pod_spec(writer)["containers"][0]["securityContext"]["readOnlyRootFilesystem"] = False
    problems = "\n".join(validate.manifest_problems(broken, PROD_PARTITIONS))
    assert "Secret/ledgerflow is rendered" in problems
    assert "LEDGERFLOW_QBO_TOKEN is set inline" in problems
    assert "readOnlyRootFilesystem is not true" in problems


def test_the_writers_read_the_token_key_and_the_app_client_from_the_secret(prod: list[Resource]) -> None:
    for name in writer_pools(prod):
        writer = next(d for d in of_kind(prod, "Deployment") if d["metadata"]["name"] == name)
        env = {item["name"]: item for item in pod_spec(writer)["containers"][0]["env"]}
        for key in ("LEDGERFLOW_TOKEN_KEY", "LEDGERFLOW_QBO_CLIENT_ID", "LEDGERFLOW_QBO_CLIENT_SECRET"):
            assert env[key]["valueFrom"]["secretKeyRef"]["key"] == key, (name, key)
    config = of_kind(prod, "ConfigMap")[0]["data"]
    assert config["LEDGERFLOW_QBO_TOKEN_URL"] == "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
    assert not validate.SECRET_LIKE.search("LEDGERFLOW_QBO_TOKEN_URL")  # an address, not a credential
    assert validate.SECRET_LIKE.search("LEDGERFLOW_QBO_TOKEN") and validate.SECRET_LIKE.search("LEDGERFLOW_TOKEN_KEY")


def test_compose_references_must_resolve() -> None:
    spec = {
        "services": {
            "ingest": {"depends_on": {"postgres": {"condition": "service_healthy"}, "kafka": {}}},
            "postgres": {"depends_on": ["missing"]},
            "kafka": {},
            "topics": {"command": "kafka-topics.sh --create --topic orders.raw"},
        }
    }
    problems = validate.compose_problems(spec)
    assert "service 'postgres' depends on 'missing', which is not a service" in problems
    assert not any("'ingest' depends on" in p for p in problems)
    assert "the topic creator does not create ledger.commands.dlq" in problems
    assert "the topic creator does not create orders.raw" not in problems


def test_compose_publishes_each_host_port_once_and_only_what_is_served(compose: dict[str, Any]) -> None:
    services = copy.deepcopy(compose)
    services["ledger-writer-large"] = copy.deepcopy(services["ledger-writer-default"])  # a pool copied with its ports
    services["qbd-sim"]["ports"] = ["127.0.0.1:8010:8010"]
    health = services["qbo-sim"]["healthcheck"]["test"]
    health[-1] = health[-1].replace(":8000/", ":8001/")
    problems = "\n".join(validate.compose_port_problems(services))
    assert "host port 8095 is published by ledger-writer-default, ledger-writer-large" in problems
    assert "service 'qbd-sim' shares 'ledger-writer-default''s network: publish its ports on" in problems
    assert "service 'qbo-sim' checks its health on port 8001, which it does not serve" in problems
    del services["ledger-writer-default"]["environment"]["LEDGERFLOW_QBD_PORT"]
    problems = "\n".join(validate.compose_port_problems(services))
    assert "'ledger-writer-default' publishes container port 8095, which nothing in its network serves" in problems


def test_compose_serves_the_web_connector_and_its_simulator_beside_the_writer(compose: dict[str, Any]) -> None:
    writer = compose["ledger-writer-default"]
    env = writer["environment"]
    assert (env["LEDGERFLOW_QBD_PORT"], env["LEDGERFLOW_QBD_HOST"]) == (str(QBWC_PORT), "0.0.0.0")
    assert env["LEDGERFLOW_QBD_PUBLIC_URL"] == f"http://localhost:{QBWC_PORT}/qbwc"
    assert ("127.0.0.1", QBWC_PORT, QBWC_PORT) in validate.published_ports(writer)
    sim = compose["qbd-sim"]
    # The simulated Web Connector reaches http://localhost:8095 only from inside the writer's network.
    assert sim["network_mode"] == "service:ledger-writer-default"
    assert sim["command"][:3] == ["python", "-m", "ledgerflow.qbd_sim"]
    assert (sim["user"], sim["read_only"], sim["cap_drop"]) == ("10001:10001", True, ["ALL"])
    assert "127.0.0.1:8010/health" in sim["healthcheck"]["test"][-1]


def test_a_root_image_with_a_floating_base_is_refused() -> None:
    text = 'FROM python:3.11-slim\nRUN pip install .\nCMD ["python", "-m", "ledgerflow.ingest"]\n'
    problems = validate.dockerfile_problems(text, "ingest", ["python", "-m", "ledgerflow.ingest"])
    assert problems == [
        "not multi-stage",
        "base image 'python:3.11-slim' is not python:3.11.<patch>-slim-bookworm",
        "does not end as USER 10001",
        "no `pip install -c constraints.txt ./libs/contracts ./libs/runtime ./services/ingest`",
    ]


def test_a_dashboard_may_chart_only_exported_metrics() -> None:
    dashboard = json.loads((validate.DASHBOARDS / "ledgerflow.json").read_text())
    dashboard["panels"][1]["targets"][0]["expr"] = "sum(rate(ledgerflow_documents_postd_total[5m]))"
    problems = validate.dashboard_problems(dashboard, {"prometheus"})
    assert problems == [
        f"panel {dashboard['panels'][1]['title']!r} charts ledgerflow_documents_postd_total, which no service exports"
    ]


# --- the prod overlay ---------------------------------------------------------------------------------------------


def test_every_container_runs_as_non_root_on_a_read_only_root_filesystem(prod: list[Resource]) -> None:
    deployments = of_kind(prod, "Deployment")
    assert len(deployments) == 7  # four stages (two writer pools), the webhook receiver and the console
    for deployment in deployments:
        pod = pod_spec(deployment)
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security.get("runAsNonRoot", pod["securityContext"].get("runAsNonRoot")) is True
            assert security.get("runAsUser", pod["securityContext"].get("runAsUser")) == 10001
            assert security["readOnlyRootFilesystem"] is True
            assert security["allowPrivilegeEscalation"] is False
            assert security["capabilities"]["drop"] == ["ALL"]
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"


def test_every_deployment_has_liveness_and_readiness_probes_on_health(prod: list[Resource]) -> None:
    for deployment in of_kind(prod, "Deployment"):
        for container in pod_spec(deployment)["containers"]:
            assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
            assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
            ports = {p["name"]: p["containerPort"] for p in container["ports"]}
            assert ports[container["readinessProbe"]["httpGet"]["port"]] == 8080


def test_shutdown_outlasts_faststreams_graceful_timeout(prod: list[Resource]) -> None:
    for deployment in of_kind(prod, "Deployment"):
        assert pod_spec(deployment)["terminationGracePeriodSeconds"] > 15


def test_no_secret_is_rendered_only_referenced(prod: list[Resource]) -> None:
    assert of_kind(prod, "Secret") == []
    for deployment in of_kind(prod, "Deployment"):
        refs = {
            item["valueFrom"]["secretKeyRef"]["name"]
            for c in pod_spec(deployment)["containers"]
            for item in c.get("env", [])
            if "secretKeyRef" in item.get("valueFrom", {})
        }
        assert refs == {"ledgerflow"}, deployment["metadata"]["name"]
    config = of_kind(prod, "ConfigMap")[0]["data"]
    assert not {"LEDGERFLOW_DATABASE_URL", "LEDGERFLOW_QBO_TOKEN", "LEDGERFLOW_KAFKA_SASL_PASSWORD"} & set(config)


def test_each_writer_pool_scales_on_its_own_consumer_group_and_its_own_company_queues(prod: list[Resource]) -> None:
    pools = writer_pools(prod)
    assert sorted(pools.values()) == ["default", "large-tenants"]
    scaled_objects = {so["spec"]["scaleTargetRef"]["name"]: so for so in of_kind(prod, "ScaledObject")}
    assert set(scaled_objects) == set(pools)
    for deployment, pool in pools.items():
        scaled_object = scaled_objects[deployment]
        lag, queues = scaled_object["spec"]["triggers"]
        assert lag["type"] == "kafka"
        assert lag["metadata"]["consumerGroup"] == f"ledger-writer-{pool}"
        assert lag["metadata"]["topic"] == "ledger.commands"
        assert queues["type"] == "postgresql"
        assert f"FROM ledger_writer.companies WHERE writer_pool = '{pool}'" in queues["metadata"]["query"]
        assert queues["metadata"]["connectionFromEnv"] == "LEDGERFLOW_DATABASE_URL"
        assert scaled_object["spec"]["maxReplicaCount"] <= PROD_PARTITIONS


def test_the_policy_catches_a_queue_trigger_counting_another_pool(prod: list[Resource]) -> None:
    broken = copy.deepcopy(prod)
    for scaled_object in of_kind(broken, "ScaledObject"):
        queues = scaled_object["spec"]["triggers"][1]["metadata"]
        queues["query"] = queues["query"].replace("large-tenants", "default")
        queues["connectionFromEnv"] = "DATABASE_URL"
    problems = "\n".join(validate.manifest_problems(broken, PROD_PARTITIONS))
    assert "the queue query does not count pool 'large-tenants'" in problems
    assert "connectionFromEnv DATABASE_URL is not set on the writer's container" in problems


def test_every_pool_reads_the_same_pool_map(prod: list[Resource]) -> None:
    [config] = of_kind(prod, "ConfigMap")
    assert json.loads(config["data"]["LEDGERFLOW_WRITER_POOLS"]) == {"large-tenants": ["acme", "globex"]}
    for deployment in of_kind(prod, "Deployment"):
        if deployment["metadata"]["name"] in writer_pools(prod):
            [source] = pod_spec(deployment)["containers"][0]["envFrom"]
            assert source["configMapRef"]["name"] == config["metadata"]["name"]


def test_kedas_brokers_are_the_writers_brokers(prod: list[Resource]) -> None:
    [config] = of_kind(prod, "ConfigMap")
    for scaled_object in of_kind(prod, "ScaledObject"):
        metadata = scaled_object["spec"]["triggers"][0]["metadata"]
        assert metadata["bootstrapServers"] == config["data"]["LEDGERFLOW_KAFKA_BOOTSTRAP_SERVERS"]
        assert (metadata["sasl"], metadata["tls"]) == ("scram_sha512", "enable")
        assert scaled_object["spec"]["triggers"][0]["authenticationRef"] == {"name": "ledgerflow-kafka"}


def test_every_writer_pool_serves_the_web_connector_behind_an_ingress(prod: list[Resource]) -> None:
    [config] = of_kind(prod, "ConfigMap")
    url = urlsplit(config["data"]["LEDGERFLOW_QBD_PUBLIC_URL"])
    assert (url.scheme, url.path) == ("https", "/qbwc")
    [policy] = [p for p in of_kind(prod, "NetworkPolicy") if p["metadata"]["name"] == "ledgerflow-ingress-qbwc"]
    assert policy["spec"]["ingress"][0]["ports"] == [{"protocol": "TCP", "port": QBWC_PORT}]
    namespaces = [source["namespaceSelector"]["matchLabels"] for source in policy["spec"]["ingress"][0]["from"]]
    assert namespaces == [{"kubernetes.io/metadata.name": "ingress-nginx"}]
    for name, pool in writer_pools(prod).items():
        writer = next(d for d in of_kind(prod, "Deployment") if d["metadata"]["name"] == name)
        [container] = pod_spec(writer)["containers"]
        assert {"name": "qbwc", "containerPort": QBWC_PORT, "protocol": "TCP"} in container["ports"]
        env = {item["name"]: item.get("value") for item in container["env"]}
        assert (env["LEDGERFLOW_QBD_PORT"], env["LEDGERFLOW_QBD_HOST"]) == (str(QBWC_PORT), "0.0.0.0")
        labels = writer["spec"]["template"]["metadata"]["labels"]
        assert validate.policy_selects(policy, labels)
        [service] = [
            s
            for s in of_kind(prod, "Service")
            if validate.selects(validate.selector_of(s), labels) and s["spec"]["ports"][0]["name"] == "qbwc"
        ]
        assert service["metadata"]["name"] == f"ledgerflow-ledger-writer-qbwc-{pool}"
        assert service["spec"]["ports"][0]["targetPort"] == "qbwc"
    [ingress] = [i for i in of_kind(prod, "Ingress") if i["metadata"]["name"] == "ledgerflow-qbwc"]
    [rule] = ingress["spec"]["rules"]
    assert ingress["spec"]["tls"][0]["hosts"] == [rule["host"]] == [url.hostname]
    [path] = rule["http"]["paths"]
    assert path["path"] == url.path
    assert path["backend"]["service"] == {"name": "ledgerflow-ledger-writer-qbwc-default", "port": {"name": "qbwc"}}


def test_the_policy_catches_a_writer_whose_web_connector_endpoint_is_unreachable(prod: list[Resource]) -> None:
    broken = copy.deepcopy(prod)
    [policy] = [p for p in of_kind(broken, "NetworkPolicy") if p["metadata"]["name"] == "ledgerflow-ingress-qbwc"]
    policy["spec"]["ingress"][0]["ports"][0]["port"] = 8096
    for writer in (d for d in of_kind(broken, "Deployment") if d["metadata"]["name"] in writer_pools(broken)):
        env = pod_spec(writer)["containers"][0]["env"]
        env[:] = [item for item in env if item["name"] != "LEDGERFLOW_QBD_HOST"]
    [config] = of_kind(broken, "ConfigMap")
    config["data"]["LEDGERFLOW_QBD_PUBLIC_URL"] = "http://ledgerflow.example.com/qbwc"
    problems = "\n".join(validate.manifest_problems(broken, PROD_PARTITIONS))
    assert "ledgerflow-ledger-writer-default: no NetworkPolicy lets the Web Connector in on 8095" in problems
    assert "LEDGERFLOW_QBD_HOST must be 0.0.0.0" in problems
    assert "http://ledgerflow.example.com/qbwc is not HTTPS" in problems


def test_dev_runs_the_desktop_simulator_with_its_admin_token_from_the_secret(dev: list[Resource]) -> None:
    [sim] = [d for d in of_kind(dev, "Deployment") if d["metadata"]["name"] == "ledgerflow-qbd-sim"]
    [container] = pod_spec(sim)["containers"]
    assert container["image"] == "ledgerflow-qbd-sim:dev"
    assert container["command"] == validate.SERVICES["qbd-sim"]
    [token] = container["env"]
    assert token["valueFrom"]["secretKeyRef"] == {"name": "ledgerflow", "key": "LEDGERFLOW_QBD_SIM_ADMIN_TOKEN"}
    assert container["args"] == ["--admin-token", "$(LEDGERFLOW_QBD_SIM_ADMIN_TOKEN)"]


@pytest.mark.parametrize("stage", STATELESS_STAGES)
def test_stateless_stages_scale_on_cpu_within_the_partitions(prod: list[Resource], stage: str) -> None:
    [hpa] = [h for h in of_kind(prod, "HorizontalPodAutoscaler") if h["metadata"]["name"] == f"ledgerflow-{stage}"]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": f"ledgerflow-{stage}",
    }
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"] <= PROD_PARTITIONS


def test_a_dashboard_may_chart_only_series_the_recording_rules_make() -> None:
    dashboard = json.loads((validate.DASHBOARDS / "ledgerflow.json").read_text())
    assert not validate.dashboard_problems(dashboard, {"prometheus"})
    dashboard["panels"][1]["targets"][0]["expr"] = "ledgerflow:documents_postd:per_minute"
    problems = validate.dashboard_problems(dashboard, {"prometheus"})
    assert any("ledgerflow:documents_postd:per_minute, which no recording rule makes" in p for p in problems)


def test_the_recording_rules_read_only_exported_metrics_under_ledgerflow_names() -> None:
    rules = yaml.safe_load(validate.RECORDING_RULES.read_text())
    assert not validate.recording_rule_problems(rules)
    rules["groups"][0]["rules"].append({"record": "posted_per_minute", "expr": "rate(ledgerflow_posted_total[1m])"})
    problems = validate.recording_rule_problems(rules)
    assert "rule 'posted_per_minute' is not named ledgerflow:<what>:<how>" in problems
    assert "rule 'posted_per_minute' reads ledgerflow_posted_total, which no service exports" in problems


def test_the_console_is_served_by_its_ingress_and_let_reach_what_it_reads(prod: list[Resource]) -> None:
    (ingress,) = [i for i in of_kind(prod, "Ingress") if i["metadata"]["name"] == "ledgerflow-console"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "ledgerflow-console", "port": {"name": "http"}}
    assert ingress["spec"]["tls"][0]["secretName"] == "ledgerflow-console-tls"
    (deployment,) = [d for d in of_kind(prod, "Deployment") if d["metadata"]["name"] == "ledgerflow-console"]
    env = {e["name"]: e for e in pod_spec(deployment)["containers"][0]["env"]}
    assert env["LEDGERFLOW_CONSOLE_SECURE_COOKIES"]["value"] == "true"
    assert "secretKeyRef" in env["LEDGERFLOW_DATABASE_URL"]["valueFrom"]
    services = json.loads(env["LEDGERFLOW_CONSOLE_SERVICES"]["value"])
    rendered = {s["metadata"]["name"] for s in of_kind(prod, "Service")}
    assert {urlsplit(url).hostname for url in services.values()} <= rendered

    def allowed(direction: str, port: int) -> bool:
        """Whether a policy selecting the console's pods lets traffic on ``port`` go in ``direction``."""
        for policy in of_kind(prod, "NetworkPolicy"):
            selector = policy["spec"]["podSelector"]
            labels = {"app.kubernetes.io/component": "console", "app.kubernetes.io/part-of": "ledgerflow"}
            matches = selector.get("matchLabels", {}).items() <= labels.items() and all(
                labels.get(e["key"]) in e["values"] for e in selector.get("matchExpressions", [])
            )
            rules = policy["spec"].get(direction, [])
            if matches and any(p.get("port") <= port <= p.get("endPort", p["port"])
                               for rule in rules for p in rule.get("ports", [])):  # fmt: skip
                return True
        return False

    assert allowed("ingress", 8080)  # from the ingress controller
    assert allowed("egress", 5432) and allowed("egress", 9092)  # the services' tables; dead letters and requests
