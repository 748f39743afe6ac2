"""Route requests, as each target renders them: an Ingress or a Gateway API HTTPRoute
(kubernetes-manifests, `route_kind`), the nginx gateway (compose, `publish_port`).

Hosts and paths come from Score files: every hostile value is refused with a message
naming the resource and the field, or written so that nginx reads it as one path. Each
Kubernetes object is validated (`kubernetes_check.py`), each Compose file by the real
docker-compose, each gateway configuration by the real `nginx -t`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from nginx_check import nginx_dump, run_nginx_test

from orchc.drivers.protocol import DeployManifest, DriverError, NullJournal
from orchc.drivers.targets.compose import ComposeTarget
from orchc.drivers.targets.kubernetes_manifests import KubernetesManifestsTarget

HELLO = "score-compose/examples/09-dns-and-route/score.yaml"  # hello-world, web: 8080 -> 80
UID = "route.default#hello-world.route"


def route(uid: str = UID, **spec: Any) -> DeployManifest:
    fields = {"host": "shop.localhost", "path": "/", "port": "web", "workload": "hello-world"}
    obj = {
        "apiVersion": "orchc.dev/v1",
        "kind": "Route",
        "metadata": {"name": "route-" + uid.rpartition("#")[2].replace(".", "-")},
        "spec": fields | spec,
    }
    return DeployManifest(uid=uid, object=obj)


@pytest.fixture
def kubernetes(make_deploy, load_workload, tmp_path, kubernetes_objects):
    """Deploy routes to kubernetes-manifests; the objects of the route resources."""

    def run(*routes: DeployManifest, **inputs: Any) -> list[dict[str, Any]]:
        request = make_deploy([load_workload(HELLO)], routes, **inputs)
        KubernetesManifestsTarget().deploy(request)
        objects: list[dict[str, Any]] = kubernetes_objects(tmp_path / "build/shop/dev/resources")
        return objects

    return run


@pytest.fixture
def compose(make_deploy, load_workload, tmp_path, compose_config):
    """Deploy routes to compose; (the Compose model, the gateway's nginx.conf text)."""

    def run(*routes: DeployManifest, **inputs: Any) -> tuple[dict[str, Any], str]:
        request = make_deploy([load_workload(HELLO)], routes, path="compose.yaml", **inputs)
        ComposeTarget().deploy(request)
        model = compose_config(tmp_path / "compose.yaml")
        config = tmp_path / "compose.gateway.nginx.conf"
        checked = run_nginx_test(config)
        assert checked.returncode == 0, checked.stderr
        return model, config.read_text()

    return run


# --- Kubernetes ----------------------------------------------------------------------


def test_a_route_is_an_ingress_to_the_service_port_by_default(kubernetes):
    [ingress] = kubernetes(route(path="/api"))
    assert ingress["kind"] == "Ingress"
    assert ingress["spec"]["rules"] == [
        {
            "host": "shop.localhost",
            "http": {
                "paths": [
                    {
                        "path": "/api",
                        "pathType": "Prefix",
                        "backend": {"service": {"name": "hello-world", "port": {"number": 8080}}},
                    }
                ]
            },
        }
    ]


def test_a_regex_path_is_implementation_specific_with_use_regex(kubernetes):
    [ingress] = kubernetes(route(path="/my/[^/]+/path", port=8080))
    [path] = ingress["spec"]["rules"][0]["http"]["paths"]
    assert path["pathType"] == "ImplementationSpecific"
    assert ingress["metadata"]["annotations"] == {"nginx.ingress.kubernetes.io/use-regex": "true"}


def test_route_kind_httproute_attaches_to_the_gateway(kubernetes):
    routes = (route(path="/api"), route("route.default#hello-world.b", path="/v[0-9]+"))
    objects = kubernetes(*routes, route_kind="HTTPRoute", gateway="infra/public")
    assert [obj["kind"] for obj in objects] == ["HTTPRoute", "HTTPRoute"]
    by_name = {obj["metadata"]["name"]: obj["spec"] for obj in objects}
    assert by_name["route-hello-world-route"] == {
        "parentRefs": [{"name": "public", "namespace": "infra"}],
        "hostnames": ["shop.localhost"],
        "rules": [
            {
                "matches": [{"path": {"type": "PathPrefix", "value": "/api"}}],
                "backendRefs": [{"name": "hello-world", "port": 8080}],
            }
        ],
    }
    regex = by_name["route-hello-world-b"]["rules"][0]["matches"][0]["path"]
    assert regex == {"type": "RegularExpression", "value": "/v[0-9]+(/.*|$)"}


def test_an_httproute_gets_the_namespace_and_the_default_gateway(kubernetes):
    [http_route] = kubernetes(route(), route_kind="HTTPRoute", namespace="shop-dev")
    assert http_route["metadata"]["namespace"] == "shop-dev"
    assert http_route["spec"]["parentRefs"] == [{"name": "default"}]


def test_a_route_follows_the_service_name_annotation(make_deploy, load_workload, tmp_path):
    def edit(document):
        document["metadata"]["annotations"] = {"k8s.score.dev/service-name": "hello"}

    request = make_deploy([load_workload(HELLO, edit=edit)], [route()])
    KubernetesManifestsTarget().deploy(request)
    text = (tmp_path / f"build/shop/dev/resources/{UID.replace('#', '_')}.yaml").read_text()
    assert "name: hello\n" in text


def test_route_kind_is_checked(make_request):
    with pytest.raises(DriverError) as error:
        KubernetesManifestsTarget().create(
            make_request("target", inputs={"route_kind": "Route"}), NullJournal()
        )
    assert str(error.value) == (
        "invalid inputs: input 'route_kind': Input should be 'Ingress' or 'HTTPRoute'"
    )


# --- Compose: the gateway ------------------------------------------------------------


def test_compose_routes_go_through_the_gateway_on_8080(compose):
    model, config = compose(route(path="/api"), route("route.default#other", host="b.localhost"))
    gateway = model["services"]["orchc-gateway"]
    assert gateway["image"] == "nginx:1-alpine"
    assert gateway["ports"] == [
        {
            "mode": "ingress",
            "host_ip": "127.0.0.1",
            "target": 80,
            "published": "8080",
            "protocol": "tcp",
        }
    ]
    [mount] = gateway["volumes"]
    assert (mount["target"], mount["read_only"]) == ("/etc/nginx/nginx.conf", True)
    assert mount["source"].endswith("/compose.gateway.nginx.conf")
    assert "server_name shop.localhost;" in config and "server_name b.localhost;" in config
    # /api and below go to the workload's container port (targetPort 80).
    assert 'location = "/api" {\n      set $upstream hello-world:80;' in config
    assert 'location "/api/" {\n      set $upstream hello-world:80;' in config
    assert "location / {\n      set $upstream hello-world:80;" in config


def test_publish_port_and_gateway_image_are_inputs(compose):
    model, _ = compose(route(), publish_port=9090, gateway_image="nginx:1.27-alpine")
    gateway = model["services"]["orchc-gateway"]
    assert gateway["ports"][0]["published"] == "9090"
    assert gateway["image"] == "nginx:1.27-alpine"


def test_a_regex_path_is_an_anchored_regex_location(compose):
    # score-compose's reading, kept for a path without a top-level '|'; with one, orchc
    # writes the path differently on purpose (the next test says why).
    _, config = compose(route(path="/my/[^/]+/path"))
    assert 'location ~ "^/my/[^/]+/path(/|$)" {' in config


@pytest.mark.parametrize(
    ("path", "written"),
    [
        ("/a|/b", "/(a|b)"),
        ("/api|/v[0-9]+/api", "/(api|v[0-9]+/api)"),
        ("/(a|b)/c|/d", "/((a|b)/c|d)"),  # a '|' inside a group is the group's own
        ("/[|]x|/", "/([|]x|)"),  # a '|' inside a class is a character
    ],
)
def test_every_alternative_of_a_regex_path_is_anchored(compose, kubernetes, path, written):
    # score-compose writes `^<path>` as given, so its `^/a|/b` matches `/b` anywhere in
    # the request path (`/x/b` too); orchc anchors every alternative, on Compose and on
    # Kubernetes alike (ingress-nginx writes `^<path>` too), so `/a|/b` means what it
    # says: docs/score-fidelity.md, "Routes".
    _, config = compose(route(path=path))
    assert f'location ~ "^{written}(/|$)" {{' in config
    [ingress] = kubernetes(route(path=path))
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["path"] == f"{written}(/|$)"
    [http_route] = kubernetes(route(path=path), route_kind="HTTPRoute")
    match = http_route["spec"]["rules"][0]["matches"][0]["path"]
    assert match == {"type": "RegularExpression", "value": f"{written}(/.*|$)"}


# Request paths and whether the Compose gateway routes them (the real nginx test,
# test_gateway_routing.py, sends the same requests for the first two paths).
ROUTED = {
    "/my/[^/]+/path": {
        "/my/fizz/path": True,
        "/my/fizz/path/": True,
        "/my/fizz/path/index.html": True,
        "/my/path": False,
        "/my/fizz/pathx": False,
        "/x/my/fizz/path": False,
    },
    "/x|/y[0-9]": {
        "/x": True,
        "/y1/z": True,
        "/x/": True,
        "/q/y1": False,
        "/xq/y1": False,
        "/y1x": False,
    },
    "/v[0-9]+": {
        "/v1": True,
        "/v12/users": True,
        "/v1x": False,
        "/x/v1": False,
        "/v": False,
    },
    "/api$": {"/api": True, "/api/": False, "/apix": False},
}


@pytest.mark.parametrize("path", sorted(ROUTED))
def test_a_regex_path_routes_the_same_requests_on_every_target(compose, kubernetes, path):
    """The regular expression each target writes, read as its server reads it: the
    gateway's `location ~` (a search), ingress-nginx's `^<path>` (a prefix match) and an
    HTTPRoute's from the start of the path or against the whole path (Envoy)."""
    [gateway] = re.findall(r'location ~ "(.*)" \{', compose(route(path=path))[1])
    [ingress] = kubernetes(route(path=path))
    ingress_path = ingress["spec"]["rules"][0]["http"]["paths"][0]["path"]
    [http_route] = kubernetes(route(path=path), route_kind="HTTPRoute")
    http_path = http_route["spec"]["rules"][0]["matches"][0]["path"]["value"]
    readings = {
        "gateway": lambda request: re.search(gateway, request),
        "ingress-nginx": lambda request: re.search("^" + ingress_path, request),
        "HTTPRoute from the start": lambda request: re.match(http_path, request),
        "HTTPRoute, the whole path": lambda request: re.fullmatch(http_path, request),
    }
    for name, reading in readings.items():
        routed = {request: bool(reading(request)) for request in ROUTED[path]}
        assert routed == ROUTED[path], name


def test_no_route_no_gateway(make_deploy, load_workload, tmp_path, compose_config):
    ComposeTarget().deploy(make_deploy([load_workload(HELLO)], path="compose.yaml"))
    assert "orchc-gateway" not in compose_config(tmp_path / "compose.yaml")["services"]
    assert not (tmp_path / "compose.gateway.nginx.conf").exists()


def test_one_route_asked_twice_is_served_once_two_targets_is_an_error(
    compose, make_deploy, load_workload
):
    _, config = compose(route(), route("route.default#again"))
    assert config.count("location / {") == 1
    clash = make_deploy(
        [load_workload(HELLO)], [route(), route("route.default#again", port=9999)], path="c.yaml"
    )
    with pytest.raises(DriverError) as error:
        ComposeTarget().deploy(clash)
    assert str(error.value) == (
        "resource 'route.default#again': params.port 9999 is not a service port of workload "
        "'hello-world' (web (8080))"
    )


def test_a_trailing_slash_routes_as_the_path_without_it(compose):
    _, config = compose(route(path="/api/"), route("route.default#again", path="/api"))
    assert config.count('location = "/api" {') == 1
    assert config.count('location "/api/" {') == 1


def test_two_routes_of_one_host_and_path_to_different_ports_is_an_error(make_deploy, load_workload):
    def edit(document):
        document["service"]["ports"]["admin"] = {"port": 9000}

    workload = load_workload(HELLO, edit=edit)
    both = [route(), route("route.default#admin", port="admin")]
    with pytest.raises(DriverError) as error:
        ComposeTarget().deploy(make_deploy([workload], both, path="c.yaml"))
    assert str(error.value) == (
        "resource 'route.default#admin' and resource 'route.default#hello-world.route' both "
        "route http://shop.localhost/ to different workloads or ports"
    )


# --- untrusted values ----------------------------------------------------------------

PATH_RULE = (
    "is not a URL path (it starts with '/' and holds only letters, digits, '-._~/' and the "
    "regular-expression characters '^$[](){}*+?|')"
)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"host": "shop.localhost; include /etc/passwd"},
            "params.host 'shop.localhost; include /etc/passwd' is not a host name",
        ),
        (
            {"host": "a.localhost\nserver_name x"},
            "params.host 'a.localhost\\nserver_name x' is not a host name",
        ),
        ({"host": "a{b}.localhost"}, "params.host 'a{b}.localhost' is not a host name"),
        ({"host": ""}, "params.host '' is not a host name"),
        ({"host": 42}, "params.host 'int' is not a host name"),
        (
            {"path": '/a" { return 200; } location "/b'},
            f"params.path '/a\" {{ return 200; }} location \"/b' {PATH_RULE}",
        ),
        ({"path": "/a\n}"}, f"params.path '/a\\n}}' {PATH_RULE}"),
        ({"path": "/a #comment"}, f"params.path '/a #comment' {PATH_RULE}"),
        ({"path": "/a\\"}, f"params.path '/a\\\\' {PATH_RULE}"),
        ({"path": "api"}, f"params.path 'api' {PATH_RULE}"),
        # Characters nginx (the gateway's, or ingress-nginx's) could read as more than a
        # path, or that no request path matches as written: never written anywhere.
        ({"path": "/a;b"}, f"params.path '/a;b' {PATH_RULE}"),
        ({"path": "/it's"}, f"params.path '/it's' {PATH_RULE}"),
        ({"path": "/a b"}, f"params.path '/a b' {PATH_RULE}"),
        ({"path": "/a\tb"}, f"params.path '/a\\tb' {PATH_RULE}"),
        ({"path": "/a%2Fb"}, f"params.path '/a%2Fb' {PATH_RULE}"),
        ({"path": "/q?a=b&c=$d"}, f"params.path '/q?a=b&c=$d' {PATH_RULE}"),
        ({"path": "/x,y"}, f"params.path '/x,y' {PATH_RULE}"),
        ({"path": "/a:b@c"}, f"params.path '/a:b@c' {PATH_RULE}"),
        ({"path": "/a//b"}, "params.path '/a//b' is not a URL path (no '//', '.' or '..' segment)"),
        ({"path": "/a/../b"}, "params.path '/a/../b' is not a URL path (no '//', '.' or '..'"),
        ({"path": "/a/."}, "params.path '/a/.' is not a URL path (no '//', '.' or '..' segment)"),
        ({"path": "/a[("}, "params.path '/a[(' is not a valid regular expression"),
        # Every refusal shows at most 100 characters of the value.
        (
            {"path": "/a//" + "b" * 900},
            f"params.path '/a//{'b' * 96}' is not a URL path (no '//', '.' or '..' segment)",
        ),
        (
            {"path": "/(" + "b" * 900},
            f"params.path '/({'b' * 98}' is not a valid regular expression",
        ),
        (
            {"path": "/a|b"},
            "params.path '/a|b' is a regular expression whose alternatives ('|') must each "
            "start with '/', not followed by '*', '+', '?' or '{'",
        ),
        ({"path": "/a|/*b"}, "params.path '/a|/*b' is a regular expression whose alternatives"),
        # What Python, nginx's PCRE2 or RE2 would fail to compile (Python with a
        # RecursionError or OverflowError, not `re.error`).
        (
            {"path": "/" + "(" * 500 + ")" * 500},
            "params.path '/((((",
        ),
        (
            {"path": "/" + "(" * 33 + ")" * 33},
            f"params.path '/{'(' * 33}{')' * 33}' is a regular expression with groups nested "
            "more than 32 deep",
        ),
        (
            {"path": "/a{99999999999999999999}"},
            "params.path '/a{99999999999999999999}' is a regular expression repeating more "
            "than 1000 times ('{n}')",
        ),
        (
            {"path": "/a+" + "b" * 1015},
            f"params.path '/a+{'b' * 97}' is a regular expression too long: an HTTPRoute would "
            "hold it as 1025 characters, at most 1024",
        ),
        (
            {"path": "/a{70000}"},
            "params.path '/a{70000}' is a regular expression repeating more than 1000 times",
        ),
        ({"workload": "web;x"}, "workload 'web;x' is not a workload name"),
        (
            {"workload": "nowhere"},
            "routes to workload 'nowhere', which this deployment does not have",
        ),
        (
            {"port": "admin"},
            "params.port admin is not a service port of workload 'hello-world' (web (8080))",
        ),
        ({"port": True}, "params.port must be a port number or name"),
        ({"extra": "x"}, "unknown Route field spec.extra"),
    ],
)
@pytest.mark.parametrize("target", ["compose", "kubernetes"])
def test_hostile_route_values_are_refused(
    make_deploy, load_workload, tmp_path, spec, message, target
):
    driver = ComposeTarget() if target == "compose" else KubernetesManifestsTarget()
    with pytest.raises(DriverError) as error:
        driver.deploy(make_deploy([load_workload(HELLO)], [route(**spec)], path="out.yaml"))
    assert str(error.value).startswith(f"resource '{UID}': {message}")
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_routes_of_the_longest_host_names_start_the_gateway(compose):
    # nginx's default server_names_hash_bucket_size (64) refuses to start with these.
    label = "a" * 63
    hosts = [f"{label}.{label}.{label}.{n}{'b' * 60}" for n in range(3)]
    hosts += [f"*.{label}.{label}.{label}.{n}{'c' * 58}" for n in range(3)]
    routes = [route(f"{UID}{n}", host=host) for n, host in enumerate(hosts)]
    _, config = compose(*routes)  # `compose` runs nginx -t on the gateway's config
    assert all(len(host) == 253 and f"server_name {host};" in config for host in hosts)


