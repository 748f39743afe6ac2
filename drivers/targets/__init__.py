"""Targets: drivers of the implicit `target` resource, which render and write out the
workloads (Kubernetes manifests, a Docker Compose file)."""
