"""A real multi-process cluster for tests: ``dask scheduler`` and ``dask worker``
(with nannies) started from the command line, as users run them on their machines.

:func:`start_cli_cluster` is a context manager yielding a :class:`CliCluster` whose
``address`` a ``distributed.Client`` connects to; ``tls=True`` starts every process
with TLS certificates made for the test by ``openssl`` (skipped where it is missing).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

_DASK = str(Path(sys.executable).with_name("dask"))


@dataclass
class CliCluster:
    address: str
    scheduler: subprocess.Popen
    workers: list = field(default_factory=list)
    security: object = None
    scheduler_file: str = ""

    def client(self, **kwargs):
        from distributed import Client

        return Client(self.address, security=self.security, **kwargs)


def _make_certs(tmp):
    """A self-signed CA and one certificate for localhost, signed by it (PEM files)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the TLS test certificates")
    tmp = Path(tmp)
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True)  # noqa: E731
    run(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=dml-test-ca",
        "-keyout",
        str(tmp / "ca.key"),
        "-out",
        str(tmp / "ca.pem"),
    )
    run(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        str(tmp / "node.key"),
        "-out",
        str(tmp / "node.csr"),
    )
    ext = tmp / "ext.cnf"
    ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run(
        "x509",
        "-req",
        "-in",
        str(tmp / "node.csr"),
        "-CA",
        str(tmp / "ca.pem"),
        "-CAkey",
        str(tmp / "ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-out",
        str(tmp / "node.pem"),
        "-extfile",
        str(ext),
    )
    return {k: str(tmp / v) for k, v in (("ca", "ca.pem"), ("cert", "node.pem"), ("key", "node.key"))}


def _wait_for(path, proc, timeout):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if proc.poll() is not None:
            raise RuntimeError(f"dask scheduler exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError("dask scheduler did not start")
        time.sleep(0.1)


@contextlib.contextmanager
def start_cli_cluster(
    tmp_path, *, n_workers=2, nthreads=1, memory_limit="2GiB", tls=False, timeout=60, worker_env=None
):
    """Start ``dask scheduler`` and ``n_workers`` ``dask worker`` processes (nannies);
    ``worker_env`` adds environment variables to the workers only."""
    tmp_path = Path(tmp_path)
    sched_file = str(tmp_path / "scheduler.json")
    tls_args, security = [], None
    if tls:
        from distributed.security import Security

        certs = _make_certs(tmp_path)
        tls_args = ["--tls-ca-file", certs["ca"], "--tls-cert", certs["cert"], "--tls-key", certs["key"]]
        security = Security(
            tls_ca_file=certs["ca"],
            tls_client_cert=certs["cert"],
            tls_client_key=certs["key"],
            require_encryption=True,
        )
    env = dict(os.environ, DASK_DISTRIBUTED__WORKER__DAEMON="False", PYTHONUNBUFFERED="1")
    logs = open(tmp_path / "cluster.log", "ab")
    protocol = ["--protocol", "tls"] if tls else []
    sched = subprocess.Popen(
        [
            _DASK,
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            "--scheduler-file",
            sched_file,
            *protocol,
            *tls_args,
        ],
        stdout=logs,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    workers = []
    try:
        _wait_for(sched_file, sched, timeout)
        for _ in range(n_workers):
            workers.append(
                subprocess.Popen(
                    [
                        _DASK,
                        "worker",
                        "--scheduler-file",
                        sched_file,
                        "--nthreads",
                        str(nthreads),
                        "--memory-limit",
                        str(memory_limit),
                        "--host",
                        "127.0.0.1",
                        "--no-dashboard",
                        *tls_args,
                    ],
                    stdout=logs,
                    stderr=subprocess.STDOUT,
                    env=dict(env, **(worker_env or {})),
                    start_new_session=True,
                )
            )
        import json

        address = json.loads(Path(sched_file).read_text())["address"]
        cluster = CliCluster(address, sched, workers, security, sched_file)
        with cluster.client() as client:
            client.wait_for_workers(n_workers, timeout=timeout)
        yield cluster
    finally:
        for proc in [*workers, sched]:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in [*workers, sched]:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        logs.close()
