from __future__ import annotations

import io

from bot.conversation.messages import Choice, Inbound, Reply
from handlers.console import CHANNEL, render, run_console


def test_render_numbers_the_choices() -> None:
    text = render([Reply("접수할까요?", (Choice("confirm:yes", "네"), Choice("confirm:other", "아니요")))])
    assert text == "접수할까요?\n  1) 네\n  2) 아니요"


async def test_each_input_line_is_one_customer_message() -> None:
    seen: list[Inbound] = []

    async def handle(msg: Inbound) -> list[Reply]:
        seen.append(msg)
        return [Reply(f"got {msg.text}")]

    stdout = io.StringIO()
    handled = await run_console(handle, io.StringIO("안녕\r\n\n끝\n"), stdout, user_id="u", interactive=False)
    assert handled == 3
    assert [(m.channel, m.user_id, m.text) for m in seen] == [
        (CHANNEL, "u", "안녕"), (CHANNEL, "u", ""), (CHANNEL, "u", "끝")]
    assert stdout.getvalue() == "got 안녕\n\ngot \n\ngot 끝\n\n"
