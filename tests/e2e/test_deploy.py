"""deploy/: the container image, the compose file and the Kubernetes manifests.

Kubernetes objects are validated against Kubernetes' own schemas (the
kubernetes-validate package carries them: offline, strict, so an unknown field
is an error); KEDA's ScaledObject against KEDA's schema as published in
@kubernetes-models/keda, run in node. Beyond the schemas, the files must agree
with the code: the queue names KEDA watches, the webhook path, the commands the
image runs.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.conftest import write_files
from tests.support.fake_github import free_port, wait_for
from tests.support.npm_cache import npm_install
from workers.cli import main
from workers.shared.inbox import queue_names
from workers.shared.settings import DEFAULT_WEBHOOK_PATH, ENV_NAMES, Settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KEDA_MODELS = "@kubernetes-models/keda@2.0.0"


def k8s_docs() -> list[tuple[str, dict[str, Any]]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                docs.append((path.name, doc))
    return docs


def find(kind: str, name: str) -> dict[str, Any]:
    found = [d for _, d in k8s_docs() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, (kind, name)
    return found[0]


@pytest.mark.parametrize(
    ("source", "doc"),
    [(f, d) for f, d in k8s_docs() if d["apiVersion"] != "keda.sh/v1alpha1"],
    ids=lambda v: v if isinstance(v, str) else f"{v['kind']}/{v['metadata']['name']}",
)
def test_manifest_is_valid_kubernetes(source: str, doc: dict[str, Any]) -> None:
    version = kubernetes_validate.latest_version()
    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        pytest.fail(f"{source}: {doc['kind']} {doc['metadata']['name']}: {exc.message}")


def test_the_validator_catches_a_typo() -> None:
    """The check above can fail: a misspelt field is refused."""
    deployment = json.loads(json.dumps(find("Deployment", "prgate-worker")))
    deployment["spec"]["template"]["spec"]["containers"][0]["resoures"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, kubernetes_validate.latest_version(), strict=True)


KEDA_CHECK = """
import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject";
import { readFileSync } from "node:fs";
try { new ScaledObject(JSON.parse(readFileSync(0, "utf8"))).validate(); console.log("valid"); }
catch (e) { console.log(e.message); process.exit(1); }
"""


def keda_validate(doc: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    home = npm_install(
        "keda-models",
        KEDA_MODELS,
        "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject.js",
        "to validate KEDA's ScaledObject",
    )
    return subprocess.run(
        ["node", "--input-type=module", "-e", KEDA_CHECK],
        input=json.dumps(doc),
        cwd=home,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_keda_scales_workers_on_prgates_queues() -> None:
    scaled = find("ScaledObject", "prgate-worker")
    result = keda_validate(scaled)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = {**scaled, "spec": {**scaled["spec"], "maxReplicaCount": "many"}}
    assert keda_validate(broken).returncode == 1  # the schema check can fail

    worker = find("Deployment", "prgate-worker")
    assert scaled["spec"]["scaleTargetRef"]["name"] == worker["metadata"]["name"]
    commands, checks = queue_names(Settings())
    lists = {t["metadata"]["listName"] for t in scaled["spec"]["triggers"]}
    assert lists == {f"rq:queue:{checks}", f"rq:queue:{commands}"}  # RQ's key for a queue
    # KEDA reads the address from the worker's environment, which comes from the Secret
    secret = find("Secret", "prgate")
    for trigger in scaled["spec"]["triggers"]:
        assert trigger["type"] == "redis"
        assert trigger["metadata"]["addressFromEnv"] in secret["stringData"]
    assert worker["spec"]["template"]["spec"]["containers"][0]["envFrom"] == [
        {"secretRef": {"name": "prgate"}}
    ]


def containers() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    out = []
    for _, doc in k8s_docs():
        if doc["kind"] == "Deployment":
            pod = doc["spec"]["template"]["spec"]
            out += [(doc["metadata"]["name"], pod, c) for c in pod["containers"]]
    return out


def test_every_container_is_limited_and_unprivileged() -> None:
    for name, pod, container in containers():
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], name
        assert container["resources"]["limits"]["memory"], name
        assert container["resources"]["requests"]["cpu"], name


def test_receiver_probes_service_and_ingress_agree() -> None:
    receiver = find("Deployment", "prgate-receiver")
    (container,) = receiver["spec"]["template"]["spec"]["containers"]
    assert container["args"][0] == "serve"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    service = find("Service", "prgate-receiver")
    labels = receiver["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    ingress = find("Ingress", "prgate")
    (path,) = ingress["spec"]["rules"][0]["http"]["paths"]
    assert path["path"] == DEFAULT_WEBHOOK_PATH
    assert path["backend"]["service"]["name"] == "prgate-receiver"
    worker = find("Deployment", "prgate-worker")
    assert worker["spec"]["template"]["spec"]["containers"][0]["args"] == ["worker"]


def test_network_policy_covers_prgate_and_redis() -> None:
    prgate = find("NetworkPolicy", "prgate")
    assert prgate["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "prgate"}
    assert set(prgate["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    redis = find("NetworkPolicy", "redis")
    assert redis["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": "prgate"
    }


def test_kustomization_lists_every_manifest_but_the_secret_example() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert set(kustomization["resources"]) == files


# --- the image and compose ---------------------------------------------------------------------


def dockerfile() -> list[tuple[str, str]]:
    text = (ROOT / "deploy" / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def test_image_is_multi_stage_non_root_with_git_and_a_health_check() -> None:
    steps = dockerfile()
    assert sum(1 for op, _ in steps if op == "FROM") >= 2
    assert any(op == "COPY" and arg.startswith("--from=build") for op, arg in steps)
    users = [arg for op, arg in steps if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    runs = " ".join(arg for op, arg in steps if op == "RUN")
    assert re.search(r"apt-get install[^&]* git\b", runs)
    assert any(op == "HEALTHCHECK" and "/healthz" in arg for op, arg in steps)
    entry = json.loads(next(arg for op, arg in steps if op == "ENTRYPOINT"))
    cmd = json.loads(next(arg for op, arg in steps if op == "CMD"))
    assert entry[-1] == "prgate" and cmd[0] == "serve"


def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    assert isinstance(data, dict)
    return data


def test_compose_runs_redis_receiver_and_scalable_workers() -> None:
    services = compose()["services"]
    assert set(services) == {"redis", "receiver", "worker"}
    receiver, worker = services["receiver"], services["worker"]
    assert receiver["command"][0] == "serve" and worker["command"] == ["worker"]
    assert "ports" not in worker and "container_name" not in worker  # --scale worker=N works
    for service in (receiver, worker):
        env = service["environment"]
        assert env["REDIS_URL"].startswith("redis://redis:")
        for name in ("APP_ID", "PRIVATE_KEY", "WEBHOOK_SECRET"):
            assert env[name].startswith("${" + name), name  # from the environment, never inline
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
    assert set(receiver["environment"]) <= set(ENV_NAMES.values())


@pytest.mark.skipif(shutil.which("docker") is None, reason="docker is not installed")
def test_compose_file_passes_docker_compose_config() -> None:
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("the docker compose plugin is not installed")
    env = {"APP_ID": "1", "PRIVATE_KEY": "k", "WEBHOOK_SECRET": "s", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        ["docker", "compose", "-f", str(ROOT / "deploy" / "compose.yaml"), "config", "-q"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr


def test_the_image_runs_the_commands_the_tests_run() -> None:
    """ENTRYPOINT prgate + serve/worker: the same click commands the process tests start."""
    commands = set(main.commands)  # type: ignore[attr-defined]
    for _, _, container in containers():
        if container["name"] in ("receiver", "worker"):
            assert container["args"][0] in commands
    for service in ("receiver", "worker"):
        assert compose()["services"][service]["command"][0] in commands
    cmd = json.loads(next(a for op, a in dockerfile() if op == "CMD"))
    assert cmd[0] in commands


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for op, arg in dockerfile():
        if op == "FROM":
            found.append([])
        found[-1].append((op, arg))
    return found


def test_the_image_steps_replayed_without_docker_give_a_working_prgate(
    tmp_path: Path, redis_url: str
) -> None:
    """No Docker engine runs where the suite runs, so the Dockerfile's own steps are
    replayed in a folder: the build stage's COPY and RUN lines (a non-editable install,
    unlike the suite's, which catches files missing from the package), then the runtime
    stage's ENTRYPOINT/CMD and HEALTHCHECK. Only apt-get and tini are left out."""
    build, runtime = stages()
    opt, src = tmp_path / "opt", tmp_path / "src"
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    cwd = tmp_path  # "/" before the first WORKDIR
    for op, arg in build:
        if op == "ENV":
            env.update(dict(kv.split("=", 1) for kv in arg.split()))
        elif op == "WORKDIR":
            assert arg == "/src"
            src.mkdir()
            cwd = src
        elif op == "COPY":
            *sources, dest = arg.split()
            for name in sources:
                target = src / dest / name if dest.endswith("/") else src / dest
                copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
                copy(ROOT / name, target)
        elif op == "RUN":
            assert "&&" not in arg and "|" not in arg  # a build step the replay can run
            command = shlex.split(arg.replace("/opt/prgate", str(opt)))
            command[0] = sys.executable if command[0] == "python" else command[0]
            run = subprocess.run(command, cwd=cwd, env=env, capture_output=True)
            assert run.returncode == 0, run.stderr.decode()[-2000:]
    prgate = opt / "bin" / "prgate"
    assert prgate.exists()
    entry = json.loads(next(a for op, a in runtime if op == "ENTRYPOINT"))
    cmd = json.loads(next(a for op, a in runtime if op == "CMD"))
    assert entry[:2] == ["tini", "--"]
    argv = [str(opt / "bin" / entry[2]), *cmd]

    # prgate check from the installed package: the JS engine's bootstrap must be in it
    repo = tmp_path / "repo"
    write_files(
        repo,
        {
            "jest.config.js": "module.exports = { roots: ['<rootDir>'] };\n",
            "package.json": '{"name": "root"}',
            "a/package.json": '{"name": "x"}',
            "b/package.json": '{"name": "x"}',
        },
    )
    check = subprocess.run(
        [str(prgate), "check", str(repo), "--only", "jest-collision", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert check.returncode == 1, check.stderr
    rules = [f["rule"] for f in json.loads(check.stdout)["findings"]]
    assert rules == ["jest-collision/haste-module"]

    # the receiver as the image starts it, and the image's health check against it
    port = free_port()
    serve_env = {**env, "PORT": str(port), "REDIS_URL": redis_url, "WEBHOOK_SECRET": "s"}
    argv[argv.index("--host") + 1] = "127.0.0.1"  # the image listens on every interface
    proc = subprocess.Popen(argv, env=serve_env, stderr=subprocess.PIPE)
    try:
        health = json.loads(next(a for op, a in runtime if op == "HEALTHCHECK").split("CMD", 1)[1])
        assert health[0] == "python"
        probe = [str(opt / "bin" / "python"), *health[1:]]
        assert wait_for(
            lambda: subprocess.run(probe, env=serve_env, capture_output=True).returncode == 0,
            timeout=30,
            step=0.3,
        ), "the image's health check never passed"
    finally:
        proc.terminate()
        proc.wait(10)
    dead = subprocess.run(probe, env=serve_env, capture_output=True)
    assert dead.returncode != 0  # the health check fails when the receiver is down


# --- pre-commit ----------------------------------------------------------------------------------

PRE_COMMIT_KEYS = {  # pre-commit's manifest schema: required, then optional keys
    "id",
    "name",
    "entry",
    "language",
    "alias",
    "files",
    "exclude",
    "types",
    "types_or",
    "exclude_types",
    "additional_dependencies",
    "args",
    "always_run",
    "fail_fast",
    "pass_filenames",
    "description",
    "language_version",
    "log_file",
    "minimum_pre_commit_version",
    "require_serial",
    "stages",
    "verbose",
}


def _pre_commit(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRE_COMMIT")}
    env["PRE_COMMIT_HOME"] = str(repo.parent / "pre-commit-home")
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_pre_commit_judges_what_is_staged(tmp_path: Path) -> None:
    """The real pre-commit tool runs our hooks (as local hooks on this prgate): a staged
    .env in a template fails the commit; an untracked, unstaged one never blocks it."""
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == [
        "prgate",
        "prgate-contamination",
        "prgate-jest-collision",
        "prgate-hook-validation",
        "prgate-ts-imports",
        "prgate-nx-generators",
    ]
    exe = str(Path(sys.executable).parent / "prgate")
    local = []
    for hook in hooks:
        assert {"id", "name", "entry", "language"} <= set(hook) <= PRE_COMMIT_KEYS
        assert hook["entry"].split()[:2] == ["prgate", "pre-commit"]
        assert hook.get("pass_filenames", True) and not hook.get("always_run", False)
        local.append(
            {**hook, "entry": exe + hook["entry"].removeprefix("prgate"), "language": "system"}
        )
    repo = tmp_path / "repo"
    template = "templates/{{project_slug}}"
    config = yaml.safe_dump({"repos": [{"repo": "local", "hooks": local}]})
    copier_yml = "_subdirectory: templates\nproject_slug:\n  type: str\n"
    files = {"copier.yml": copier_yml, f"{template}/README.md": "# x\n"}
    write_files(repo, {**files, ".pre-commit-config.yaml": config})
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "start"]):
        subprocess.run(["git", *args], cwd=repo, check=True, env=env)
    # untracked and unstaged: a local .env that is not part of the commit
    (repo / template / "local").mkdir()
    (repo / template / "local" / ".env").write_text("TOKEN=mine\n")
    (repo / template / "README.md").write_text("# changed\n")
    subprocess.run(["git", "add", f"{template}/README.md"], cwd=repo, check=True)
    clean = _pre_commit(repo, "run", "prgate")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "local/.env" not in clean.stdout
    # staged: the commit would add it to every generated project
    (repo / template / ".env").write_text("A=1\n")
    subprocess.run(["git", "add", f"{template}/.env"], cwd=repo, check=True)
    blocked = _pre_commit(repo, "run", "prgate")
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert f"{template}/.env" in blocked.stdout and "local/.env" not in blocked.stdout
    assert "git rm --cached" in blocked.stdout  # it is staged, so git rm --cached is the fix


def _admits(policy: dict[str, Any], namespace: str, labels: dict[str, str] | None = None) -> bool:
    """Whether an ingress rule of ``policy`` admits pods of ``namespace`` (with ``labels``)."""
    for rule in policy["spec"].get("ingress", []):
        for peer in rule.get("from", []):
            ns = peer.get("namespaceSelector", {}).get("matchLabels", {})
            pods = peer.get("podSelector", {}).get("matchLabels", {})
            if ns.get("kubernetes.io/metadata.name") == namespace and all(
                (labels or {}).get(k) == v for k, v in pods.items()
            ):
                return True
    return False


def test_keda_and_the_metrics_scraper_are_admitted() -> None:
    """KEDA's operator must read the queue lengths from Redis, or workers never scale; the
    README asks Prometheus to scrape the receiver's /metrics."""
    redis = find("NetworkPolicy", "redis")
    assert _admits(redis, "keda", {"app": "keda-operator"})
    assert not _admits(redis, "default", {"app": "keda-operator"})
    prgate = find("NetworkPolicy", "prgate")
    assert _admits(prgate, "monitoring") and _admits(prgate, "ingress-nginx")


def test_a_managed_redis_outside_the_namespace_is_reachable() -> None:
    egress = find("NetworkPolicy", "prgate")["spec"]["egress"]
    anywhere = [rule for rule in egress if "to" not in rule]
    ports = {p["port"] for rule in anywhere for p in rule["ports"]}
    assert {6379, 6380, 443} <= ports


def test_the_image_is_a_release_not_a_moving_tag() -> None:
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    [image] = kustomization["images"]
    assert image == {"name": "ghcr.io/prgate/prgate", "newTag": version}
    for kind, name in (("Deployment", "prgate-receiver"), ("Deployment", "prgate-worker")):
        container = find(kind, name)["spec"]["template"]["spec"]["containers"][0]
        assert container["image"] == "ghcr.io/prgate/prgate"  # tagged by kustomize


def test_receiver_disruption_budget_and_worker_liveness() -> None:
    pdb = find("PodDisruptionBudget", "prgate-receiver")
    assert pdb["spec"]["minAvailable"] >= 1
    assert pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == "receiver"
    worker = find("Deployment", "prgate-worker")["spec"]["template"]["spec"]["containers"][0]
    alive = next(e["value"] for e in worker["env"] if e["name"] == "PRGATE_ALIVE_FILE")
    probe = " ".join(worker["livenessProbe"]["exec"]["command"])
    assert alive in probe


def test_the_worker_touches_its_alive_file_on_every_heartbeat(
    tmp_path: Path, redis_client: Any
) -> None:
    from workers.queue.alive import AliveWorker

    worker = AliveWorker(["prgate-alive-test"], connection=redis_client)
    worker.alive_file = tmp_path / "alive"
    worker.register_birth()
    try:
        first = worker.alive_file.stat().st_mtime_ns
        os.utime(worker.alive_file, ns=(first - 10**10, first - 10**10))
        worker.heartbeat()
        assert worker.alive_file.stat().st_mtime_ns > first - 10**10
    finally:
        worker.register_death()
