#!/usr/bin/env bash
# Checks the deployment files in deploy/ without a container engine, a cluster or
# Slurm: YAML syntax, Kubernetes schemas, shell scripts, the Slurm script's logic
# (run with stand-in srun, scontrol and sextant), and the compose file, Dockerfile
# and systemd units against what the program expects.
#
#   bash deploy/check.sh
#
# Installs what is missing first: shellcheck (apt), PyYAML and kubernetes-validate
# (pip), as root or with sudo. Prints PASS or FAIL per check; exits 1 on a failure.

set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

# ---------------------------------------------------------------- installing

apt_install() {
    echo "installing $*"
    ${sudo_cmd[@]+"${sudo_cmd[@]}"} apt-get update -qq -o DPkg::Lock::Timeout=300
    DEBIAN_FRONTEND=noninteractive ${sudo_cmd[@]+"${sudo_cmd[@]}"} apt-get install -y -qq \
        -o DPkg::Lock::Timeout=300 "$@" >/dev/null
}

pip_install() {
    echo "installing $*"
    python3 -m pip install -q "$@" 2>/dev/null \
        || python3 -m pip install -q --break-system-packages "$@"
}

command -v python3 >/dev/null || apt_install python3 python3-pip
python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
command -v shellcheck >/dev/null || apt_install shellcheck
python3 -c 'import yaml' 2>/dev/null || pip_install pyyaml
python3 -c 'import kubernetes_validate' 2>/dev/null || pip_install kubernetes-validate

# ---------------------------------------------------------------- reporting

passed=0
failed=0

# check NAME FUNCTION: runs FUNCTION, prints PASS or FAIL with its output.
check() {
    local name=$1 function=$2 log="$work/log"
    if "$function" >"$log" 2>&1; then
        passed=$((passed + 1))
        printf 'PASS  %s\n' "$name"
    else
        failed=$((failed + 1))
        printf 'FAIL  %s\n' "$name"
        sed 's/^/      /' "$log"
    fi
}

# ---------------------------------------------------------------- (a) YAML

check_yaml() {
    python3 - <<'PY'
import pathlib, sys, yaml
files = sorted(p for p in pathlib.Path("deploy").rglob("*") if p.suffix in (".yaml", ".yml"))
if not files:
    sys.exit("no YAML files under deploy/")
bad = 0
for path in files:
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        if not docs:
            raise ValueError("no document")
    except Exception as error:
        print(f"{path}: {error}")
        bad += 1
print(f"{len(files) - bad} of {len(files)} files parse")
sys.exit(1 if bad else 0)
PY
}

# ---------------------------------------------------------------- (b) Kubernetes

k8s_manifests() {
    find deploy/kubernetes -maxdepth 1 -name '*.yaml' ! -name kustomization.yaml | sort
}

# The schemas of kubernetes-validate ship in the package: no network needed.
# Strict mode rejects unknown fields (a misspelt key fails). Checked against the
# oldest release we support and the newest the package knows.
check_kubernetes_schemas() {
    local manifests version
    mapfile -t manifests < <(k8s_manifests)
    [ "${#manifests[@]}" -gt 0 ] || { echo "no manifests in deploy/kubernetes"; return 1; }
    for version in 1.28.0 "$(python3 -c 'import kubernetes_validate.utils as u; print(u.latest_version())')"; do
        python3 -m kubernetes_validate --strict --quiet --no-warn -k "$version" "${manifests[@]}" || return 1
        echo "${#manifests[@]} files valid against Kubernetes $version"
    done
    # Where kubectl is installed, its kustomize must render the folder too (no cluster needed).
    if command -v kubectl >/dev/null; then
        kubectl kustomize deploy/kubernetes >/dev/null || return 1
        echo "kubectl kustomize renders deploy/kubernetes"
    fi
}

