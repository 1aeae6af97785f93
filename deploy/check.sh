#!/usr/bin/env bash
# Validates the deploy files without network access or running services:
#   - Prometheus config and alert rules parse (promtool check config / check rules),
#   - the alert unit tests pass (promtool test rules),
#   - the Grafana dashboard is valid JSON, uses the provisioned datasource, and every panel
#     expression parses as PromQL (as recording rules, with dashboard variables substituted),
#   - every photoproc_* metric the alerts and dashboard use is defined in metrics/,
#   - photoproc.env.example lists every variable daemon/config.go reads,
#   - the unit's TimeoutStopSec and compose's stop_grace_period allow the longest stop,
#   - the systemd unit passes systemd-analyze verify (ExecStart pointed at /bin/true, since the
#     binary is not installed here),
#   - docker-compose.yml passes the Compose schema (`docker-compose config -q`, the Debian
#     package's v1.29, which knows depends_on conditions and profiles) and holds together: every
#     dependency's condition can be met (service_healthy on a service with a healthcheck,
#     service_completed_successfully on a one-shot), every long-running service has a
#     healthcheck, bind-mounted files exist, Prometheus targets are compose services that
#     answer to the name Prometheus uses, the daemon logs JSON, and the stack refuses to
#     start without an admin token. Building the image and running the stack need a Docker
#     engine: not here.
# Exits non-zero on the first failure. Needs promtool (Debian package "prometheus"), python3,
# systemd-analyze (package "systemd") and docker-compose (package "docker-compose", which also
# brings python3-yaml).
set -euo pipefail

deploy=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$deploy")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

step() { printf '== %s\n' "$*"; }
fail() { printf 'deploy/check.sh: %s\n' "$*" >&2; exit 1; }
need() { # command, how to get it
  command -v "$1" >/dev/null || fail "$1 not found: $2"
}

need promtool "install the Debian package 'prometheus' (apt-get install -y prometheus), which provides /usr/bin/promtool"
need python3 "install python3"
need systemd-analyze "install the Debian package 'systemd'"
need docker-compose "install the Debian package 'docker-compose' (listed in .ci/packages)"

step "promtool check config prometheus/prometheus.yml"
promtool check config "$deploy/prometheus/prometheus.yml"

step "promtool check rules prometheus/alerts.yml"
promtool check rules "$deploy/prometheus/alerts.yml"

step "promtool test rules prometheus/alerts_test.yml"
(cd "$deploy/prometheus" && promtool test rules alerts_test.yml)

step "grafana: JSON, datasource uid, panel expressions as PromQL"
python3 - "$deploy" "$tmp/dashboard_rules.yml" <<'EOF'
import json, re, sys

deploy, out = sys.argv[1], sys.argv[2]
path = f"{deploy}/grafana/dashboards/photoproc.json"
try:
    with open(path) as f:
        dash = json.load(f)
except ValueError as e:
    sys.exit(f"{path}: invalid JSON: {e}")

provisioned = open(f"{deploy}/grafana/provisioning/datasources/prometheus.yml").read()
uid = re.search(r"^\s*uid:\s*(\S+)", provisioned, re.M).group(1)

# Dashboard variables become plain values so that the expressions parse as PromQL.
subst = {"__rate_interval": "1m", "__interval": "1m", "__range": "1h",
         "instance": ".*", "queue": "photo-processor"}
problems, rules = [], []

def datasources(node, where="dashboard"):
    if isinstance(node, dict):
        name = node.get("title") or node.get("name")
        here = f"{where} > {name}" if isinstance(name, str) else where
        for k, v in node.items():
            if k == "datasource" and not (isinstance(v, dict) and v.get("uid") in (uid, "-- Grafana --")):
                problems.append(f"{here}: datasource {v!r} is not uid {uid!r}")
            datasources(v, here)
    elif isinstance(node, list):
        for v in node:
            datasources(v, where)

def substitute(expr):
    def var(m):
        name = m.group(1) or m.group(2)
        if name not in subst:
            problems.append(f"unknown dashboard variable ${name} in {expr!r}")
        return subst.get(name, "x")
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", var, expr)

datasources(dash)

def panels(ps):
    for p in ps:
        yield p
        yield from panels(p.get("panels", []))

for p in panels(dash.get("panels", [])):
    where = f'panel {p.get("id")} "{p.get("title")}"'
    for t in p.get("targets", []):
        expr = substitute(t.get("expr", ""))
        if not expr.strip():
            problems.append(f"{where} target {t.get('refId')}: empty expression")
            continue
        rules.append({"record": f"dashboard:panel{p.get('id')}_{t.get('refId')}", "expr": expr})

