"""The model behind the agent, chosen in config: the offline one, or a hosted/self-hosted one."""

from __future__ import annotations

from llama_index.core.llms.function_calling import FunctionCallingLLM

from bot.agent._offline import OfflineLLM
from bot.agent._router import Router
from bot.config import LLMSettings

__all__ = ["LLMConfigError", "build_llm"]


class LLMConfigError(Exception):
    """The configured provider lacks something it needs (a model name, a URL, a key)."""


def build_llm(settings: LLMSettings, router: Router | None = None) -> FunctionCallingLLM:
    provider = settings.provider
    llm: FunctionCallingLLM
    if provider == "offline":
        return OfflineLLM(router=router)
    if not settings.model:
        raise LLMConfigError(f"llm.provider={provider} needs llm.model (BACKOFFICE_LLM__MODEL)")
    if provider == "openai":
        from llama_index.llms.openai import OpenAI

        llm = OpenAI(
            model=settings.model,
            api_key=settings.api_key or None,
            api_base=settings.base_url or None,
            timeout=settings.timeout_s,
        )
        return llm
    if provider == "openai-like":
        from llama_index.llms.openai_like import OpenAILike

        if not settings.base_url:
            raise LLMConfigError("llm.provider=openai-like needs llm.base_url (BACKOFFICE_LLM__BASE_URL)")
        llm = OpenAILike(
            model=settings.model,
            api_base=settings.base_url,
            api_key=settings.api_key or "unused",
            is_chat_model=True,
            is_function_calling_model=True,
            timeout=settings.timeout_s,
            context_window=settings.context_window,
        )
        return llm
    if provider == "azure-openai":
        from llama_index.llms.azure_openai import AzureOpenAI

        if not (settings.base_url and settings.deployment):
            raise LLMConfigError("llm.provider=azure-openai needs llm.base_url and llm.deployment")
        llm = AzureOpenAI(
            model=settings.model,
            engine=settings.deployment,
            azure_endpoint=settings.base_url,
            api_key=settings.api_key,
            api_version=settings.api_version or "2024-10-21",
            timeout=settings.timeout_s,
        )
        return llm
    if provider == "ollama":
        from llama_index.llms.ollama import Ollama

        llm = Ollama(
            model=settings.model,
            base_url=settings.base_url or "http://127.0.0.1:11434",
            request_timeout=settings.timeout_s,
            context_window=settings.context_window,
        )
        return llm
    raise LLMConfigError(f"unknown llm.provider {provider!r}")