# What a schema cannot see: the pieces must fit together and fit the program.
check_kubernetes_wiring() {
    python3 - <<'PY'
import pathlib, sys, yaml
folder = pathlib.Path("deploy/kubernetes")
errors = []
kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
listed = set(kustomization.get("resources", []))
present = {p.name for p in folder.glob("*.yaml")} - {"kustomization.yaml"}
if listed != present:
    errors.append(f"kustomization.yaml lists {sorted(listed)}, the folder has {sorted(present)}")
objects = {}
for name in sorted(present):
    for doc in yaml.safe_load_all((folder / name).read_text()):
        if doc:
            if "namespace" in doc["metadata"]:
                errors.append(f"{name}: {doc['kind']} names a namespace")
            objects[(doc["kind"], doc["metadata"]["name"])] = doc

def get(kind, name):
    if (kind, name) not in objects:
        errors.append(f"no {kind} {name}")
        return None
    return objects[(kind, name)]

sts, svc = get("StatefulSet", "sextant-coordinator"), get("Service", "sextant-coordinator")
workers = get("Deployment", "sextant-worker")
study = get("ConfigMap", "sextant-study")
if errors:
    sys.exit("\n".join(errors))

image_names = {i["name"] for i in kustomization.get("images", [])}
def option(args, name):
    return args[args.index(name) + 1] if name in args else None

for workload in (sts, workers):
    spec = workload["spec"]["template"]["spec"]
    kind = workload["kind"]
    if spec["securityContext"].get("runAsNonRoot") is not True:
        errors.append(f"{kind}: not runAsNonRoot")
    if not set(workload["spec"]["selector"]["matchLabels"].items()) <= set(workload["spec"]["template"]["metadata"]["labels"].items()):
        errors.append(f"{kind}: the selector does not match the pod labels")
    for volume in spec.get("volumes", []):
        if "secret" in volume:
            get("Secret", volume["secret"]["secretName"])
        if "configMap" in volume:
            get("ConfigMap", volume["configMap"]["name"])
    for container in spec["containers"]:
        if container["image"].split(":")[0] not in image_names:
            errors.append(f"{kind}: image {container['image']} is not under images: in kustomization.yaml")
        for env in container.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                secret = get("Secret", ref["name"])
                if secret and ref["key"] not in secret.get("stringData", {}):
                    errors.append(f"Secret {ref['name']} has no key {ref['key']}")
        if "resources" not in container:
            errors.append(f"{kind}: no resources")

coordinator = sts["spec"]["template"]["spec"]["containers"][0]
args = coordinator["args"]
if args[0] != "coordinator":
    errors.append("the StatefulSet does not run `sextant coordinator`")
mounts = {m["mountPath"]: m["name"] for m in coordinator["volumeMounts"]}
if option(args, "--db") != "/data/sextant.db" or mounts.get("/data") != "data":
    errors.append("the database is not on the data volume")
if "data" not in {t["metadata"]["name"] for t in sts["spec"].get("volumeClaimTemplates", [])}:
    errors.append("no PersistentVolumeClaim template named data")
if sts["spec"]["replicas"] != 1:
    errors.append("more than one coordinator")
grace = float(option(args, "--shutdown-grace") or 30)
if sts["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] <= grace:
    errors.append("terminationGracePeriodSeconds is not longer than --shutdown-grace")
for probe in ("readinessProbe", "livenessProbe"):
    if coordinator.get(probe, {}).get("httpGet", {}).get("path") != "/healthz":
        errors.append(f"the coordinator's {probe} is not on /healthz")
ports = {p["name"]: p["containerPort"] for p in coordinator["ports"]}
if ports != {"zmq": 5555, "http": 8080}:
    errors.append(f"coordinator ports {ports}")
if option(args, "--bind") != "tcp://0.0.0.0:5555" or option(args, "--dashboard") != "0.0.0.0:8080":
    errors.append("--bind or --dashboard differ from the container ports")
if sts["spec"]["serviceName"] != svc["metadata"]["name"]:
    errors.append("the StatefulSet's serviceName is not the Service")
if not set(svc["spec"]["selector"].items()) <= set(sts["spec"]["template"]["metadata"]["labels"].items()):
    errors.append("the Service does not select the coordinator")
service_ports = {p["port"]: p["targetPort"] for p in svc["spec"]["ports"]}
if service_ports != {5555: "zmq", 8080: "http"}:
    errors.append(f"Service ports {service_ports}")

worker = workers["spec"]["template"]["spec"]["containers"][0]["args"]
if worker[:2] != ["worker", f"tcp://{svc['metadata']['name']}:5555"]:
    errors.append(f"workers do not connect to the Service: {worker[:2]}")
for flag in ("--curve-secret-key", "--server-key"):
    if option(worker, flag) is None:
        errors.append(f"workers run without {flag}")
if option(args, "--curve-secret-key") is None or option(args, "--authorized-keys") is None:
    errors.append("the coordinator runs without CURVE keys")

# The ConfigMap's study is the example the workers' built-in trainer fits.
example = yaml.safe_load(pathlib.Path("docs/examples/mlp-digits.yaml").read_text())
if yaml.safe_load(study["data"]["study.yaml"]) != example:
    errors.append("the ConfigMap's study.yaml differs from docs/examples/mlp-digits.yaml")
if option(worker, "--builtin") != "mlp-digits":
    errors.append("workers do not run --builtin mlp-digits")

print("\n".join(errors) or f"{len(objects)} objects fit together")
sys.exit(1 if errors else 0)
PY
}

# ---------------------------------------------------------------- (c) shellcheck

check_shellcheck() {
    local scripts
    mapfile -t scripts < <(find deploy -name '*.sh' -o -name '*.sbatch' | sort)
    shellcheck --shell=bash "${scripts[@]}" || return 1
    # The worker launcher that srun runs on each node is a string in the script.
    python3 - deploy/slurm/sextant.sbatch >"$work/launch_worker.sh" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
match = re.search(r"^launch_worker='\n(.*?)^'$", text, re.S | re.M)
if not match:
    sys.exit("launch_worker='...' not found")
print("#!/usr/bin/env bash\nset -euo pipefail\n" + match.group(1))
PY
    shellcheck --shell=bash "$work/launch_worker.sh" || return 1
    echo "${scripts[*]} and the worker launcher are clean"
}

# ---------------------------------------------------------------- (d) Slurm

# Stand-ins for srun, scontrol and sextant that log what they are asked to do.
make_fake_slurm() {
    local bin=$1
    mkdir -p "$bin"
    cat >"$bin/scontrol" <<'SH'
#!/usr/bin/env bash
echo "scontrol $*" >>"$FAKE_LOG"
[ "$1 $2" = "show hostnames" ] || exit 1
printf '%s\n' node01 node02 node03
SH
    # srun --opt=value... COMMAND: runs COMMAND once per node it was given (all
    # but --exclude, as many as --nodes), passes SIGTERM on, waits for them.
    cat >"$bin/srun" <<'SH'
#!/usr/bin/env bash
echo "srun $*" >>"$FAKE_LOG"
nodes=1 exclude=""
while [ "$#" -gt 0 ]; do
    case $1 in
        --nodes=*) nodes=${1#*=} ;;
        --exclude=*) exclude=${1#*=} ;;
        --*) ;;
        *) break ;;
    esac
    shift
