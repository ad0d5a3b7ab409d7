"""The terminal chat: one customer line per input line, the bot's replies on stdout.

Works interactively and with piped stdin, so a conversation can be scripted. Choices are
numbered; the customer answers with the number (or the label).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.conversation.messages import Inbound, Reply
from bot.conversation.texts import Catalog, builtin

CHANNEL = "console"


def render(replies: list[Reply]) -> str:
    """Replies as terminal text, each choice numbered."""
    lines: list[str] = []
    for reply in replies:
        lines.append(reply.text)
        lines.extend(f"  {i}) {choice.label}" for i, choice in enumerate(reply.choices, 1))
    return "\n".join(lines)


async def run_console(
    handle: Callable[[Inbound], Awaitable[list[Reply]]], stdin: TextIO, stdout: TextIO, *,
    user_id: str, interactive: bool, texts: Catalog | None = None, locale: str = "ko",
) -> int:
    """Feed stdin lines to the dialogue until end of input; returns how many lines were handled."""
    if interactive:
        stdout.write((texts or builtin()).text(locale, "channel.console_banner") + "\n")
    lines = _read_lines(stdin)
    handled = 0
    while True:
        if interactive:
            stdout.write("> ")
            stdout.flush()
        line = await lines.get()
        if line is None:
            if interactive:
                stdout.write("\n")
            return handled
        replies = await handle(Inbound(CHANNEL, user_id, text=line.rstrip("\r\n")))
        handled += 1
        out = render(replies)
        if out:
            stdout.write(out + "\n")
        if not interactive:
            stdout.write("\n")
        stdout.flush()


def _read_lines(stdin: TextIO) -> asyncio.Queue[str | None]:
    """Lines of ``stdin`` read by a daemon thread (None at the end), so Ctrl-C never waits for a blocked
    read: a thread of the default executor would keep the process alive until the next Enter."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        for line in iter(stdin.readline, ""):
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, name="console-stdin", daemon=True).start()
    return queue