if problems:
    sys.exit("\n".join(problems))
if not rules:
    sys.exit(f"{path}: no panel expressions found")
with open(out, "w") as f:
    # JSON is YAML: no YAML library needed.
    json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, f, indent=1)
print(f"{path}: valid JSON, {len(rules)} expressions")
EOF
promtool check rules "$tmp/dashboard_rules.yml"

step "metric names used by alerts and dashboard are defined in metrics/"
python3 - "$deploy" "$repo/metrics" <<'EOF'
import glob, re, sys

deploy, metrics_dir = sys.argv[1], sys.argv[2]
defined = set()
for go in glob.glob(f"{metrics_dir}/*.go"):
    defined |= set(re.findall(r'"(photoproc_[a-z0-9_]+)"', open(go).read()))
if not defined:
    sys.exit(f"no photoproc_* metric names found in {metrics_dir}")
used = {}
for f in (f"{deploy}/prometheus/alerts.yml", f"{deploy}/prometheus/alerts_test.yml",
          f"{deploy}/grafana/dashboards/photoproc.json"):
    for name in re.findall(r"\b(photoproc_[a-z0-9_]+)", open(f).read()):
        used.setdefault(re.sub(r"_(bucket|sum|count)$", "", name), f)
missing = sorted(n for n in used if n not in defined)
if missing:
    sys.exit("\n".join(f"{used[n]}: {n} is not defined in metrics/" for n in missing))
print(f"{len(used)} photoproc metric names, all defined")
EOF

step "systemd/photoproc.env.example lists every variable of daemon/config.go"
python3 - "$deploy/systemd/photoproc.env.example" "$repo/daemon/config.go" <<'EOF'
import re, sys

example, config = sys.argv[1], sys.argv[2]
want = set(re.findall(r'"((?:PG|AMQP|PHOTOPROC)_[A-Z0-9_]+)"', open(config).read()))
have = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", open(example).read(), re.M))
missing = sorted(want - have)
if missing:
    sys.exit(f"{example} lacks: {', '.join(missing)}")
print(f"{len(want)} variables, all listed")
EOF

step "systemd/photoproc.service and compose allow a stop of PHOTOPROC_SHUTDOWN_TIMEOUT + 25s"
python3 - "$deploy/systemd/photoproc.service" "$deploy/systemd/photoproc.env.example" "$repo/docker-compose.yml" <<'EOF'
import re, sys

unit, example, compose = (open(p).read() for p in sys.argv[1:])
# A stop takes at most PHOTOPROC_SHUTDOWN_TIMEOUT + 25s (daemon/lifecycle.go: 10s to hand photos
# back, 15s for the rest of the teardown).
m = re.search(r"^#?\s*PHOTOPROC_SHUTDOWN_TIMEOUT=(\d+)s$", example, re.M)
if not m:
    sys.exit("photoproc.env.example: no PHOTOPROC_SHUTDOWN_TIMEOUT=<n>s line")
need = int(m.group(1)) + 25
for name, pattern, text in (("photoproc.service TimeoutStopSec", r"^TimeoutStopSec=(\d+)s?$", unit),
                            ("docker-compose.yml stop_grace_period", r"^\s+stop_grace_period: (\d+)s\b", compose)):
    got = re.search(pattern, text, re.M)
    if not got or int(got.group(1)) < need:
        sys.exit(f"{name} is {got and got.group(1)}s; a stop may take {need}s (PHOTOPROC_SHUTDOWN_TIMEOUT {m.group(1)}s + 25s)")
print(f"stops of up to {need}s allowed")
EOF

step "systemd-analyze verify systemd/photoproc.service (binary replaced by /bin/true)"
unit="$tmp/photoproc.service"
sed -e 's|^ExecStart=/usr/local/bin/photoproc|ExecStart=/bin/true|' \
    -e 's|^#\?ExecStartPre=/usr/local/bin/photoproc|ExecStartPre=/bin/true|' \
    "$deploy/systemd/photoproc.service" >"$unit"
grep -q '^ExecStart=/bin/true' "$unit" || fail "photoproc.service: no ExecStart=/usr/local/bin/photoproc line to check"
# verify reports unknown keys and bad values as warnings with exit status 0: any line about
# the unit is a failure.
out=$(systemd-analyze verify "$unit" 2>&1) || { printf '%s\n' "$out" >&2; fail "systemd-analyze verify failed"; }
if grep -F "photoproc.service" <<<"$out" >&2; then
  fail "systemd-analyze verify reported problems with photoproc.service"
fi
echo "photoproc.service: no problems"

