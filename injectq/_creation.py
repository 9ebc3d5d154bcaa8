"""The one creation routine for cached instances: singletons and scoped bindings.

Every binding whose instance is cached (in the container's root for singletons, in a scope
for scoped ones) has one `Creation` record per container. It creates the instance at most
once per owning scope. Its generated create function (the template `creation_lines`, one
text for both faces, which differ only by ``await``) runs the uncontended case inline;
everything else is a method of the record, shared by both faces:

- **Claiming.** The first caller that misses the cache claims the binding in that scope
  (one atomic ``dict.setdefault`` of a new, empty list into the scope's own cache, under
  the record as key; no lock) and builds the instance; nothing is held while user code
  runs. A scoped binding's claim stays after the instance is cached (a later claimant
  finds the instance first), so a request's uncontended case makes no second lookup and no
  deletion; it ends only on failure, or when the instance leaves the cache (`forget`).
  Only the creation that holds the claim caches the instance, so winning the claim means
  the instance is not there. A singleton's claim ends once it is cached, so that nothing
  of its creation outlives it (the resolver lets its generated functions and this record
  go); its create function looks for the instance after winning a claim.
  The others wait for the claim to end: they get the creator's ordinary failure (one
  failure, not one per waiter, each after the other), or look again and find the
  instance, or claim it themselves when the creator was cancelled or interrupted. So a
  cancelled creator hands creation to the next waiter, a cancelled waiter leaves everybody
  else alone, and nothing half-built is ever cached.
- **Re-entrancy and deadlocks.** A thread (sync face) or task (async face) that asks for a
  binding it is creating itself gets a `ResolutionError` at once. One that would wait for a
  creator which, through a chain of waits, waits for it, gets the same kind of error instead
  of a deadlock: waiting actors are kept in a waits-for graph (``_WAITING``) that each new
  waiter walks before it sleeps. A claim does not say who made it (asking the thread or
  task costs the uncontended case more than the rest of the claim): an actor that is about
  to wait finds the claims it holds on its own stack (the creation frames above it), which
  tells it whether it asks for its own, and writes itself into them, so that whoever walks
  the graph later learns who holds them. An actor that never waits is never part of a
  cycle, so its claims need no name.
- **No recursion limit.** A binding more than `SHALLOW` cached levels deep first has its
  deep prerequisites created bottom-up by an explicit work list (`Creation._plan`), so its
  own construction finds them cached; shallow graphs, the common case, pay nothing for it.
- **Closing.** An instance finished after its scope closed is not cached; the caller gets
  `ContainerClosedError` (its teardown, if any, has run: see `ScopeState.add_teardown`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any, Final, Protocol

from injectq._compile import gc_paused
from injectq._graph import Binding
from injectq._links import path_between
from injectq._marks import SINGLETON
from injectq.errors import ContainerClosedError, ResolutionError

__all__ = ["SHALLOW", "Creation", "Owner", "closed_error", "creation_lines"]

SHALLOW: Final = 32
"""How many cached levels a construction may build by plain recursion (each level costs a
few Python frames); deeper graphs are created bottom-up by a work list."""

_MISSING: Final[Any] = object()
_MINE: Final[Any] = object()  # the caller now holds the claim

Claim = list[Any]
"""A creation's claim: empty, or holding the actor that holds it once that actor waits (an
async creation's claim holds its task from the start)."""

# The waits-for graph: each actor (a thread id, or an asyncio task) that is waiting, and
# the (record, scope) it waits for. Plain dict operations: no lock is taken to wait.
_WAITING: dict[Any, tuple[Creation, Owner]] = {}


class Owner(Protocol):
    """What creation needs of the scope that will own an instance (a `ScopeState`)."""

    @property
    def name(self) -> str: ...
    @property
    def parent(self) -> Owner | None: ...
    @property
    def cache(self) -> dict[Any, Any]: ...
    @property
    def closed(self) -> bool: ...
    def describe(self) -> str: ...


def closed_error(binding: Binding, owner: Owner) -> ContainerClosedError:
    """The error for resolving ``binding`` in a scope (or container) that is closed."""
    msg = (
        f"Cannot resolve {binding.key}: the {owner.describe()} is closed. Hint: resolve "
        "inside the `with` block, or from a container that is still open."
    )
    return ContainerClosedError(msg)


