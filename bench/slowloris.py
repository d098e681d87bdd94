#!/usr/bin/env python3
"""Holds N slow or idle connections open against the server (slowloris-style): each sends
a partial request line and then one header byte every few seconds, never finishing.
Runs for --seconds and exits by itself. Loopback only."""
import argparse, asyncio, resource, sys

async def hold(host, port, seconds, opened):
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        return
    opened[0] += 1
    try:
        writer.write(b"GET /api/v1/products HTTP/1.1\r\nHost: x\r\n")
        await writer.drain()
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while loop.time() < end:
            await asyncio.sleep(3)
            writer.write(b"X")
            await writer.drain()
    except (OSError, ConnectionError):
        opened[1] += 1  # closed by the server (its read timeout)
    finally:
        writer.close()

async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--connections", type=int, default=5000)
    ap.add_argument("--seconds", type=float, default=12)
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, a.connections + 1024), hard))
    opened = [0, 0]
    tasks = [asyncio.create_task(hold("127.0.0.1", a.port, a.seconds, opened)) for _ in range(a.connections)]
    await asyncio.sleep(2)
    print(f'{{"bench":"slowloris","idle_connections_open":{opened[0]}}}', flush=True)
    await asyncio.gather(*tasks)
    print(f'{{"bench":"slowloris_done","opened":{opened[0]},"closed_by_server":{opened[1]}}}', flush=True)

asyncio.run(main())
