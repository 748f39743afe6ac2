"""The target's namespace, put on every namespaced object, and its Namespace object.

With a `namespace`, every object the target writes lands in it: the workloads' and
every object a resource's driver returned (a namespace a driver wrote is replaced, so a
workload always finds its database's Service in its own namespace). Cluster-scoped
kinds have no namespace and are left alone.

>>> in_namespace({"kind": "Service", "metadata": {"name": "db"}}, "shop")
{'kind': 'Service', 'metadata': {'name': 'db', 'namespace': 'shop'}}
>>> in_namespace({"kind": "StorageClass", "metadata": {"name": "fast"}}, "shop")
{'kind': 'StorageClass', 'metadata': {'name': 'fast'}}
>>> namespace_object("shop")["metadata"]["name"]
'shop'
"""

from __future__ import annotations

from orchc.drivers.protocol import JsonObject

CLUSTER_SCOPED_KINDS = frozenset(
    {
        "APIService",
        "CertificateSigningRequest",
        "ClusterIssuer",
        "ClusterRole",
        "ClusterRoleBinding",
        "ComponentStatus",
        "CSIDriver",
        "CSINode",
        "CustomResourceDefinition",
        "FlowSchema",
        "GatewayClass",
        "IngressClass",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)
"""Kinds that live outside namespaces (Kubernetes' own, plus the common CRDs
cert-manager's ClusterIssuer and Gateway API's GatewayClass)."""


def in_namespace(obj: JsonObject, namespace: str | None) -> JsonObject:
    """`obj` with `metadata.namespace` set to `namespace`, unless `namespace` is None
    or the kind is cluster-scoped."""
    if namespace is None or obj.get("kind") in CLUSTER_SCOPED_KINDS:
        return obj
    meta = obj.get("metadata")
    meta = dict(meta) if isinstance(meta, dict) else {}
    return {**obj, "metadata": {**meta, "namespace": namespace}}


def namespace_object(namespace: str) -> JsonObject:
    """The v1 `Namespace` the target writes when `create_namespace` is true."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": namespace, "labels": {"app.kubernetes.io/managed-by": "orchc"}},
    }