done
pids=()
for node in $(scontrol show hostnames "$SLURM_JOB_NODELIST" | grep -vx "${exclude:-none}" | head -n "$nodes"); do
    SLURMD_NODENAME=$node "$@" &
    pids+=($!)
done
trap 'kill -TERM "${pids[@]}" 2>/dev/null' TERM
while ! wait; do :; done
SH
    cat >"$bin/sextant" <<'SH'
#!/usr/bin/env bash
echo "sextant on ${SLURMD_NODENAME:-?}: $*" >>"$FAKE_LOG"
case $1 in
    coordinator)
        echo "$PPID" >"$FAKE_LOG.script"
        trap 'echo "coordinator got TERM" >>"$FAKE_LOG"; exit 0' TERM
        for _ in $(seq 1 "$((FAKE_COORDINATOR_TENTHS))"); do sleep 0.1; done
        exit "${FAKE_COORDINATOR_EXIT:-0}" ;;
    worker)
        trap 'echo "worker on $SLURMD_NODENAME got TERM" >>"$FAKE_LOG"; exit 0' TERM
        while :; do sleep 0.1; done ;;
esac
SH
    chmod +x "$bin/scontrol" "$bin/srun" "$bin/sextant"
}

# run_sbatch LOG [NAME=VALUE...] [ARGS...]: the batch script with ARGS, as on node01
# of a 3-node allocation, in a clean environment holding only these variables.
run_sbatch() {
    local log=$1 settings=()
    shift
    while [ "$#" -gt 0 ] && [[ $1 =~ ^[A-Z_]+= ]]; do
        settings+=("$1")
        shift
    done
    : >"$log"
    rm -f "$log.script"
    env -i PATH="$work/fake:$PATH" HOME="$work" FAKE_LOG="$log" \
        SLURM_JOB_ID=42 SLURM_JOB_NODELIST='node[01-03]' SLURM_JOB_NUM_NODES=3 \
        SLURMD_NODENAME=node01 SEXTANT_STUDY=study.yaml SEXTANT_PORT=6123 "${settings[@]}" \
        timeout 60 bash deploy/slurm/sextant.sbatch "$@" >"$log.out" 2>&1
}

