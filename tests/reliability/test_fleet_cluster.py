"""The shared limiter on a Redis Cluster of three nodes, started on 127.0.0.1 by the test.

Each endpoint's keys share a hash tag (one slot), and a node that does not own
the slot answers ``MOVED``: the store's wire follows it. Endpoints whose slots
live on different nodes are all served through one store.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio
from _hosts import Hosts, endpoints, routed_client
from _redis_server import free_port, require_binary, store_ok

from trio_openai import RateLimit, RedisStore, StoreUnavailableError
from trio_openai._reliability._redis import Connection, parse_redis_url


def _cli(binary: str) -> str:
    name = "valkey-cli" if "valkey" in Path(binary).name else "redis-cli"
    found = shutil.which(name)
    if found is None:
        msg = f"{name} is needed to create a cluster (it comes with the server's package)"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return found


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[int]]:
    """Three master nodes with every slot assigned; yields their ports."""
    binary = require_binary()
    cli = _cli(binary)
    folder = tmp_path_factory.mktemp("cluster")
    ports = [free_port() for _ in range(3)]
    # The bus ports too: by default port + 10000, which fails above 55535.
    buses = [free_port() for _ in range(3)]
    processes = [
        subprocess.Popen(
            [
                binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                "--appendonly", "no", "--cluster-enabled", "yes",
                "--cluster-config-file", str(folder / f"nodes-{port}.conf"),
                "--dir", str(folder), "--cluster-port", str(bus),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port, bus in zip(ports, buses, strict=True)
    ]  # fmt: skip
    try:
        for port in ports:
            deadline = time.monotonic() + 10
            while (
                subprocess.run(
                    [cli, "-p", str(port), "ping"], capture_output=True, check=False
                ).stdout.strip()
                != b"PONG"
            ):
                if time.monotonic() > deadline:
                    pytest.fail(f"cluster node on port {port} did not start")
                time.sleep(0.05)
        subprocess.run(
            [cli, "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports),
             "--cluster-replicas", "0", "--cluster-yes"],
            capture_output=True, check=True, timeout=30,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while (
            b"cluster_state:ok"
            not in subprocess.run(
                [cli, "-p", str(ports[0]), "cluster", "info"], capture_output=True, check=False
            ).stdout
        ):
            if time.monotonic() > deadline:
                pytest.fail("the cluster did not reach cluster_state:ok")
            time.sleep(0.05)
        yield ports
    finally:
        for process in processes:
            process.kill()
            process.wait()


def _owner(ports: list[int], key: str) -> int:
    """The port of the node that owns *key*'s slot (``CLUSTER KEYSLOT``, ``CLUSTER NODES``)."""
    cli = shutil.which("redis-cli") or shutil.which("valkey-cli") or "redis-cli"

    def ask(*words: str) -> str:
        command = [cli, "-p", str(ports[0]), *words]
        return subprocess.run(command, capture_output=True, check=True).stdout.decode()

    slot = int(ask("cluster", "keyslot", key))
    for line in ask("cluster", "nodes").splitlines():
        fields = line.split()  # id host:port@bus flags master ping pong epoch state slots...
        for span in fields[8:]:
            low, _, high = span.partition("-")
            if low.isdigit() and int(low) <= slot <= int(high or low):
                return int(fields[1].split("@")[0].rpartition(":")[2])
    pytest.fail(f"no node owns slot {slot}")