@pytest.mark.parametrize(
    "path",
    [
        "/x}{y",
        "/a$",
        "/(a|b)+/{2}",
        "/{}",
        "/.well-known/x",
        "/a..b/~c",
        "/a/",
        "/a{1000}",  # the largest repeat and the deepest groups the check lets through
        "/" + "(a" * 32 + ")" * 32,
    ],
)
def test_odd_but_valid_paths_stay_one_path_for_nginx(compose, tmp_path, path):
    _, config = compose(route(path=path))
    dumped = nginx_dump(tmp_path / "compose.gateway.nginx.conf")
    # Every character stays inside the quoted location: one server for the host, and
    # exactly the locations orchc meant (two for a prefix, one for a regex, and the 404
    # for the paths no route covers).
    assert dumped.count("server_name shop.localhost;") == 1
    routed = 1 if any(c in path for c in "[]()*+?^$|{}") else 2
    assert dumped.count("location ") == routed + 1
    assert dumped.count("proxy_pass http://$upstream;") == routed
    assert dumped.count("return 404;") == 2  # the unknown host's server, the fallback
    assert f'"{path.rstrip("/")}' in config or f'"^{path}(/|$)"' in config


@pytest.mark.parametrize(
    "path",
    [
        "/x}{y",
        "/a$",
        "/(a|b)+/{2}",
        "/.well-known/x",
        "/a..b/~c",
        "/my/[^/]+/path",
        "/a+" + "b" * 1014,  # the longest regular expression: 1024 characters as written
        "/" + "b" * 1023,  # the longest plain path
    ],
)
@pytest.mark.parametrize("route_kind", ["Ingress", "HTTPRoute"])
def test_valid_paths_are_valid_kubernetes_paths(kubernetes, path, route_kind):
    # `kubernetes` validates each object (kubernetes-validate 1.30 strict; HTTPRoute
    # against the Gateway API fields and limits), so every path the check lets through
    # is one the API server takes.
    [obj] = kubernetes(route(path=path), route_kind=route_kind)
    assert path in str(obj["spec"])


def test_a_route_with_a_secret_is_refused(make_deploy, load_workload):
    secret_route = route().model_copy(update={"sensitive": (("spec", "host"),)})
    with pytest.raises(DriverError) as error:
        ComposeTarget().deploy(make_deploy([load_workload(HELLO)], [secret_route], path="c.yaml"))
    assert str(error.value) == f"resource '{UID}': a Route cannot hold a secret value"


def test_the_gateway_name_is_its_own(make_deploy, load_workload, tmp_path: Path):
    def edit(document):
        document["metadata"]["name"] = "orchc"
        document["containers"] = {"gateway": document["containers"]["web"]}

    workload = load_workload(HELLO, edit=edit)
    request = make_deploy([workload], [route(workload="orchc")], path="c.yaml")
    with pytest.raises(DriverError) as error:
        ComposeTarget().deploy(request)
    assert "service 'orchc-gateway' is produced by both the route gateway" in str(error.value)