expect_line() {
    local log=$1 pattern=$2
    grep -qxF -- "$pattern" "$log" || { echo "missing: $pattern"; echo "log:"; cat "$log" "$log.out"; return 1; }
}

check_slurm() {
    make_fake_slurm "$work/fake"
    local log="$work/slurm.log" status

    # CPU nodes, the trainer from SEXTANT_WORKER_ARGS' default, sextant from PATH.
    status=0
    run_sbatch "$log" FAKE_COORDINATOR_TENTHS=10 SLURM_CPUS_PER_TASK=4 SEXTANT_DB=/data/study.db \
        || status=$?
    [ "$status" -eq 0 ] || { echo "exit status $status, not 0"; cat "$log" "$log.out"; return 1; }
    expect_line "$log" "scontrol show hostnames node[01-03]" || return 1
    expect_line "$log" "sextant on node01: coordinator study.yaml --bind tcp://0.0.0.0:6123 --db /data/study.db" || return 1
    grep -q -- '^srun .*--nodes=2 .*--exclude=node01 .*--ntasks-per-node=1' "$log" \
        || { echo "srun was not asked for the 2 other nodes:"; grep '^srun' "$log"; return 1; }
    for node in node02 node03; do
        expect_line "$log" "sextant on $node: worker tcp://node01:6123 --name $node --slots 4 --builtin mlp-digits" || return 1
        expect_line "$log" "worker on $node got TERM" || return 1
    done
    [ "$(grep -c ': worker ' "$log")" -eq 2 ] || { echo "not exactly 2 workers"; cat "$log"; return 1; }
    if grep -q 'on node01: worker' "$log"; then echo "a worker ran on the coordinator's node"; return 1; fi
    echo "3 nodes: coordinator on node01, workers on node02 and node03, stopped after it; exit 0"

    # GPU nodes, the trainer from the script's arguments; the coordinator's status is kept.
    status=0
    run_sbatch "$log" FAKE_COORDINATOR_TENTHS=5 FAKE_COORDINATOR_EXIT=3 CUDA_VISIBLE_DEVICES=0,1 \
        SEXTANT_BIN="$work/fake/sextant" SEXTANT_COORDINATOR_ARGS="--shutdown-grace 10" \
        -- python3 train.py --lr '{learning_rate}' || status=$?
    [ "$status" -eq 3 ] || { echo "exit status $status, not the coordinator's 3"; cat "$log" "$log.out"; return 1; }
    expect_line "$log" "sextant on node01: coordinator study.yaml --bind tcp://0.0.0.0:6123 --db sextant.db --shutdown-grace 10" || return 1
    expect_line "$log" "sextant on node02: worker tcp://node01:6123 --name node02 --slots 2 --gpus 0,1 -- python3 train.py --lr {learning_rate}" || return 1
    echo "GPUs 0,1: --slots 2 --gpus 0,1 and the training command; exit status 3 passed on"

    # SIGTERM to the script (Slurm's --signal before the time limit) reaches the coordinator.
    status=0
    run_sbatch "$log" FAKE_COORDINATOR_TENTHS=300 &
    local pid=$!
    for _ in $(seq 1 100); do
        grep -q 'on node03: worker' "$log" 2>/dev/null && break
        sleep 0.1
    done
    [ -s "$log.script" ] || { echo "the coordinator did not start"; cat "$log" "$log.out"; return 1; }
    kill -TERM "$(cat "$log.script")"
    wait "$pid" || status=$?
    [ "$status" -eq 0 ] || { echo "exit status $status after SIGTERM, not 0"; cat "$log" "$log.out"; return 1; }
    expect_line "$log" "coordinator got TERM" || return 1
    expect_line "$log" "worker on node02 got TERM" || return 1
    echo "SIGTERM to the script: the coordinator stops, then the workers; exit 0"
}