def _cycle_error(binding: Binding, cycle: list[Binding] | None) -> ResolutionError:
    label = str(binding.key)
    if cycle is None:
        msg = (
            f"{binding.key} was asked for again while it was being created (a cycle through "
            "Provider[...] or container.get() in a constructor)."
        )
        path = [label]
    else:
        chain = " -> ".join(str(b.key) for b in [*cycle, cycle[0]])
        msg = (
            f"{binding.key} was asked for while another thread or task was creating it, "
            f"and that one waits, through {chain}, for what this one is creating: a cycle "
            "through Provider[...] or container.get() in constructors, entered from both "
            "ends at once (it would deadlock)."
        )
        path = [str(b.key) for b in cycle]
    return ResolutionError(
        label,
        msg,
        source=str(binding.source),
        hint="call the provider later, not in the constructor.",
        path=path,
    )


def _awaited_error(binding: Binding) -> ResolutionError:
    msg = (
        f"{binding.key} was asked for by a task that the task creating it awaits (a "
        "provider awaiting work that needs what it provides): each would wait for the "
        "other forever."
    )
    return ResolutionError(
        str(binding.key),
        msg,
        source=str(binding.source),
        hint="pass what the task needs to it as an argument, or start the task after the "
        "binding is built.",
        path=[str(binding.key)],
    )


def _awaits(holder: Any, task: Any) -> bool:
    """Whether asyncio task ``holder`` awaits ``task``.

    Directly, through tasks that await it, or through `asyncio.gather`: what asyncio lets
    one see of what a task waits for (a `TaskGroup`'s wait does not name its tasks).
    """
    pending = [getattr(holder, "_fut_waiter", None)]
    seen: set[int] = set()
    while pending:
        future = pending.pop()
        if future is None or id(future) in seen:
            continue
        if future is task:
            return True
        seen.add(id(future))
        pending.append(getattr(future, "_fut_waiter", None))  # a task: what it awaits
        pending.extend(getattr(future, "_children", ()) or ())  # gather's future
    return False


class _Waiter:
    """One actor waiting for a claim to end: a lock to block on, or a future to await."""

    __slots__ = ("actor", "creation", "error", "future", "lock", "loop", "owner")

    def __init__(self, creation: Creation, owner: Owner, actor: Any, *, is_async: bool) -> None:
        self.creation = creation
        self.owner = owner
        self.actor = actor
        self.error: Exception | None = None  # the creator's failure, shared with its waiters
        if is_async:
            self.loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
            self.future: asyncio.Future[None] | None = self.loop.create_future()
            self.lock: threading.Lock | None = None
        else:
            self.loop = self.future = None
            self.lock = threading.Lock()
            self.lock.acquire()

    def wake(self, error: Exception | None) -> None:
        """End the wait (called once, by whoever ends the claim)."""
        self.error = error
        if self.lock is not None:
            self.lock.release()
            return
        assert self.loop is not None
        with contextlib.suppress(RuntimeError):  # its loop is closed: nobody waits now
            self.loop.call_soon_threadsafe(_settle, self.future)

    def wait_sync(self) -> None:
        assert self.lock is not None
        try:
            self.lock.acquire()
        finally:
            self._leave()
        if self.error is not None:
            raise self.error

    async def wait_async(self) -> None:
        assert self.future is not None
        try:
            await self.future  # cancelling this waiter cancels only its own future
        finally:
            self._leave()
        if self.error is not None:
            raise self.error

    def _leave(self) -> None:
        if _WAITING.get(self.actor, (None, None))[0] is self.creation:
            _WAITING.pop(self.actor, None)
        self.creation._drop(self.owner, self)


def _settle(future: asyncio.Future[None] | None) -> None:
    if future is not None and not future.done():
        future.set_result(None)


