"""The task graph as the analyses read it: dependencies between leaf tasks, with a dependency on
(or of) a summary standing for one on each leaf below it. Shared by the risk detectors and the
status report, so both walk the same paths.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ontrack.model import Plan


def leaves(plan: Plan, task_id: str) -> list[str]:
    """The leaf tasks a task stands for: itself, or every leaf below a summary."""
    if not plan.task_by_id[task_id].is_summary:
        return [task_id]
    return [t.id for t in plan.descendants(task_id) if not t.is_summary]


def leaf_predecessors(plan: Plan) -> dict[str, tuple[str, ...]]:
    """Each leaf task's leaf predecessors: its own and its ancestors' dependencies, with a
    dependency on a summary standing for one on each leaf below it."""
    leaves_of: dict[str, tuple[str, ...]] = {}

    def leaves(task_id: str) -> tuple[str, ...]:
        task = plan.task_by_id[task_id]
        if not task.is_summary:
            return (task_id,)
        if task_id not in leaves_of:
            leaves_of[task_id] = tuple(d.id for d in plan.descendants(task_id) if not d.is_summary)
        return leaves_of[task_id]

    inherited: dict[str, frozenset[str]] = {}
    out: dict[str, tuple[str, ...]] = {}
    for task in plan.tasks:  # a summary comes before its children
        mine = set(inherited.get(task.parent, frozenset()) if task.parent else ())
        for dep in task.depends:
            if dep.task in plan.task_by_id:
                mine.update(leaves(dep.task))
        if task.is_summary:
            inherited[task.id] = frozenset(mine)
        else:
            mine.discard(task.id)
            out[task.id] = tuple(sorted(mine))
    return out


def upstream_of(
    preds: Mapping[str, Iterable[str]], starts: Iterable[str], *, inclusive: bool = False
) -> set[str]:
    """Every leaf task that the leaf tasks ``starts`` wait on, directly or not (``preds`` from
    ``leaf_predecessors``); with ``inclusive``, ``starts`` themselves too."""
    seen: set[str] = set()
    stack = list(starts) if inclusive else [p for s in starts for p in preds.get(s, ())]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(preds.get(node, ()))
    return seen
