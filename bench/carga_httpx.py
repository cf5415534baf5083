"""The fallback load generator when wrk cannot be installed: ``-c`` connections, each one
request after another, for ``-d`` seconds, in a process of its own. Prints the same JSON line
as bench/resumen.lua does for wrk (counts, errors, p50/p95/p99 in microseconds).

    .venv/bin/python -m bench.carga_httpx URL -c 8 -d 10 [--gzip]

Python's client costs more per request than wrk's, so requests/s here are a lower bound."""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import httpx


def _percentil(ordenadas: list[float], p: float) -> float:
    if not ordenadas:
        return 0.0
    return ordenadas[min(len(ordenadas) - 1, int(len(ordenadas) * p / 100))]


async def _conexion(cliente: httpx.AsyncClient, url: str, fin: float, res: dict) -> None:
    while time.perf_counter() < fin:
        t0 = time.perf_counter()
        try:
            r = await cliente.get(url)
            if not 200 <= r.status_code <= 299:
                res["no_2xx"] += 1
        except httpx.TimeoutException:
            res["timeout"] += 1
        except httpx.TransportError:
            res["read"] += 1
        else:
            res["bytes"] += len(r.content)
        res["latencias"].append((time.perf_counter() - t0) * 1e6)


async def cargar(url: str, conexiones: int, segundos: float, gzip: bool) -> dict:
    """Keep ``conexiones`` requests in flight against ``url`` for ``segundos`` seconds."""
    res: dict = {"no_2xx": 0, "timeout": 0, "read": 0, "bytes": 0, "latencias": []}
    cabeceras = {"Accept-Encoding": "gzip" if gzip else "identity"}
    limites = httpx.Limits(max_connections=conexiones, max_keepalive_connections=conexiones)
    async with httpx.AsyncClient(headers=cabeceras, limits=limites, timeout=30) as cliente:
        t0 = time.perf_counter()
        fin = t0 + segundos
        await asyncio.gather(*(_conexion(cliente, url, fin, res) for _ in range(conexiones)))
        duracion = time.perf_counter() - t0
    lat = sorted(res.pop("latencias"))
    return res | {
        "peticiones": len(lat),
        "duracion_us": duracion * 1e6,
        "connect": 0,
        "write": 0,
        **{f"p{p}_us": _percentil(lat, p) for p in (50, 95, 99)},
        "max_us": lat[-1] if lat else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("-c", type=int, default=1)
    parser.add_argument("-d", type=float, default=10)
    parser.add_argument("--gzip", action="store_true")
    args = parser.parse_args()
    print("SIGG_JSON " + json.dumps(asyncio.run(cargar(args.url, args.c, args.d, args.gzip))))


if __name__ == "__main__":
    main()
