"""The `redis` driver: an ACL user confined to the keys and channels under one prefix.

Needs Redis 6.2+ (channel patterns). Invariants:
- The user may run every command except the `@dangerous` and `@admin` ones (FLUSHALL,
  CONFIG, KEYS, ACL SETUSER, ...) and those that enumerate the whole keyspace (SCAN,
  RANDOMKEY), on keys and Pub/Sub channels matching `<key_prefix>*` only.
- The password is generated once and kept in the driver state; it is sent to the
  server only as its SHA-256 (`#<hash>` rule), never in clear.
- `ACL SETUSER <name> reset ...` states the whole user each time, so re-applying
  converges. Ownership lives in the driver state: an existing user the state does not
  name is refused before any change. With an ACL file configured, changes are saved
  to it (`ACL SAVE`); otherwise they live until the server restarts.
- Delete removes the user and, with `flush_keys_on_delete`, its keys (SCAN + UNLINK in
  batches, never KEYS, so a large keyspace does not block the server).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import Annotated, ClassVar

import redis
from pydantic import Field
from redis.backoff import NoBackoff
from redis.retry import Retry

from orchc.drivers.input_blocks import Port, StrictBlock, parse_block, split_echoed
from orchc.drivers.protocol import DriverError, DriverRequest, DriverResult, Journal, Observation
from orchc.drivers.secrets import connection_url, generate_password
from orchc.drivers.time_limits import CONNECT_TIMEOUT_SECONDS, time_limits
from orchc.sensitive import redact

UNLINK_BATCH = 500
COMMAND_RULES = ("+@all", "-@dangerous", "-@admin", "-scan", "-randomkey")
UserName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,128}$")]
# The prefix becomes the glob `<prefix>*`: glob characters would widen it.
KeyPrefix = Annotated[str, Field(pattern=r"^[^\s*?\[\]\\]{1,256}$")]

# Outputs that repeat an input: secret when that input embeds another resource's secret.
ECHOED_INPUTS = {name: name for name in ("host", "port", "username", "key_prefix")}
_NOT_OURS = "user '{name}' already exists and is not managed by orchc for this resource"


class RedisInputs(StrictBlock):
    host: str
    port: Port = 6379
    admin_user: str = "default"
    username: UserName | None = None
    key_prefix: KeyPrefix | None = None
    flush_keys_on_delete: bool = False


class RedisSecrets(StrictBlock):
    admin_password: str | None = None


class RedisDriver:
    """Creates (or re-states) a confined ACL user; deletes it, optionally with its keys."""

    replace_inputs: ClassVar[frozenset[str]] = frozenset({"host", "port", "username"})

    def create(self, request: DriverRequest, journal: Journal) -> DriverResult:
        inputs, admin = _parse(request)
        username = str(request.state.get("username") or inputs.username or request.guid)
        prefix = inputs.key_prefix or f"{request.guid}:"
        password = str(request.state.get("password") or generate_password())
        state = {"password": password, "username": username, "key_prefix": prefix}
        with _admin_client(inputs, admin, time_limits(request)) as client:
            _refuse_foreign(client, username, request.state)
            if state != request.state:
                journal.save_state(state)
            with _failure(f"cannot create or update ACL user '{username}'", [password]):
                _command(client, "ACL", "SETUSER", username, *acl_rules(password, prefix))
            _save_acl(client)
        return _result(request, inputs, state)

    def delete(self, request: DriverRequest, journal: Journal) -> None:
        inputs, admin = _parse(request)
        username, prefix = request.state.get("username"), request.state.get("key_prefix")
        if not username:
            return  # nothing was ever made: the state names the user we own
        with _admin_client(inputs, admin, time_limits(request)) as client:
            if inputs.flush_keys_on_delete and prefix:
                _unlink_keys(client, str(prefix))
            with _failure(f"cannot delete ACL user '{username}'"):
                _command(client, "ACL", "DELUSER", str(username))
            _save_acl(client)

    def observe(self, request: DriverRequest) -> Observation:
        """Drift: the ACL user exists, is enabled, and its recorded password logs in."""
        inputs, admin = _parse(request)
        username = str(request.state.get("username") or inputs.username or request.guid)
        with (
            _admin_client(inputs, admin, time_limits(request)) as client,
            _failure(f"cannot inspect ACL user '{username}'"),
        ):
            user = _command(client, "ACL", "GETUSER", username)
        if user is None:
            return Observation(drift=f"ACL user '{username}' does not exist")
        password = str(request.state.get("password") or "")
        return Observation(drift=_login_drift(inputs, username, password, time_limits(request)))


def _login_drift(
    inputs: RedisInputs, username: str, password: str, limits: tuple[int, float | None]
) -> str | None:
    client = redis.Redis(
        host=inputs.host,
        port=inputs.port,
        username=username,
        password=password,
        socket_connect_timeout=limits[0],
        socket_timeout=limits[1] or CONNECT_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )
    try:
        client.ping()
    except redis.RedisError as error:
        reason = redact(" ".join(str(error).split()), [password])
        return f"ACL user '{username}' cannot log in with its recorded password: {reason}"
    finally:
        client.close()
    return None


def acl_rules(password: str, key_prefix: str) -> tuple[str, ...]:
    """The complete `ACL SETUSER` rule list for a user confined to `key_prefix`.

    >>> acl_rules("pw", "app:")[:2], acl_rules("pw", "app:")[3:6]
    (('reset', 'on'), ('~app:*', 'resetchannels', '&app:*'))
    """
    password_hash = hashlib.sha256(password.encode()).hexdigest()
    return (
        "reset",
        "on",
        f"#{password_hash}",
        f"~{key_prefix}*",
        "resetchannels",
        f"&{key_prefix}*",
        *COMMAND_RULES,
    )


def _parse(request: DriverRequest) -> tuple[RedisInputs, RedisSecrets]:
    inputs = parse_block(RedisInputs, request.inputs, "inputs")
    return inputs, parse_block(RedisSecrets, request.secrets, "secrets")


def _result(request: DriverRequest, inputs: RedisInputs, state: dict[str, str]) -> DriverResult:
    url = connection_url(
        "redis",
        username=state["username"],
        password=state["password"],
        host=inputs.host,
        port=inputs.port,
    )
    values = {
        "host": inputs.host,
        "port": inputs.port,
        "username": state["username"],
        "key_prefix": state["key_prefix"],
    }
    outputs, secrets = split_echoed(values, ECHOED_INPUTS, request.sensitive_inputs)
    return DriverResult(
        outputs=outputs,
        secrets={**secrets, "password": state["password"], "url": url},
        state=dict(state),
    )


@contextmanager
def _failure(what: str, secrets: Iterable[str | None] = ()) -> Iterator[None]:
    """Turn a redis-py error into a DriverError: `what` failed, then the server's words."""
    try:
        yield
    except redis.RedisError as error:
        message = f"{what}: {' '.join(str(error).split())}"
        raise DriverError(redact(message, [s for s in secrets if s])) from None


