"""Teams' own 👍/👎 (the feedback loop): a vote names only the message it is on, so each worker remembers
which turn its recent answers belong to, and a vote becomes the same press as a feedback button."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from microsoft_agents.activity import Activity, ResourceResponse, StreamInfo

from bot import ButtonKind

Send = Callable[[], Awaitable[list[ResourceResponse]]]


class FeedbackTargets:
    """Message id → turn id for the latest `size` answers sent with a feedback loop."""

    def __init__(self, size: int = 10_000) -> None:
        self._turns: OrderedDict[str, int] = OrderedDict()
        self._size = size

    def add(self, message_id: str, turn_id: int) -> None:
        self._turns[message_id] = turn_id
        self._turns.move_to_end(message_id)
        while len(self._turns) > self._size:
            self._turns.popitem(last=False)

    def turn_for(self, message_id: str) -> int | None:
        return self._turns.get(message_id)

    def recorder(
        self, turn_id: int
    ) -> Callable[[Any, list[Activity], Send], Awaitable[list[ResourceResponse]]]:
        """A send hook for a turn's context: remembers the id of each message it sends with a feedback
        loop (a streamed message keeps its stream's id)."""

        async def record(_: Any, activities: list[Activity], send: Send) -> list[ResourceResponse]:
            responses = await send()
            for activity, response in zip(activities, responses or [], strict=False):
                if _has_feedback_loop(activity):
                    streamed = [
                        e for e in activity.entities or [] if isinstance(e, StreamInfo) and e.stream_id
                    ]
                    message_id = streamed[0].stream_id if streamed else (response.id if response else None)
                    if message_id:
                        self.add(message_id, turn_id)
            return responses

        return record


def vote(value: Any) -> ButtonKind | None:
    """The button a `message/submitAction` feedback invoke stands for, or None when it is not one."""
    if not isinstance(value, dict) or value.get("actionName") != "feedback":
        return None
    action = value.get("actionValue")
    reaction = action.get("reaction") if isinstance(action, dict) else None
    return {"like": ButtonKind.FEEDBACK_UP, "dislike": ButtonKind.FEEDBACK_DOWN}.get(str(reaction))


def _has_feedback_loop(activity: Activity) -> bool:
    data = activity.channel_data
    return isinstance(data, dict) and "feedbackLoop" in data
