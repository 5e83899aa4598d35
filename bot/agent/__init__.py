"""The agent: one LlamaIndex FunctionAgent, its per-turn tools, and the models that can drive it."""

from bot.agent._llms import LLMConfigError, build_llm
from bot.agent._offline import OfflineLLM
from bot.agent._router import Router
from bot.agent._turn import TurnPolicy, TurnState, TurnTools, run_tool

__all__ = [
    "LLMConfigError",
    "OfflineLLM",
    "Router",
    "TurnPolicy",
    "TurnState",
    "TurnTools",
    "build_llm",
    "run_tool",
]
