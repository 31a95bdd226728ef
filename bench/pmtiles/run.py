#!/usr/bin/env python
"""Benchmark of the base-map archive served by byte ranges.

Starts gunicorn on a free port with a 64 MiB PMTiles-shaped file configured as the base
map (`MAP_PMTILES_PATH`) and the same file copied under STATIC_ROOT, then asks for
random 16 KiB ranges (about one raster tile) from a few keep-alive clients:
  - the baseline: the file as a static file (WhiteNoise, as the app serves its other
    static files when no proxy does);
  - the app's range view, `/maps/basemap.pmtiles`.
Reported: requests/s and p95 of each, and the ratio view/static (higher is better),
measured in the same run, one after the other.

Usage: python bench/pmtiles/run.py [--seconds S] [--clients N] [--workers W]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIZE = 64 * 1024 * 1024
SPAN = 16 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_archive(path: Path) -> None:
    rng = random.Random(7)
    with path.open("wb") as file:
        file.write(b"PMTiles\x03" + bytes(119))
        block = rng.randbytes(1024 * 1024)
        while file.tell() < SIZE:
            file.write(block)


def wait_for(port: int) -> None:
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def load(port: int, url: str, seconds: float, clients: int) -> dict:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = []
        while time.perf_counter() < stop:
            start = rng.randrange(0, SIZE - SPAN)
            began = time.perf_counter()
            conn.request("GET", url, headers={"Range": f"bytes={start}-{start + SPAN - 1}"})
            response = conn.getresponse()
            body = response.read()
            mine.append(time.perf_counter() - began)
            if response.status != 206 or len(body) != SPAN:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000, 2),
        "errors": errors[0],
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        archive = data / "basemap.pmtiles"
        make_archive(archive)
        (data / "static" / "bench").mkdir(parents=True)
        shutil.copy(archive, data / "static" / "bench" / "basemap.pmtiles")
        port = free_port()
        env = {
            **os.environ,
            "POSTGOV_ENV": "development",
            "POSTGOV_DATA_DIR": str(data),
            "MAP_PMTILES_PATH": str(archive),
            "DEBUG": "false",
            "PORTAL_SIMULATOR": "false",
        }
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "postgov.wsgi",
                f"--bind=127.0.0.1:{port}",
                f"--workers={args.workers}",
                "--log-level=warning",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            wait_for(port)
            # Warm both (file system cache, WhiteNoise's index, the workers' imports).
            load(port, "/static/bench/basemap.pmtiles", 2, args.clients)
            load(port, "/maps/basemap.pmtiles", 2, args.clients)
            static = load(port, "/static/bench/basemap.pmtiles", args.seconds, args.clients)
            view = load(port, "/maps/basemap.pmtiles", args.seconds, args.clients)
        finally:
            server.terminate()
            server.wait(timeout=30)
    result = {
        "file_mib": SIZE // (1024 * 1024),
        "range_kib": SPAN // 1024,
        "clients": args.clients,
        "workers": args.workers,
        "static": static,
        "range_view": view,
        "ratio_view_to_static": round(view["requests_per_s"] / static["requests_per_s"], 3),
    }
    print(json.dumps(result, indent=2))
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "pmtiles.json").write_text(json.dumps(result, indent=2))
    return 1 if static["errors"] or view["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