# ---------------------------------------------------------------- (e) compose

check_compose() {
    python3 - <<'PY'
import pathlib, re, sys, yaml
path = pathlib.Path("deploy/compose.yaml")
compose = yaml.safe_load(path.read_text())
errors = []
services = compose.get("services", {})
for name in ("coordinator", "worker"):
    if name not in services:
        errors.append(f"no service {name}")
if errors:
    sys.exit("\n".join(errors))
coordinator, worker = services["coordinator"], services["worker"]

def option(args, name):
    return args[args.index(name) + 1] if name in args else None

args = coordinator["command"]
if args[0] != "coordinator":
    errors.append("the coordinator service does not run `sextant coordinator`")
if option(args, "--db") != "/data/sextant.db":
    errors.append("the database is not /data/sextant.db")
if option(args, "--dashboard") != "0.0.0.0:8080":
    errors.append("the dashboard does not listen on 0.0.0.0:8080")
if "SEXTANT_DASHBOARD_TOKEN" not in str(coordinator.get("environment")):
    errors.append("no dashboard token in the coordinator's environment")
study_target = args[1]
if study_target not in [c["target"] for c in coordinator.get("configs", [])]:
    errors.append(f"the study {study_target} is not mounted from configs:")

volumes = compose.get("volumes") or {}
data_volumes = [v.split(":")[0] for v in coordinator.get("volumes", []) if v.split(":")[1] == "/data"]
if not data_volumes or data_volumes[0] not in volumes:
    errors.append("/data is not a named volume declared under volumes:")

secrets = compose.get("secrets") or {}
for name, service in services.items():
    for secret in service.get("secrets", []):
        source = secret["source"] if isinstance(secret, dict) else secret
        if source not in secrets:
            errors.append(f"{name}: secret {source} is not declared under secrets:")
for name, secret in secrets.items():
    if not secret.get("file", "").startswith("./keys/"):
        errors.append(f"secret {name} is not a file in deploy/keys/")
for flag, where in (("--curve-secret-key", args), ("--authorized-keys", args),
                    ("--curve-secret-key", worker["command"]), ("--server-key", worker["command"])):
    if option(where, flag) is None:
        errors.append(f"{flag} missing")
authorized = option(args, "--authorized-keys") or ""
if not any(str(s.get("target", "")).startswith(authorized + "/") for s in coordinator["secrets"] if isinstance(s, dict)):
    errors.append(f"no worker key mounted into {authorized}")

for name, config in (compose.get("configs") or {}).items():
    default = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", config["file"])
    if not (path.parent / default).is_file():
        errors.append(f"config {name}: {default} does not exist")

if "/healthz" not in " ".join(coordinator.get("healthcheck", {}).get("test", [])):
    errors.append("the coordinator's healthcheck does not ask /healthz")
def seconds(text):
    return float(str(text).rstrip("s"))
if seconds(coordinator.get("stop_grace_period", "10s")) <= float(option(args, "--shutdown-grace") or 30):
    errors.append("stop_grace_period is not longer than --shutdown-grace")

wargs = worker["command"]
if wargs[:2] != ["worker", "tcp://coordinator:5555"]:
    errors.append(f"the worker does not connect to tcp://coordinator:5555: {wargs[:2]}")
if option(wargs, "--builtin") != "mlp-digits":
    errors.append("the worker does not run --builtin mlp-digits")
if worker.get("restart") != "unless-stopped":
    errors.append("the worker's restart is not unless-stopped")
if "container_name" in worker or "ports" in worker:
    errors.append("the worker cannot be scaled: it has container_name or ports")

build = coordinator.get("build", {})
context = path.parent / build.get("context", ".")
if not (context / build.get("dockerfile", "Dockerfile")).is_file():
    errors.append("the build context does not hold the Dockerfile")
if worker.get("image") != coordinator.get("image"):
    errors.append("the worker does not use the coordinator's image")

print("\n".join(errors) or "services coordinator and worker, volume, secrets, configs and healthcheck fit")
sys.exit(1 if errors else 0)
PY
}