async def test_endpoints_on_different_nodes_share_one_store(cluster: list[int]) -> None:
    """Admissions for endpoints whose slots are on other nodes follow MOVED and succeed."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    names = [f"e{i}" for i in range(12)]
    store_keys = [RedisStore("redis://x", prefix=name).key(e) for e in names]
    owners = {_owner(cluster, key) for key in store_keys}
    assert len(owners) >= 2  # (twelve tags land on more than one of three nodes)
    hosts = Hosts()
    async with RedisStore(
        f"redis://127.0.0.1:{cluster[0]}", prefix=name, failure="closed"
    ) as store:
        limit = RateLimit(requests_per_minute=600, store=store)
        for endpoint in names:
            async with routed_client(hosts, endpoints(endpoint), rate_limit=limit) as (c, probe):
                await probe.get("/x")
                await probe.get("/x")
                assert store_ok(c) is True
    assert store.round_trips == 2 * len(names)
    # Each endpoint's keys live on the node that owns its tag, one slot for all of them.
    for endpoint, key in zip(names, store_keys, strict=True):
        node = Connection(parse_redis_url(f"redis://127.0.0.1:{_owner(cluster, key)}"))
        assert await node.call(b"EXISTS", f"{key}:rq") == 1, endpoint
        await node.aclose()


async def test_a_moved_answer_that_names_no_node_is_a_clear_error() -> None:
    """A hostile MOVED reply does not send the connection anywhere."""

    async def handler(stream: trio.SocketStream) -> None:
        async with stream:
            await stream.receive_some(1024)
            await stream.send_all(b"-MOVED 12 nowhere\r\n")

    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.serve_listeners, handler, listeners)
        connection = Connection(parse_redis_url(f"redis://127.0.0.1:{port}"))
        with pytest.raises(OSError, match="names no node"):
            await connection.call(b"GET", b"{k}:x")
        assert connection.address.port == port
        await connection.aclose()
        nursery.cancel_scope.cancel()


def _cluster_command(port: int, *words: str) -> str:
    cli = shutil.which("redis-cli") or shutil.which("valkey-cli") or "redis-cli"
    done = subprocess.run([cli, "-p", str(port), *words], capture_output=True, check=True)
    return done.stdout.decode().strip()


def _migrating(cluster: list[int], key: str) -> tuple[str, int, int]:
    """Start moving *key*'s slot to another node: (slot, source, target)."""
    source = _owner(cluster, key)
    target = next(port for port in cluster if port != source)
    slot = _cluster_command(source, "cluster", "keyslot", key)
    ids = {port: _cluster_command(port, "cluster", "myid") for port in (source, target)}
    assert _cluster_command(target, "cluster", "setslot", slot, "importing", ids[source]) == "OK"
    assert _cluster_command(source, "cluster", "setslot", slot, "migrating", ids[target]) == "OK"
    return slot, source, target


async def test_a_slot_being_migrated_is_waited_for_then_followed(cluster: list[int]) -> None:
    """While the endpoint's slot migrates, ASK/TRYAGAIN: the admission is sent again after
    a pause; once the slot has moved, MOVED takes it to the new owner."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    key = RedisStore("redis://x", prefix=name).key("e")
    slot, source, target = _migrating(cluster, key)
    target_id = _cluster_command(target, "cluster", "myid")

    async def finish() -> None:
        await trio.sleep(0.1)
        for port in (target, source):  # (no key to move: the budget is new)
            await trio.to_thread.run_sync(
                _cluster_command, port, "cluster", "setslot", slot, "node", target_id
            )

    hosts = Hosts()
    async with (
        RedisStore(f"redis://127.0.0.1:{source}", prefix=name, failure="closed") as store,
        trio.open_nursery() as nursery,
    ):
        limit = RateLimit(requests_per_minute=600, store=store)
        async with routed_client(hosts, endpoints("e"), rate_limit=limit) as (client, probe):
            nursery.start_soon(finish)
            start = trio.current_time()
            await probe.get("/x")
            assert trio.current_time() - start >= 0.1  # it waited for the migration
            await probe.get("/x")
            assert store_ok(client) is True
        assert store._connection.address.port == target
    assert len(hosts.seen) == 2
    node = Connection(parse_redis_url(f"redis://127.0.0.1:{target}"))
    assert await node.call(b"EXISTS", f"{key}:rq") == 1
    await node.aclose()


async def test_a_migration_that_does_not_end_fails_the_call_in_time(cluster: list[int]) -> None:
    """The pauses stop at the store's timeout: the failure mode decides (here: closed)."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    key = RedisStore("redis://x", prefix=name).key("e")
    slot, source, target = _migrating(cluster, key)
    hosts = Hosts()
    try:
        async with RedisStore(
            f"redis://127.0.0.1:{source}", prefix=name, failure="closed", timeout=0.2
        ) as store:
            limit = RateLimit(requests_per_minute=600, store=store)
            async with routed_client(hosts, endpoints("e"), rate_limit=limit) as (_, probe):
                start = trio.current_time()
                with pytest.raises(StoreUnavailableError, match=r"did not answer within 0\.2 s"):
                    await probe.get("/x")
                assert trio.current_time() - start < 0.5
    finally:
        for port in (source, target):
            _cluster_command(port, "cluster", "setslot", slot, "stable")
    assert hosts.seen == []
