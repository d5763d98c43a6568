"""An HTTP server that answers every GET after a fixed delay, for benchmarks:
stands in for external APIs and the user's own endpoints.

asyncio, not a thread per connection: a thousand requests waiting at once
must cost the server nothing, or the benchmark measures the server."""
import argparse
import asyncio

BODY = b'{"status":"ok"}'


async def serve(reader, writer, delay):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            version = lines[0].rsplit(" ", 1)[-1]
            headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:] if l)}
            keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
            await asyncio.sleep(delay)
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                + f"content-length: {len(BODY)}\r\n".encode()
                + (b"" if keep else b"connection: close\r\n")
                + b"\r\n"
                + BODY
            )
            await writer.drain()
            if not keep:
                break
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        pass
    finally:
        writer.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, default=100)
    args = parser.parse_args()
    delay = args.delay_ms / 1000
    server = await asyncio.start_server(
        lambda r, w: serve(r, w, delay), "127.0.0.1", args.port, backlog=4096
    )
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
