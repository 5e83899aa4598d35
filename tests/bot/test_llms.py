from __future__ import annotations

import pytest

from bot.agent import LLMConfigError, OfflineLLM, build_llm
from bot.config import LLMSettings


@pytest.mark.parametrize(
    ("settings", "class_name"),
    [
        (LLMSettings(), "OfflineLLM"),
        (LLMSettings(provider="openai", model="gpt-4o-mini", api_key="k"), "OpenAI"),
        (
            LLMSettings(provider="openai-like", model="qwen", base_url="http://127.0.0.1:8000/v1"),
            "OpenAILike",
        ),
        (
            LLMSettings(
                provider="azure-openai",
                model="gpt-4o",
                deployment="chat",
                base_url="https://x.openai.azure.com",
                api_key="k",
            ),
            "AzureOpenAI",
        ),
        (LLMSettings(provider="ollama", model="llama3.1"), "Ollama"),
    ],
)
def test_each_provider_builds_its_llamaindex_client(settings: LLMSettings, class_name: str) -> None:
    llm = build_llm(settings)
    assert type(llm).__name__ == class_name
    assert llm.metadata.is_function_calling_model or class_name == "Ollama"


@pytest.mark.parametrize(
    ("settings", "needs"),
    [
        (LLMSettings(provider="openai"), "llm.model"),
        (LLMSettings(provider="openai-like", model="m"), "base_url"),
        (LLMSettings(provider="azure-openai", model="m"), "deployment"),
    ],
)
def test_a_provider_missing_its_settings_says_which(settings: LLMSettings, needs: str) -> None:
    with pytest.raises(LLMConfigError, match=needs):
        build_llm(settings)


def test_the_offline_model_is_a_function_calling_llm() -> None:
    assert OfflineLLM().metadata.is_function_calling_model