@contextmanager
def _admin_client(
    inputs: RedisInputs, admin: RedisSecrets, limits: tuple[int, float | None]
) -> Iterator[redis.Redis]:
    where = f"{inputs.host}:{inputs.port}"
    client = redis.Redis(
        host=inputs.host,
        port=inputs.port,
        # Without a password, the connection stays the server's `default` user.
        username=inputs.admin_user if admin.admin_password is not None else None,
        password=admin.admin_password,
        socket_connect_timeout=limits[0],
        socket_timeout=limits[1] or CONNECT_TIMEOUT_SECONDS,
        decode_responses=True,
        # No retries of our own: the definition's `policy.retries` decides that.
        retry=Retry(NoBackoff(), 0),
    )
    try:
        with _failure(
            f"cannot connect to Redis at {where} as '{inputs.admin_user}'",
            [admin.admin_password],
        ):
            client.ping()
        yield client
    finally:
        client.close()


def _refuse_foreign(client: redis.Redis, username: str, state: dict[str, object]) -> None:
    with _failure(f"cannot inspect ACL user '{username}'"):
        exists = _command(client, "ACL", "GETUSER", username) is not None
    if exists and state.get("username") != username:
        raise DriverError(_NOT_OURS.format(name=username))


def _command(client: redis.Redis, *args: str) -> object:
    """A raw command: the ACL rules are built as the server spells them (see
    `acl_rules`), which redis-py's keyword-based `acl_setuser` would only re-encode."""
    return client.execute_command(*args)  # type: ignore[no-untyped-call]


def _save_acl(client: redis.Redis) -> None:
    """Persist the ACL when the server keeps one in a file; otherwise it is in memory
    only, which is the server operator's choice."""
    try:
        _command(client, "ACL", "SAVE")
    except redis.ResponseError as error:
        if "not configured to use an ACL file" not in str(error):
            raise DriverError(f"cannot save the ACL file: {error}") from None


def _unlink_keys(client: redis.Redis, prefix: str) -> None:
    with _failure(f"cannot delete the keys under '{prefix}'"):
        keys = client.scan_iter(match=f"{prefix}*", count=UNLINK_BATCH)
        while batch := list(islice(keys, UNLINK_BATCH)):
            client.unlink(*batch)