# ---------------------------------------------------------------- Dockerfile

check_dockerfile() {
    python3 - <<'PY'
import fnmatch, pathlib, re, sys
text = pathlib.Path("deploy/Dockerfile").read_text()
lines = re.sub(r"\\\n", " ", text).splitlines()
instructions = [l.strip() for l in lines if l.strip() and not l.lstrip().startswith("#")]
errors = []
args = dict(re.findall(r"^ARG (\w+)=(\S+)", "\n".join(instructions), re.M))
stages, current = [], None
for line in instructions:
    word, _, rest = line.partition(" ")
    if word == "FROM":
        image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), rest.split()[0])
        current = {"image": image, "lines": []}
        stages.append(current)
    elif current is not None:
        current["lines"].append(line)
if [s["image"] for s in stages] != ["swift:6.3-bookworm", "debian:bookworm-slim"]:
    errors.append(f"stages: {[s['image'] for s in stages]}")
else:
    build, runtime = (" ".join(s["lines"]) for s in stages)
    for package in "libzmq3-dev libopenblas-dev liblapacke-dev libsqlite3-dev zlib1g-dev pkg-config".split():
        if package not in build.split():
            errors.append(f"the build stage does not install {package}")
    if "swift build -c release --product sextant" not in build:
        errors.append("the build stage does not build the sextant product in release mode")
    for package in "libzmq5 libopenblas0 liblapacke libsqlite3-0 zlib1g python3".split():
        if package not in runtime.split():
            errors.append(f"the runtime stage does not install {package}")
    if re.search(r"\S+-dev\b", runtime):
        errors.append("the runtime stage installs -dev packages")
    user = [l.split()[1] for l in stages[1]["lines"] if l.startswith("USER ")]
    if not user or user[-1] in ("root", "0"):
        errors.append("the runtime stage runs as root")
    if "EXPOSE 5555 8080" not in stages[1]["lines"]:
        errors.append("EXPOSE 5555 8080 missing")
    if not any(l.startswith("ENTRYPOINT") and "/usr/local/bin/sextant" in l for l in stages[1]["lines"]):
        errors.append("the entrypoint is not /usr/local/bin/sextant")
    if "WORKDIR /data" not in stages[1]["lines"]:
        errors.append("WORKDIR /data missing")

ignore = [l.strip() for l in pathlib.Path(".dockerignore").read_text().splitlines() if l.strip() and not l.startswith("#")]
for pattern in (".git", ".build", "*.db", "deploy/keys"):
    if pattern not in ignore:
        errors.append(f".dockerignore does not exclude {pattern}")
for needed in ("Package.swift", "Sources", "Tests"):
    if not pathlib.Path(needed).exists() or any(fnmatch.fnmatch(needed, p) for p in ignore):
        errors.append(f"the build context lacks {needed}")
