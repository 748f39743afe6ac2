"""The shared skeleton of the server database drivers (`postgres`, `mysql`).

Each of them makes a database and a user on a server reached with admin credentials,
and returns the same outputs (SPEC §7). What they share lives here: the common inputs
and secrets, the names (what the state names wins, then the inputs, then the guid),
the generated password, the result, turning a client library's error into a redacted
`DriverError`, and the order of `create`:

1. parse the blocks, choose the names, keep the saved password or generate one;
2. connect as admin, `inspect` what exists (refusing, before any change, what is not
   this resource's), then `upsert` everything, so a re-run converges from any state.

The state (with the password) is saved through the journal once `inspect` accepted the
names and before anything is made: a crash never loses the password, and a refused
name (a param asking for role `root`) is never kept, or every later run would read it
back from the state and fail even after the param is fixed. Each driver keeps its SQL
and its `delete`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from orchc.drivers.input_blocks import Port, StrictBlock, parse_block, split_echoed
from orchc.drivers.protocol import DriverError, DriverRequest, DriverResult, Journal
from orchc.drivers.secrets import connection_url, generate_password
from orchc.drivers.time_limits import TimeLimits, time_limits
from orchc.sensitive import redact

# Outputs that repeat an input: secret when that input embeds another resource's secret.
ECHOED_INPUTS = {
    "host": "host",
    "port": "port",
    "name": "database",
    "database": "database",
    "username": "username",
}
NOT_OURS = "{kind} '{name}' already exists and is not managed by orchc for this resource"


class DatabaseInputs(StrictBlock):
    """The inputs every database driver reads; a driver narrows the names' pattern and
    sets its port."""

    host: str
    port: Port
    admin_user: str
    database: str | None = None
    username: str | None = None


class AdminSecrets(StrictBlock):
    admin_password: str | None = None


@dataclass(frozen=True, slots=True)
class Names:
    """The database and the user of one resource, and the resource's guid (a driver that
    marks what it made on the server writes it in the mark)."""

    database: str
    username: str
    guid: str


Inputs = TypeVar("Inputs", bound=DatabaseInputs)
Server = TypeVar("Server")  # what statements run on: a connection or a cursor
Found = TypeVar("Found")  # what `inspect` learned, handed to `upsert`


class DatabaseDriver(ABC, Generic[Inputs, Server, Found]):
    """`create` for a database driver; subclasses give the SQL."""

    replace_inputs: ClassVar[frozenset[str]] = frozenset({"host", "port", "database", "username"})
    INPUTS: ClassVar[type[DatabaseInputs]]
    SCHEME: ClassVar[str]  # of the `url` output

    def create(self, request: DriverRequest, journal: Journal) -> DriverResult:
        inputs, admin = self.parse(request)
        names = self.names(request, inputs)
        password = str(request.state.get("password") or generate_password())
        result = database_result(request, self.SCHEME, inputs, names, password)
        with self.admin_connection(inputs, admin, time_limits(request)) as server:
            found = self.inspect(server, names, request.state)
            _journal(request, result, journal)
            self.upsert(server, names, password, found)
        return result

    def parse(self, request: DriverRequest) -> tuple[Inputs, AdminSecrets]:
        # INPUTS is the model of `Inputs` (a ClassVar cannot name a type variable).
        inputs: Any = parse_block(self.INPUTS, request.inputs, "inputs")
        return inputs, parse_block(AdminSecrets, request.secrets, "secrets")

    def names(self, request: DriverRequest, inputs: Inputs) -> Names:
        """The names in the driver state win (they are what was made); then the inputs;
        then the resource's guid, which is a valid name by construction."""
        database = request.state.get("database") or inputs.database or request.guid
        username = request.state.get("username") or inputs.username or request.guid
        return Names(str(database), str(username), request.guid)

    @abstractmethod
    def admin_connection(
        self, inputs: Inputs, admin: AdminSecrets, limits: TimeLimits
    ) -> AbstractContextManager[Server]: ...

    @abstractmethod
    def inspect(self, server: Server, names: Names, state: dict[str, Any]) -> Found:
        """What exists; raises a `DriverError` (before any change) if something this
        resource would make exists and is not its own."""

    @abstractmethod
    def upsert(self, server: Server, names: Names, password: str, found: Found) -> None:
        """Make or re-apply the database and the user."""


def _journal(request: DriverRequest, result: DriverResult, journal: Journal) -> None:
    if result.state != request.state:
        journal.save_state(result.state)


def database_result(
    request: DriverRequest, scheme: str, inputs: DatabaseInputs, names: Names, password: str
) -> DriverResult:
    """The outputs every database driver returns (SPEC §7): `host`, `port`, `name`,
    `database`, `username`, secret `password` and `url`; the state keeps the names and
    the password so a re-apply changes nothing."""
    url = connection_url(
        scheme,
        username=names.username,
        password=password,
        host=inputs.host,
        port=inputs.port,
        path=names.database,
    )
    values = {
        "host": inputs.host,
        "port": inputs.port,
        "name": names.database,
        "database": names.database,
        "username": names.username,
    }
    outputs, secrets = split_echoed(values, ECHOED_INPUTS, request.sensitive_inputs)
    state = {"password": password, "database": names.database, "username": names.username}
    return DriverResult(
        outputs=outputs, secrets={**secrets, "password": password, "url": url}, state=state
    )


ServerError = TypeVar("ServerError", bound=Exception)


def cannot_connect(product: str, inputs: DatabaseInputs) -> str:
    """The start of a connection failure's message.

    >>> cannot_connect("MySQL", DatabaseInputs(host="db", port=3306, admin_user="root"))
    "cannot connect to MySQL at db:3306 as 'root'"
    """
    return f"cannot connect to {product} at {inputs.host}:{inputs.port} as '{inputs.admin_user}'"


@dataclass(frozen=True, slots=True)
class ServerFailure(Generic[ServerError]):
    """Turns a client library's `errors` into a `DriverError`: `what` failed, then the
    server's words (`server_message`), with `secrets` scrubbed out."""

    errors: type[ServerError]
    server_message: Callable[[ServerError], str]

    def refusal(self, attempt: Callable[[], object], secrets: Iterable[str]) -> str | None:
        """None when `attempt` (a login, say) succeeds; else the server's words, with
        `secrets` scrubbed out."""
        try:
            attempt()
        except self.errors as error:
            return redact(self.server_message(error), secrets)
        return None

    @contextmanager
    def __call__(self, what: str, secrets: Iterable[str | None] = ()) -> Iterator[None]:
        try:
            yield
        except self.errors as error:
            message = f"{what}: {self.server_message(error)}"
            raise DriverError(redact(message, [s for s in secrets if s])) from None