def creation_lines(
    *, is_async: bool, deep: bool, notify: bool, probed: bool = False
) -> tuple[list[str], list[str]]:
    """The generated create function of one binding, around the lines that construct it.

    One template for both faces (they differ only by ``await``). The uncontended case (the
    claim won, the instance not there yet, the scope open) runs inline: it is on every
    request's path. Everything else is a call into the binding's `Creation` record.

    The claim is the local ``k`` and the owning scope the local ``s`` of every function made
    from this template (`_own_claims` reads them off the stack).

    Args:
        is_async: The async face (``await`` where the sync face calls).
        deep: Create the deep prerequisites first (`Creation.prepare_sync`).
        notify: Always call `Creation.published` (singletons: it publishes to get()).
        probed: The caller's lines before these bound ``sc`` to ``s.cache`` already.

    Returns:
        The body's lines before the construction (ending in ``try:``), and the lines after
        it; the construction goes between, indented by eight, and stores the instance in
        ``done``. The function's ``def`` line is the caller's; ``s`` is the owning scope.
    """
    aw = "await " if is_async else ""
    face = "async" if is_async else "sync"
    before = [
        *([f"    {aw}REC.prepare_{face}(s)"] if deep else []),
        *([] if probed else ["    sc = s.cache"]),
        "    k = [TASK()]" if is_async else "    k = []",
        # A singleton's claim ends once it is cached (see `Creation.published`): a caller
        # that missed the cache before then finds the instance after winning the claim.
        f"    if sc.setdefault(REC, k) is not k or s.closed{' or B in sc' if notify else ''}:",
        f"        done = {aw}REC.contended_{face}(s, k)",
        "        if done is not MINE:",
        "            return done",
        "    try:",
    ]
    after = [
        "    except BaseException as e:",
        "        if isinstance(e, Exception):",
        "            trace_at(e, PATHS)",
        "        REC.failed(s, k, e)",
        "        raise",
        "    sc[B] = done",
        *(["    REC.published(s, done)"] if notify else []),
        *([] if notify else ["    if REC.waiters or s.closed:", "        REC.published(s, done)"]),
        "    return done",
    ]
    return before, after


