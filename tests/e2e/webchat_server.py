"""A stand-in for ``vocdesk serve`` until it lands: the whole App bootstrapped from a config file, with the homepage
chat's router mounted in a FastAPI app, served by uvicorn on 127.0.0.1.

    python -m tests.e2e.webchat_server --config CONFIG --port PORT
"""

from __future__ import annotations

import argparse
import asyncio
import os

import uvicorn
from fastapi import FastAPI

from bot.app import bootstrap
from bot.config import load_config
from handlers.webchat import webchat_router


async def serve(config_path: str, port: int) -> None:
    app = await bootstrap(load_config(config_path, os.environ))
    try:
        server = FastAPI()
        server.include_router(webchat_router(app.dialogue.handle, texts=app.texts, settings=app.config.settings))
        await uvicorn.Server(uvicorn.Config(server, host="127.0.0.1", port=port, log_level="warning")).serve()
    finally:
        await app.aclose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.config, args.port))


if __name__ == "__main__":
    main()
