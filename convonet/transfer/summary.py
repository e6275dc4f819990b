"""The agent's summary of a transferred call: an LLM's when the call uses a cloud LLM.

With the offline model the summary is extractive (the caller's own sentences, quoted; see
:func:`~convonet.transfer.context.extractive_summary`). With a cloud LLM the call's own chat
model (its provider fallback chain included) writes two sentences from the spoken transcript;
if the cloud providers fail and only the offline model answers, or nothing usable comes
back within :data:`SUMMARY_TIMEOUT_SECS`, the extractive summary is used: the agent always
gets an honest one.
"""

import asyncio
from collections.abc import Awaitable, Callable

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from loguru import logger

from convonet.agents.failures import classify_failure
from convonet.agents.fallback import answered_by
from convonet.agents.llms import OFFLINE, create_chat_model
from convonet.settings import Settings
from convonet.storage.redis import TransferRecord
from convonet.transfer.context import TranscriptLine, extractive_summary

SUMMARY_TIMEOUT_SECS = 8.0
SUMMARY_CHARS = 600
INSTRUCTIONS = (
    "You brief a call-center agent who is about to take over a call. In at most two short "
    "sentences, say what the caller wants and what has been tried. Use only facts from the "
    "transcript; do not invent names, numbers or promises."
)
Summarizer = Callable[[list[TranscriptLine], TransferRecord], Awaitable[str]]


def render(transcript: list[TranscriptLine], record: TransferRecord) -> str:
    """The transcript as the LLM reads it, with the department and the reason asked."""
    lines = [f"{'Caller' if t.role == 'user' else 'Assistant'}: {t.text}" for t in transcript]
    ask = f"Transfer to {record.department}" + (f" ({record.reason})" if record.reason else "")
    return f"{ask}.\n\n" + "\n".join(lines)


def summarizer(settings: Settings, llm: str) -> Summarizer:
    """How a call using ``llm`` summarizes its transfer (extractive for ``offline``)."""

    async def summarize(transcript: list[TranscriptLine], record: TransferRecord) -> str:
        extractive = extractive_summary(transcript, record)
        if llm == OFFLINE or not transcript:
            return extractive
        written = await _llm_summary(settings, llm, transcript, record)
        return written or extractive

    return summarize


async def _llm_summary(
    settings: Settings, llm: str, transcript: list[TranscriptLine], record: TransferRecord
) -> str | None:
    messages = [SystemMessage(INSTRUCTIONS), HumanMessage(render(transcript, record))]
    try:
        model = create_chat_model(llm, settings)
        async with asyncio.timeout(SUMMARY_TIMEOUT_SECS):
            reply = await model.ainvoke(messages)
    except Exception as error:  # a provider boundary: the extractive summary stands in
        kind = "timeout" if isinstance(error, TimeoutError) else classify_failure(error)
        logger.warning(f"session {record.session_id}: no LLM summary ({kind}): {error}")
        return None
    if not isinstance(reply, AIMessage) or answered_by([reply]) in (None, OFFLINE):
        return None  # only the offline model answered: its words are no summary
    text = " ".join(reply.text.split())
    return text[:SUMMARY_CHARS] or None