print("\n".join(errors) or f"{len(stages)} stages; packages, user, ports, entrypoint and .dockerignore fit")
sys.exit(1 if errors else 0)
PY
}

# ---------------------------------------------------------------- systemd

check_systemd() {
    python3 - <<'PY' || return 1
import pathlib, re, sys
folder = pathlib.Path("deploy/systemd")
errors = []
def unit(path):
    entries, section = {}, None
    text = re.sub(r"\\\n", " ", path.read_text())
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        entries.setdefault((section, key), []).append(value.strip())
    return entries
def env(path):
    values = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values
for name, envfile in (("sextant-coordinator.service", "coordinator.env"), ("sextant-worker@.service", "worker.env")):
    entries = unit(folder / name)
    values = env(folder / envfile)
    one = lambda key: (entries.get(("Service", key)) or [""])[-1]
    start = one("ExecStart")
    for variable in sorted(set(re.findall(r"\$\{?([A-Z_]+)\}?", start))):
        if variable not in values:
            errors.append(f"{name}: ExecStart uses {variable}, which {envfile} does not set")
    if f"/etc/sextant/{envfile}" not in entries.get(("Service", "EnvironmentFile"), []):
        errors.append(f"{name}: EnvironmentFile is not /etc/sextant/{envfile}")
    for key, wanted in (("Restart", "on-failure"), ("KillSignal", "SIGTERM"), ("KillMode", "mixed"),
                        ("NoNewPrivileges", "yes"), ("ProtectSystem", "strict")):
        if one(key) != wanted:
            errors.append(f"{name}: {key} is not {wanted}")
    if not (one("User") or one("DynamicUser") == "yes"):
        errors.append(f"{name}: runs as root")
    if not one("StateDirectory").startswith("sextant"):
        errors.append(f"{name}: no StateDirectory")
    if name.startswith("sextant-coordinator"):
        grace = float(values.get("SEXTANT_SHUTDOWN_GRACE", "30"))
        if float(one("TimeoutStopSec") or 90) <= grace:
            errors.append(f"{name}: TimeoutStopSec is not longer than the shutdown grace")
        if "--db /var/lib/sextant/" not in start or one("StateDirectory") != "sextant":
            errors.append(f"{name}: the database is not in the state directory")
print("\n".join(errors) or "units and environment files fit")
sys.exit(1 if errors else 0)
PY
    if ! command -v systemd-analyze >/dev/null; then
        echo "systemd-analyze not installed: units not verified by systemd"
        return 0
    fi
    # systemd's own parser, with the binary path pointed at a stand-in that exists.
    local units="$work/units" out
    mkdir -p "$units"
    printf '#!/bin/sh\n' >"$units/sextant" && chmod +x "$units/sextant"
    sed "s#/usr/local/bin/sextant #$units/sextant #" deploy/systemd/sextant-coordinator.service \
        >"$units/sextant-coordinator.service"
    sed "s#/usr/local/bin/sextant #$units/sextant #" 'deploy/systemd/sextant-worker@.service' \
        >"$units/sextant-worker@check.service"
    out=$(systemd-analyze verify "$units/sextant-coordinator.service" "$units/sextant-worker@check.service" 2>&1) \
        || { echo "$out"; return 1; }
    [ -z "$out" ] || { echo "$out"; return 1; }
    echo "systemd-analyze verify: no complaint"
}

check "YAML: every file under deploy/ parses" check_yaml
check "Kubernetes: manifests match the API schemas (kubernetes-validate, strict)" check_kubernetes_schemas
check "Kubernetes: objects reference each other and the program correctly" check_kubernetes_wiring
check "shellcheck: deploy scripts" check_shellcheck
check "Slurm: sextant.sbatch with stand-in srun, scontrol and sextant" check_slurm
check "compose: services, volume, secrets, configs" check_compose
check "Dockerfile: stages, packages, user, ports" check_dockerfile
check "systemd: units and environment files" check_systemd

echo "deploy checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