class Creation:
    """The creation record of one cached binding: who is creating it where, who waits.

    Its generated create function (see `creation_lines`) is ``create``, set once compiled.

    Args:
        binding: The binding it creates.
        is_async: Whether its create function must be awaited.
        on_created: Called with the binding and the instance once it is cached.
        depth: How many cached levels the binding's tree has (itself included).
        links: The cached bindings its construction probes, reached through transients.
        lookup: The record of a dependency (compiled on first use).
        trace: Prepends resolution-path labels to an exception that passes through.
        root: The container's root scope, owner of every singleton.
    """

    __slots__ = (
        "binding",
        "create",
        "deep",
        "is_async",
        "links",
        "lock",
        "lookup",
        "on_created",
        "root",
        "trace",
        "waiters",
    )

    def __init__(
        self,
        binding: Binding,
        *,
        is_async: bool,
        on_created: Callable[[Binding, Any], None] | None,
        depth: int,
        links: tuple[Binding, ...],
        lookup: Callable[[Binding], Creation],
        trace: Callable[[BaseException, tuple[str, ...]], None],
        root: Owner,
    ) -> None:
        self.binding = binding
        self.is_async = is_async
        self.on_created = on_created
        self.deep = depth > SHALLOW
        self.links = links
        self.lookup = lookup
        self.trace = trace
        self.root = root
        self.create: Callable[[Owner], Any] = _uncompiled
        self.waiters: dict[Owner, list[_Waiter]] = {}  # guarded by lock
        self.lock = threading.Lock()  # this binding's own: only taken to wait or to wake

    def __repr__(self) -> str:
        return f"<Creation {self.binding.key}>"

    def namespace(self) -> dict[str, Any]:
        """What the generated create function refers to."""
        return {
            "REC": self,
            "B": self.binding,
            "MINE": _MINE,
            "TASK": asyncio.current_task,
        }

    # -- the two faces of the slow path: the same but for the awaits ------------------------

    def contended_sync(self, owner: Owner, claim: Claim) -> Any:
        """Past a first claim that did not simply win: `MINE` once claimed, or the instance."""
        state = self._settle(owner, claim, is_async=False)
        while state.__class__ is _Waiter:
            state.wait_sync()
            state = self._claim(owner, claim, is_async=False)
        return state

    async def contended_async(self, owner: Owner, claim: Claim) -> Any:
        """Past a first claim that did not simply win: `MINE` once claimed, or the instance."""
        state = self._settle(owner, claim, is_async=True)
        while state.__class__ is _Waiter:
            await state.wait_async()
            state = self._claim(owner, claim, is_async=True)
        return state

    def prepare_sync(self, owner: Owner) -> None:
        """Create the deep prerequisites missing in their scopes, bottom-up.

        The garbage collector is paused meanwhile (thousands of instances that all survive;
        it would traverse them again and again); the async face, which awaits user code,
        leaves it running.
        """
        with gc_paused:
            for creation, where, frames in self._plan(owner):
                try:
                    creation.create(where)
                except BaseException as exc:
                    self.trace(exc, _labels(frames, creation))
                    raise

    async def prepare_async(self, owner: Owner) -> None:
        """Create the deep prerequisites missing in their scopes, bottom-up (async face)."""
        for creation, where, frames in self._plan(owner):
            try:
                if creation.is_async:
                    await creation.create(where)
                else:
                    creation.create(where)
            except BaseException as exc:
                self.trace(exc, _labels(frames, creation))
                raise

    # -- the decisions both faces share -----------------------------------------------------

    def holder(self, owner: Owner) -> Claim | None:
        """The live claim of this binding in ``owner``: None when nobody is creating it.

        A claim stays in the cache after its instance was cached there; it is live only
        while that instance is not.
        """
        cache = owner.cache
        claim: Claim | None = cache.get(self)
        if claim is None or self.binding in cache:
            return None
        return claim

    def forget(self, owner: Owner) -> None:
        """Drop the instance cached in ``owner`` and its claim (the claim first).

        The next resolution there creates a new instance.
        """
        owner.cache.pop(self, None)
        owner.cache.pop(self.binding, None)

    def _settle(self, owner: Owner, claim: Claim, *, is_async: bool) -> Any:
        if owner.cache.get(self) is claim:  # won, but the scope closed
            self._release(owner, claim)
        return self._claim(owner, claim, is_async=is_async)

    def _claim(self, owner: Owner, claim: Claim, *, is_async: bool) -> Any:
        """Claim creation in ``owner``: `MINE`, else the cached instance or a `_Waiter`."""
        binding = self.binding
        cache = owner.cache
        while True:
            value = cache.get(binding, _MISSING)
            if value is not _MISSING:
                return value
            if owner.closed:
                raise closed_error(binding, owner)
            holder = cache.setdefault(self, claim)
            if holder is claim:
                # Closed meanwhile, or a singleton cached meanwhile (whose claim had ended
                # since the look above): give the claim back and look again.
                if not owner.closed and binding not in cache:
                    return _MINE
                self._release(owner, claim)
                continue
            if binding in cache:  # a finished claim: its instance is there
                continue
            own = _own_claims()
            if any(mine is holder for mine in own):
                raise _cycle_error(binding, None)
            actor = asyncio.current_task() if is_async else threading.get_ident()
            if is_async and holder and _awaits(holder[0], actor):
                raise _awaited_error(binding)
            for mine in own:  # name the claims it holds, for whoever walks the graph
                if not mine:
                    mine.append(actor)
            waiter = _Waiter(self, owner, actor, is_async=is_async)
            with self.lock:
                self.waiters.setdefault(owner, []).append(waiter)
            # Registered first, then looked: a creator publishes (or releases) first, then
            # looks for waiters, so at least one of the two sees the other.
            if self.holder(owner) is not holder:
                self._drop(owner, waiter)
                continue
            _WAITING[actor] = (self, owner)
            cycle = self._waits_for(owner, actor)
            if cycle is not None:
                _WAITING.pop(actor, None)
                self._drop(owner, waiter)
                raise _cycle_error(binding, cycle)
            return waiter

    def _waits_for(self, owner: Owner, actor: Any) -> list[Binding] | None:
        """The bindings on a chain of waits from this claim back to ``actor``, if any."""
        chain: list[Binding] = []
        creation, where = self, owner
        for _ in range(len(_WAITING) + 1):
            chain.append(creation.binding)
            holder = creation.holder(where)
            if not holder:  # none, or its holder never waited: not on a chain of waits
                return None
            if holder[0] is actor or holder[0] == actor:
                return chain
            step = _WAITING.get(holder[0])
            if step is None:
                return None
            creation, where = step
        return None

    def failed(self, owner: Owner, claim: Claim, error: BaseException) -> None:
        """The creation under ``claim`` raised: end the claim.

        Its waiters share an ordinary failure (each would likely fail the same way, one
        after the other); a cancellation, `KeyboardInterrupt` or `SystemExit` belongs to
        the creator alone, so the next waiter takes creation over.
        """
        self._release(owner, claim, error if isinstance(error, Exception) else None)

    def _release(self, owner: Owner, claim: Claim, error: Exception | None = None) -> None:
        cache = owner.cache
        if cache.get(self) is claim:
            with contextlib.suppress(KeyError):  # a racing close cleared the cache
                del cache[self]
        self._wake(owner, error)

    def _wake(self, owner: Owner, error: Exception | None) -> None:
        """Wake whoever waits for a claim in ``owner`` that has ended (they look again)."""
        if self.waiters:
            with self.lock:
                waiting = self.waiters.pop(owner, ())
            for waiter in waiting:
                waiter.wake(error)

    def _drop(self, owner: Owner, waiter: _Waiter) -> None:
        with self.lock:
            waiting = self.waiters.get(owner)
            if waiting is not None and waiter in waiting:
                waiting.remove(waiter)
                if not waiting:
                    del self.waiters[owner]

    def published(self, owner: Owner, value: Any) -> None:
        """After an instance was cached and its claim ended: closing, waiters, callback."""
        binding = self.binding
        if owner.closed:  # closed while it was being built: it must not be served
            self.forget(owner)
            self._wake(owner, None)
            raise closed_error(binding, owner)
        if self.on_created is not None:
            # A singleton: its claim ends now, so nothing of its creation stays behind (its
            # create function, this record) once the callback lets them go.
            owner.cache.pop(self, None)
            self._wake(owner, None)
            self.on_created(binding, value)
            return
        self._wake(owner, None)

    # -- deep graphs ------------------------------------------------------------------------

    def owner_from(self, where: Owner) -> Owner | None:
        """The scope that owns this binding's instance, seen from ``where`` (None: none)."""
        if self.binding.scope == SINGLETON:
            return self.root
        name = self.binding.scope
        state: Owner | None = where
        while state is not None and state.name != name:
            state = state.parent
        return state

    def _plan(self, owner: Owner) -> Iterator[tuple[Creation, Owner, list[Any]]]:
        """The deep prerequisites missing from their scopes, each after its own ones.

        A depth-first walk with an explicit stack instead of recursion. Yields each record
        with the scope to build it in and the live stack of frames above it (for the
        resolution path, should building it fail).
        """
        frames: list[Any] = [(self, owner, iter(self.links))]
        while frames:
            creation, where, links = frames[-1]
            for dep in links:
                if dep.scope == SINGLETON and dep in self.root.cache:
                    continue  # created already (its record may have been let go)
                record = creation.lookup(dep)
                if not record.deep:
                    continue  # its parent's construction builds it, recursing a few levels
                target = record.owner_from(where)
                if target is None or dep in target.cache:
                    continue  # none: the parent's construction reports the missing scope
                frames.append((record, target, iter(record.links)))
                break
            else:
                frames.pop()
                if frames:
                    yield creation, where, frames


def _own_claims() -> list[Claim]:
    """The live claims held by the creation frames on the running stack (this actor's)."""
    found: list[Claim] = []
    frame: FrameType | None = sys._getframe(1)  # only when a claim is contended
    while frame is not None:
        record = frame.f_globals.get("REC")
        if frame.f_globals.get("MINE") is _MINE and isinstance(record, Creation):
            local = frame.f_locals
            claim: Claim | None = local.get("k")
            owner: Owner | None = local.get("s")
            if claim is not None and owner is not None and record.holder(owner) is claim:
                found.append(claim)
        frame = frame.f_back
    return found


def _uncompiled(owner: Owner) -> Any:  # pragma: no cover - replaced before first use
    msg = "creation record used before its create function was compiled"
    raise AssertionError(msg)


def _labels(frames: list[Any], creation: Creation) -> tuple[str, ...]:
    """The resolution path from the bottom frame down to (not including) ``creation``."""
    chain = [frame[0].binding for frame in frames] + [creation.binding]
    labels: list[str] = []
    for parent, child in itertools.pairwise(chain):
        labels += path_between(parent, child)
    return tuple(labels)
