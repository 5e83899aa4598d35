"""The embedded model: a deterministic `FunctionCallingLLM` that needs no network.

It reads the conversation the agent hands it and answers the way the agent loop expects a model to:
with a tool call (an action the message asks for, a person, or a norms search) or, once a tool has
answered, with the final text. Answers are extractive: the best sentences of the passages, quoted and
cited; weak evidence becomes an escalation, never a guess.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncGenerator, Generator, Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
    TextBlock,
    ToolCallBlock,
)
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.tools import BaseTool
from pydantic import BaseModel, PrivateAttr

from bot import messages
from bot.agent._prompt import current_facts
from bot.agent._router import Router, ToolSpec
from knowledge import detect_language

_CORE = ("search_norms", "escalate_to_human")
_MISSING_KEYS = {
    "date": "missing_dates",
    "ticket_id": "missing_ticket_id",
    "request_id": "missing_request_id",
}


class OfflineLLM(FunctionCallingLLM):
    _router: Router = PrivateAttr()

    def __init__(self, router: Router | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._router = router or Router()

    @classmethod
    def class_name(cls) -> str:
        return "OfflineLLM"

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="offline", is_chat_model=True, is_function_calling_model=True)

    # --- the decision ---------------------------------------------------------------------------------

    def _respond(self, messages_: Sequence[ChatMessage], tools: Sequence[BaseTool]) -> ChatMessage:
        facts = current_facts()
        last = messages_[-1] if messages_ else ChatMessage(role=MessageRole.USER, content="")
        user_turns = [m for m in messages_ if m.role == MessageRole.USER]
        text = (user_turns[-1].content or "") if user_turns else ""
        lang = facts.lang if facts else detect_language(text)
        if last.role == MessageRole.TOOL:
            return self._after_tool(messages_, last, tools, lang)
        return self._first_step(text, user_turns, tools, lang, facts.today if facts else date.today())

    def _first_step(
        self, text: str, user_turns: list[ChatMessage], tools: Sequence[BaseTool], lang: str, today: date
    ) -> ChatMessage:
        names = {t.metadata.get_name() for t in tools}
        if "escalate_to_human" in names and self._router.wants_human(text):
            return _calls(("escalate_to_human", {"reason": text[:300]}))
        if self._router.names_nothing(text):
            return ChatMessage(role=MessageRole.ASSISTANT, content=messages.say("what_do_you_need", lang))
        specs = [
            ToolSpec(t.metadata.get_name(), _extra(t)) for t in tools if t.metadata.get_name() not in _CORE
        ]
        route = self._router.route(text, specs, today)
        if route is not None and route.tool == "escalate_to_human" and "escalate_to_human" in names:
            return _calls(("escalate_to_human", {"reason": text[:300]}))
        arguments = {"query": text}
        if len(user_turns) > 1 and self._router.is_follow_up(text):
            arguments["context"] = str(user_turns[-2].content or "")
        if route is not None and route.hesitant:
            # a request or a question? Look it up and offer the action beside the answer.
            return _calls(("search_norms", arguments), (route.tool, route.arguments))
        if route is not None and not route.missing:
            return _calls((route.tool, route.arguments))
        if route is not None:
            key = _MISSING_KEYS.get(
                "date" if route.missing[0] in ("start", "end") else route.missing[0], "missing_comment"
            )
            return ChatMessage(role=MessageRole.ASSISTANT, content=messages.say(key, lang))
        return _calls(("search_norms", arguments))

    def _after_tool(
        self,
        messages_: Sequence[ChatMessage],
        last: ChatMessage,
        tools: Sequence[BaseTool],
        lang: str,
    ) -> ChatMessage:
        """The final text once the tools have answered."""
        results = _tool_results(messages_)
        offered = [content for name, content in results if name != "search_norms"]
        found = next((content for name, content in results if name == "search_norms"), None)
        if found is None:
            return ChatMessage(role=MessageRole.ASSISTANT, content=(last.content or ""))
        if offered:  # an action offered beside the search: the passages (if any) come first
            answer = self._from_search(found, tools, lang, escalate=False)
            text = "\n\n".join(p for p in (answer.content or "", *offered) if p)
            return ChatMessage(role=MessageRole.ASSISTANT, content=text)
        return self._from_search(found, tools, lang, escalate=True)

    def _from_search(self, content: str, tools: Sequence[BaseTool], lang: str, escalate: bool) -> ChatMessage:
        """An answer, a suggestion, or (with `escalate`, when nothing relevant was found) a person."""
        try:
            found = json.loads(content)
        except json.JSONDecodeError:
            return ChatMessage(role=MessageRole.ASSISTANT, content=messages.say("internal_error", lang))
        if found.get("evidence") in ("unavailable", "nothing_asked"):
            return ChatMessage(role=MessageRole.ASSISTANT, content=str(found.get("message", "")))
        if found.get("evidence") == "suggest":
            suggestion = compose_answer(found["passages"], lang, unsure=True)
            return ChatMessage(role=MessageRole.ASSISTANT, content=suggestion)
        if found.get("evidence") != "strong":
            if not escalate:
                return ChatMessage(role=MessageRole.ASSISTANT, content="")
            if any(t.metadata.get_name() == "escalate_to_human" for t in tools):
                return _calls(("escalate_to_human", {"reason": messages.say("weak_evidence", "en")}))
            return ChatMessage(role=MessageRole.ASSISTANT, content=messages.say("weak_evidence", lang))
        return ChatMessage(role=MessageRole.ASSISTANT, content=compose_answer(found["passages"], lang))

    # --- the LlamaIndex interface -------------------------------------------------------------------

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        messages_ = list(chat_history or [])
        if user_msg is not None:
            messages_.append(
                user_msg if isinstance(user_msg, ChatMessage) else ChatMessage(role="user", content=user_msg)
            )
        return {"messages": messages_, "tools": tools}

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        calls = [
            ToolSelection(
                tool_id=b.tool_call_id or "",
                tool_name=b.tool_name,
                tool_kwargs=b.tool_kwargs if isinstance(b.tool_kwargs, dict) else json.loads(b.tool_kwargs),
            )
            for b in response.message.blocks
            if isinstance(b, ToolCallBlock)
        ]
        if not calls and error_on_no_tool_call:
            raise ValueError("the offline model answered without calling a tool")
        return calls

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return ChatResponse(message=self._respond(messages, kwargs.get("tools") or ()))

    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self.chat(messages, **kwargs)

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        response = self.chat(messages, **kwargs)

        def gen() -> Generator[ChatResponse, None, None]:
            yield ChatResponse(message=response.message, delta=response.message.content or "")

        return gen()

    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        response = self.chat(messages, **kwargs)

        async def gen() -> AsyncGenerator[ChatResponse, None]:
            yield ChatResponse(message=response.message, delta=response.message.content or "")

        return gen()

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        # Without tools the only honest completion is the search step's question back; the agent never
        # calls this, but LlamaIndex utilities (summaries, titles) may.
        message = self._respond([ChatMessage(role=MessageRole.USER, content=prompt)], ())
        return CompletionResponse(text=message.content or "")

    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return self.complete(prompt, formatted, **kwargs)

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        response = self.complete(prompt, formatted, **kwargs)

        def gen() -> Generator[CompletionResponse, None, None]:
            yield CompletionResponse(text=response.text, delta=response.text)

        return gen()

    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        response = self.complete(prompt, formatted, **kwargs)

        async def gen() -> AsyncGenerator[CompletionResponse, None]:
            yield CompletionResponse(text=response.text, delta=response.text)

        return gen()


def compose_answer(passages: list[dict[str, Any]], lang: str, unsure: bool = False) -> str:
    """The passages' quotes, best first, each with its [n] reference; `unsure` says first that they may
    not answer the question (a suggestion)."""
    lines = [messages.say("suggest_intro" if unsure else "answer_intro", lang)]
    for p in passages:
        quote = " ".join(str(p["quote"]).split())
        lines.append(f"> {quote} [{p['ref']}]")
    return "\n\n".join(lines)  # one blank line apart: Markdown keeps them separate quotes


def _calls(*calls: tuple[str, dict[str, Any]]) -> ChatMessage:
    """Several tool calls in one step; the agent runs them all before asking the model again."""
    blocks: list[TextBlock | ToolCallBlock] = [TextBlock(text="")]
    for name, arguments in calls:
        blocks.append(
            ToolCallBlock(tool_call_id=f"call_{uuid.uuid4().hex[:12]}", tool_name=name, tool_kwargs=arguments)
        )
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks)


def _tool_results(messages_: Sequence[ChatMessage]) -> list[tuple[str, str]]:
    """(tool name, result) of the tool messages that end the conversation: the last step's calls."""
    names = {b.tool_call_id: b.tool_name for m in messages_ for b in m.blocks if isinstance(b, ToolCallBlock)}
    results: list[tuple[str, str]] = []
    for m in reversed(messages_):
        if m.role != MessageRole.TOOL:
            break
        results.append((names.get(m.additional_kwargs.get("tool_call_id"), ""), m.content or ""))
    return results[::-1]


def _extra(tool: BaseTool) -> dict[str, Any]:
    schema = tool.metadata.fn_schema
    return _schema_of(schema) if schema is not None else {}


@lru_cache(maxsize=256)
def _schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """A tool's argument schema; the same classes come back every turn."""
    return model.model_json_schema()
