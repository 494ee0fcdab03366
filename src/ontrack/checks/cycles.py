"""Dependency cycles, including the ones that only appear through summary tasks.

Each task is two events, start and finish. A dependency runs from the predecessor's finish to the
successor's start whatever its type (as MS Project and Primavera refuse any circular link), and a
summary task starts before and finishes after each child. A cycle in that graph is a plan no
calendar can satisfy; one cycle is reported per strongly connected component, with its tasks.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from ontrack.diagnostics import Diagnostic, error
from ontrack.model import Dependency, Plan

CODES = ("E210", "E211")

_Edge = tuple[int, Dependency | None]


def check_cycles(plan: Plan) -> Iterator[Diagnostic]:
    index = {t.id: i for i, t in enumerate(plan.tasks)}
    graph: list[list[_Edge]] = [[] for _ in range(2 * len(plan.tasks))]
    for i, task in enumerate(plan.tasks):
        graph[2 * i].append((2 * i + 1, None))
        for child in task.children:
            c = index.get(child)
            if c is not None:
                graph[2 * i].append((2 * c, None))
                graph[2 * c + 1].append((2 * i + 1, None))
        ancestors = set(_ancestors(plan, task.id))
        for dep in task.depends:
            p = index.get(dep.task)
            if p is None:
                continue  # unknown ids are the references check's business
            if p == i:
                yield error(
                    "E211",
                    dep.loc,
                    f"task '{task.id}' depends on itself",
                    "remove this dependency",
                    subjects=(task.id,),
                )
            elif dep.task in ancestors:
                yield error(
                    "E211",
                    dep.loc,
                    f"task '{task.id}' depends on its own summary task '{dep.task}'",
                    "a task is part of its summary; depend on a sibling instead",
                    subjects=(task.id, dep.task),
                )
            elif task.is_summary and task.id in set(_ancestors(plan, dep.task)):
                yield error(
                    "E211",
                    dep.loc,
                    f"summary task '{task.id}' depends on its own subtask '{dep.task}'",
                    "a summary finishes with its subtasks; remove this dependency",
                    subjects=(task.id, dep.task),
                )
            else:
                graph[2 * p + 1].append((2 * i, dep))
    for component in _strongly_connected(graph):
        if len(component) > 1:
            yield _report(plan, graph, component)


def _ancestors(plan: Plan, task_id: str) -> Iterator[str]:
    seen: set[str] = set()
    parent = plan.task_by_id[task_id].parent if task_id in plan.task_by_id else None
    while parent is not None and parent not in seen and parent in plan.task_by_id:
        seen.add(parent)
        yield parent
        parent = plan.task_by_id[parent].parent


def _report(plan: Plan, graph: list[list[_Edge]], component: list[int]) -> Diagnostic:
    members = set(component)
    start = min(component)
    # Shortest way round from `start` back to itself, inside the component.
    previous: dict[int, tuple[int, Dependency | None]] = {}
    queue = deque([start])
    end = start
    while queue:
        node = queue.popleft()
        if any(target == start for target, _ in graph[node]):
            end = node
            break
        for target, dep in graph[node]:
            if target in members and target not in previous and target != start:
                previous[target] = (node, dep)
                queue.append(target)
    path: list[int] = [end]
    deps: list[Dependency] = []
    while path[-1] != start:
        node, dep = previous[path[-1]]
        if dep is not None:
            deps.append(dep)
        path.append(node)
    path.reverse()
    closing = next(dep for target, dep in graph[end] if target == start)
    if closing is not None:
        deps.insert(0, closing)
    ids: list[str] = []
    for node in path:
        task_id = plan.tasks[node // 2].id
        if not ids or ids[-1] != task_id:
            ids.append(task_id)
    if len(ids) > 1 and ids[0] == ids[-1]:
        ids.pop()
    ring = " → ".join([*ids, ids[0]])
    deps.sort(key=lambda d: (d.loc.file, d.loc.line, d.loc.col))
    loc = deps[0].loc if deps else plan.tasks[start // 2].loc
    return error(
        "E210",
        loc,
        f"dependency cycle: {ring}",
        "remove or reverse one of these dependencies",
        subjects=tuple(ids),
        related=tuple(d.loc for d in deps[1:]),
    )


def _strongly_connected(graph: list[list[_Edge]]) -> Iterator[list[int]]:
    """Tarjan's algorithm, iterative (10,000-task plans would overflow Python's recursion)."""
    counter = 0
    order = [-1] * len(graph)
    low = [0] * len(graph)
    on_stack = [False] * len(graph)
    stack: list[int] = []
    for root in range(len(graph)):
        if order[root] != -1:
            continue
        work = [(root, 0)]
        while work:
            node, edge_index = work.pop()
            if edge_index == 0:
                order[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack[node] = True
            descended = False
            edges = graph[node]
            while edge_index < len(edges):
                target = edges[edge_index][0]
                edge_index += 1
                if order[target] == -1:
                    work.append((node, edge_index))
                    work.append((target, 0))
                    descended = True
                    break
                if on_stack[target]:
                    low[node] = min(low[node], order[target])
            if descended:
                continue
            if low[node] == order[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    component.append(member)
                    if member == node:
                        break
                yield component
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