step "docker-compose.yml refuses to start without PHOTOPROC_ADMIN_TOKEN"
if (cd "$repo" && env -u PHOTOPROC_ADMIN_TOKEN docker-compose -f docker-compose.yml config -q) >"$tmp/notoken.out" 2>&1; then
  fail "docker-compose.yml accepts a missing PHOTOPROC_ADMIN_TOKEN (it must not fall back to a known token)"
fi
grep -q PHOTOPROC_ADMIN_TOKEN "$tmp/notoken.out" || { cat "$tmp/notoken.out" >&2; fail "docker-compose.yml's error does not name PHOTOPROC_ADMIN_TOKEN"; }
echo "refused, naming PHOTOPROC_ADMIN_TOKEN"

# The checks below need it set; any value will do.
export PHOTOPROC_ADMIN_TOKEN=check-sh-placeholder

step "docker-compose config -q (Compose schema)"
(cd "$repo" && docker-compose -f docker-compose.yml config -q)

step "docker-compose.yml: dependencies, healthchecks, mounts, scrape targets"
(cd "$repo" && docker-compose -f docker-compose.yml --profile demo config) >"$tmp/compose.yml"
python3 - "$repo" "$tmp/compose.yml" "$deploy/prometheus/prometheus.yml" <<'EOF'
import os, sys, yaml

repo, resolved, prom = sys.argv[1], sys.argv[2], sys.argv[3]
services = yaml.safe_load(open(resolved))["services"]
problems = []

want = {"postgres", "rabbitmq", "migrate", "photoproc", "prometheus", "grafana"}
if missing := want - services.keys():
    problems.append(f"services missing: {', '.join(sorted(missing))}")

one_shot = {n for n, s in services.items() if str(s.get("restart", "no")) == "no" and "profiles" not in s}
for name, svc in services.items():
    if name not in one_shot and "profiles" not in svc and "healthcheck" not in svc:
        problems.append(f"{name}: long-running service without a healthcheck")
    for dep, d in (svc.get("depends_on") or {}).items():
        cond = d.get("condition")
        if dep not in services:
            problems.append(f"{name}: depends on unknown service {dep}")
        elif cond == "service_healthy" and "healthcheck" not in services[dep]:
            problems.append(f"{name}: waits for {dep} to be healthy, but {dep} has no healthcheck")
        elif cond == "service_completed_successfully" and dep not in one_shot:
            problems.append(f"{name}: waits for {dep} to complete, but {dep} restarts")
        elif cond not in ("service_healthy", "service_completed_successfully"):
            problems.append(f"{name}: depends on {dep} with condition {cond}: nothing waits for it to work")
    for v in svc.get("volumes") or []:
        # v1 prints "source:target[:mode]"; the long form is a mapping.
        src = v.get("source", "") if isinstance(v, dict) else v.split(":")[0]
        if src.startswith("/") and not os.path.exists(src):
            problems.append(f"{name}: bind mount source {src} does not exist")
    build = svc.get("build")
    if build and not os.path.exists(os.path.join(build["context"], build.get("dockerfile", "Dockerfile"))):
        problems.append(f"{name}: no Dockerfile in build context {build['context']}")

daemon = services.get("photoproc", {})
env = daemon.get("environment") or {}
if env.get("PHOTOPROC_LOG_FORMAT") != "json":
    problems.append("photoproc: PHOTOPROC_LOG_FORMAT is not json (container logs are JSON)")
if not str(env.get("PHOTOPROC_ADMIN_ADDR", "")).startswith("0.0.0.0:"):
    problems.append("photoproc: admin listener not reachable by Prometheus (PHOTOPROC_ADMIN_ADDR)")
elif not env.get("PHOTOPROC_ADMIN_TOKEN"):
    problems.append("photoproc: admin listener off loopback without PHOTOPROC_ADMIN_TOKEN")

admin_hosts = [h.strip() for h in str(env.get("PHOTOPROC_ADMIN_HOSTS", "")).split(",")]
for job in yaml.safe_load(open(prom))["scrape_configs"]:
    for sc in job.get("static_configs", []):
        for target in sc["targets"]:
            host = target.rsplit(":", 1)[0]
            if host not in services:
                problems.append(f"prometheus.yml job {job['job_name']}: target {target} is not a compose service")
            elif host == "photoproc" and host not in admin_hosts:
                problems.append(f"prometheus.yml job {job['job_name']}: photoproc's admin listener refuses Host {host} (not in PHOTOPROC_ADMIN_HOSTS)")

if problems:
    sys.exit("\n".join(problems))
print(f"{len(services)} services: dependencies can be met, healthchecks, mounts and targets in place")
EOF

step "deploy: all checks passed"
