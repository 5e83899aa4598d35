"""The agent: one LlamaIndex FunctionAgent, its per-turn tools, and the models that can drive it."""

from bot.agent._intent import IntentReader
from bot.agent._llms import LLMConfigError, build_llm
from bot.agent._offline import OfflineLLM
from bot.agent._prompt import TurnFacts, current_facts
from bot.agent._router import Router
from bot.agent._turn import TurnPolicy, TurnState, TurnTools, run_tool

__all__ = [
    "IntentReader",
    "LLMConfigError",
    "OfflineLLM",
    "Router",
    "TurnFacts",
    "TurnPolicy",
    "TurnState",
    "TurnTools",
    "build_llm",
    "current_facts",
    "run_tool",
]
