"""Build the terminal's hierarchical state machine from :mod:`terminal.states` (``transitions`` 0.9.3).

``queued=True``: a callback that fires a trigger does not recurse, the trigger runs after it.
``model_override=True``: transitions only overrides what the model declares (``state``, ``trigger``), so
mypy sees everything. Every source and destination is checked to be a declared state (transitions
accepts an undeclared destination silently).
"""

from __future__ import annotations

from typing import Any

from transitions.extensions import HierarchicalMachine

from terminal.states import STATES, TRANSITIONS

__all__ = ["all_state_names", "build_machine"]


def all_state_names(states: list[Any] = STATES, prefix: str = "") -> set[str]:
    """Every state's full name, parents and children (``txn``, ``txn_amount``...)."""
    out: set[str] = set()
    for s in states:
        name = s if isinstance(s, str) else s["name"]
        out.add(prefix + name)
        if isinstance(s, dict):
            out |= all_state_names(s.get("children", []), prefix + name + "_")
    return out


def check_transitions() -> None:
    """Raise ValueError when a transition names an undeclared state."""
    names = all_state_names()
    for trigger, source, dest in TRANSITIONS:
        sources = [source] if isinstance(source, str) else list(source)
        for name in [*sources, dest]:
            if name != "*" and name not in names:
                raise ValueError(f"transition {trigger!r} names the undeclared state {name!r}")


def build_machine(model: Any) -> HierarchicalMachine:
    """The machine, with ``model`` as its model, starting in ``off``."""
    check_transitions()
    return HierarchicalMachine(
        model=model,
        states=STATES,
        transitions=TRANSITIONS,
        initial="off",
        queued=True,
        send_event=False,
        model_override=True,
        auto_transitions=False,
        ignore_invalid_triggers=False,
    )
