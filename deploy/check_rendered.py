#!/usr/bin/env python3
"""Checks the objects `kubectl kustomize deploy/k8s/overlays/example` renders.

Structural, not textual: ports agree between flags, containers, Services and
the NetworkPolicy; the replica id comes from the pod ordinal and the peer
DNS pattern names the headless Service; every file a flag names is mounted
from a Secret or ConfigMap that exists and has that key; the grace period
outlasts the drain; probes ask the health service over the listener's TLS.
Usage: check_rendered.py RENDERED.yaml   (exit 0 when every check holds)
"""
import sys

import yaml

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def flags_of(args):
    """--name=value arguments as a dict (a flag given twice is an error)."""
    flags = {}
    for arg in args:
        check(arg.startswith("--") and "=" in arg, f"argument {arg!r} is not --flag=value")
        name, _, value = arg[2:].partition("=")
        check(name not in flags, f"--{name} given twice")
        flags[name] = value
    return flags


def port_of(address):
    return int(address.rsplit(":", 1)[1])


def selects(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


def main(path):
    with open(path) as f:
        objects = [o for o in yaml.safe_load_all(f) if o]
    by_kind = {}
    for o in objects:
        by_kind.setdefault(o["kind"], {})[o["metadata"]["name"]] = o

    namespace = "socketsvc"
    check(namespace in by_kind.get("Namespace", {}), "no Namespace socketsvc")
    for o in objects:
        if o["kind"] != "Namespace":
            check(o["metadata"].get("namespace") == namespace,
                  f"{o['kind']}/{o['metadata']['name']} is not in {namespace}")

    sts = by_kind["StatefulSet"]["socketd"]
    spec = sts["spec"]
    pod = spec["template"]
    pod_labels = pod["metadata"]["labels"]
    check(spec["replicas"] == 3, "replicas is not 3")
    check(selects(spec["selector"]["matchLabels"], pod_labels), "selector misses the pods")
    check(spec.get("podManagementPolicy") == "Parallel", "pods do not start in parallel")
    [container] = pod["spec"]["containers"]
    check(container["image"] == "registry.example/socketsvc/socketd:0.1.0",
          f"overlay image not applied: {container['image']}")
    flags = flags_of(container["args"])
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}

    # Replica id from the ordinal: the entrypoint takes it from POD_NAME.
    check(container["command"] == ["/usr/local/bin/socketd-entrypoint"],
          "command is not the entrypoint that sets --replica_id")
    check("replica_id" not in flags, "--replica_id is fixed in the args")
    env = {e["name"]: e for e in container["env"]}
    check(env.get("POD_NAME", {}).get("valueFrom", {}).get("fieldRef", {})
          .get("fieldPath") == "metadata.name", "POD_NAME is not the pod's name")
    check(env.get("POD_NAMESPACE", {}).get("valueFrom", {}).get("fieldRef", {})
          .get("fieldPath") == "metadata.namespace", "POD_NAMESPACE is not the namespace")

    # Listeners and ports.
    check(port_of(flags["listen"]) == ports["grpc"], "--listen port != container port grpc")
    check(port_of(flags["peer_listen"]) == ports["peer"], "--peer_listen port != port peer")
    check(int(flags["metrics_port"]) == ports["metrics"], "--metrics_port != port metrics")
    check(flags["listen"].startswith("0.0.0.0:") and flags["peer_listen"].startswith("0.0.0.0:"),
          "listeners must take connections from other pods")

    # Services: the client Service, and the headless one the pattern names.
    client = by_kind["Service"]["socketd"]["spec"]
    headless_name = spec["serviceName"]
    headless = by_kind["Service"][headless_name]["spec"]
    check(headless.get("clusterIP") == "None", "peer Service is not headless")
    check(headless.get("publishNotReadyAddresses") is True,
          "draining replicas must keep their DNS names")
    for name, svc, port_name in (("socketd", client, "grpc"), (headless_name, headless, "peer")):
        check(selects(svc["selector"], pod_labels), f"Service {name} selects no pod")
        [port] = svc["ports"]
        check(port["targetPort"] in (port_name, ports[port_name]),
              f"Service {name} targets {port['targetPort']}, not {port_name}")
        check(port["port"] == ports[port_name], f"Service {name} port != {port_name}")
    expected = (f"{sts['metadata']['name']}-{{id}}.{headless_name}.$(POD_NAMESPACE)"
                f".svc.cluster.local:{ports['peer']}")
    check(flags.get("peer_dns_pattern") == expected,
          f"--peer_dns_pattern {flags.get('peer_dns_pattern')!r}, want {expected!r}")
    check(int(flags.get("max_replicas", "1000")) >= spec["replicas"],
          "--max_replicas below the replica count")

    # Every file a flag names comes from a mounted Secret/ConfigMap key.
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    for flag in ("tls_cert", "tls_key", "tokens_file", "policy", "peer_tls_cert",
                 "peer_tls_key", "peer_ca"):
        path = flags.get(flag, "")
        directory, _, key = path.rpartition("/")
        if not check(directory in mounts, f"--{flag} {path} is not in a mount"):
            continue
        volume = volumes[mounts[directory]]
        if "secret" in volume:
            secret = by_kind["Secret"].get(volume["secret"]["secretName"])
            if check(secret is not None, f"--{flag}: Secret "
                     f"{volume['secret']['secretName']} is not rendered"):
                keys = set(secret.get("data", {})) | set(secret.get("stringData", {}))
                check(key in keys, f"--{flag}: Secret has no key {key}")
            mode = volume["secret"].get("defaultMode", 0o644)
            check(mode & 0o007 == 0, f"--{flag}: Secret files are world-readable")
        else:
            config = by_kind["ConfigMap"].get(volume["configMap"]["name"])
            if check(config is not None, f"--{flag}: ConfigMap not rendered"):
                check(key in config.get("data", {}), f"--{flag}: ConfigMap has no {key}")
    security = pod["spec"].get("securityContext", {})
    check(security.get("runAsNonRoot") is True, "pods may run as root")
    check("fsGroup" in security, "no fsGroup: group-readable Secrets stay unreadable")

    # Drain: the kubelet's SIGKILL comes after socketd's own deadline.
    grace_ms = pod["spec"]["terminationGracePeriodSeconds"] * 1000
    check(grace_ms >= int(flags["drain_timeout_ms"]) + 2000,
          f"terminationGracePeriodSeconds ({grace_ms} ms) does not outlast "
          f"--drain_timeout_ms ({flags['drain_timeout_ms']}) with margin")

    # Probes: the gRPC health service over the listener's TLS.
    for probe_name in ("readinessProbe", "livenessProbe"):
        probe = container.get(probe_name)
        if not check(probe is not None, f"no {probe_name}"):
            continue
        command = probe["exec"]["command"]
        check(command[0] == "/usr/local/bin/socketctl" and command[-1] == "health",
              f"{probe_name} is not `socketctl ... health`")
        probe_flags = flags_of(command[1:-1])
        check(port_of(probe_flags["server"]) == ports["grpc"],
              f"{probe_name} asks port {probe_flags['server']}")
        ca_dir = probe_flags.get("server_ca", "").rpartition("/")[0]
        check(ca_dir == flags["tls_cert"].rpartition("/")[0],
              f"{probe_name} does not trust the listener's CA")
        check(probe["timeoutSeconds"] >= 2, f"{probe_name} times out before its RPC")

    for kind in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            check(resource in container.get("resources", {}).get(kind, {}),
                  f"no {resource} {kind}")

    pdb = by_kind["PodDisruptionBudget"]["socketd"]["spec"]
    check(selects(pdb["selector"]["matchLabels"], pod_labels), "PDB selects no pod")
    check(pdb.get("maxUnavailable") == 1 or pdb.get("minAvailable", 0) >= 2,
          "PDB lets more than one replica go at once")

    policy = by_kind["ConfigMap"]["socketd-policy"]
    check("policy.txtpb" in policy["data"], "policy ConfigMap has no policy.txtpb")

    netpol = by_kind["NetworkPolicy"]["socketd"]["spec"]
    check(selects(netpol["podSelector"]["matchLabels"], pod_labels),
          "NetworkPolicy selects no pod")
    check("Egress" in netpol["policyTypes"], "NetworkPolicy does not govern egress")
    egress_ports = [(p.get("protocol", "TCP"), p["port"]) for rule in netpol["egress"]
                    for p in rule.get("ports", [])]
    check(("UDP", 53) in egress_ports, "egress allows no DNS")
    peer_rules = [r for r in netpol["egress"]
                  if any(p["port"] == ports["peer"] for p in r.get("ports", []))]
    check(any(selects(t.get("podSelector", {}).get("matchLabels", {"x": "y"}), pod_labels)
              for r in peer_rules for t in r.get("to", [])),
          "egress does not allow forwarding to peers")
    excepts = [e for r in netpol["egress"] for t in r.get("to", [])
               for e in t.get("ipBlock", {}).get("except", [])]
    check("169.254.0.0/16" in excepts, "egress may reach the metadata service")
    peer_ingress = [r for r in netpol["ingress"]
                    if any(p["port"] == ports["peer"] for p in r.get("ports", []))]
    check(peer_ingress and all(r.get("from") for r in peer_ingress),
          "the peer port takes connections from anyone")

    for message in failures:
        print("FAIL:", message)
    print(f"{len(objects)} objects checked, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
