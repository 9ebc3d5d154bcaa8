"""Compile recorded elements into an immutable, validated graph.

The compiler runs no user code. Compiling happens in phases, each over what is new only
(an ``install()`` on top of a graph compiles the new elements plus the bindings that asked
for one of their keys; everything else is kept as it is):

1. **Winners** (`Compiler.add_elements`): per key and name, the element that binds it;
   a binding made inside a private module is keyed in that module's space, or in the space
   around when it is exposed (`injectq._private.place`).
   Defaults give way, overrides replace, two in one layer are a duplicate; misuse recorded
   by the DSL is reported, and its key is *claimed* so nothing that needs it is reported
   again. ``multibind`` and ``decorate`` elements are set aside, and once every layer is
   in, `injectq._assemble` drafts them (each element under a hidden key, and the
   collection bound to ``list[T]``; a decorated binding moved inside its decorators).
2. **Drafts** (`Compiler._draft`): each winner becomes a draft: the frozen head of its
   `Binding` (scope, call kind, lifecycle) plus its target's signature, read once
   (`injectq._drafts.make_draft`). The target is checked (abstract, wrong type, wrong
   instance).
3. **Dependencies** (`Compiler.resolve_all`): every parameter of every draft goes through
   the one planner (`injectq._plan.plan_param`), looking its key up from the draft's own
   space outwards; a concrete class that is needed but not bound becomes a just-in-time
   draft, queued in turn (breadth first, a deque), and one made inside a private module
   moves out as far as it can (`injectq._private.hoist`).
4. **Checks** (`injectq._checks`): cycles, then captive dependencies; which drafts need an
   ``await``. Every problem found in phases 1-4 is raised together in one `BindingError`.
5. **Build** (`injectq._build.build`): drafts become frozen `Binding` nodes bottom-up; a node
   whose element and dependencies did not change is the previous graph's node, so the
   instances cached for it survive; then the new `Graph` is assembled from the old one's
   indexes plus the new nodes (`injectq._nodes.next_graph`), and the old one's
   just-in-time nodes that are still valid are carried over.

The entry points that run these phases in order are in `injectq._compile`.

The result is a DAG of frozen `Binding` nodes that compare by identity. Just-in-time
bindings that ``get()`` needs later are compiled the same way against the graph and kept in
its overlay (`Graph.jit`, Guice's ``jitBindings``), so the graph is never copied for them.
"""

from __future__ import annotations

import typing
from collections import deque
from collections.abc import Iterator
from typing import Any

import injectq._checks as checks
import injectq._composite_checks as composite
import injectq._graph_checks as graph_checks
import injectq._keychecks as keychecks
import injectq._points as points
import injectq._products as products
from injectq._drafts import Draft as _Draft
from injectq._drafts import make_draft
from injectq._keys import Key, describe, key_problem, origin_of, product_key
from injectq._marks import SINGLETON, TRANSIENT, class_scope
from injectq._module import Element, Space, TargetKind
from injectq._nodes import (
    Binding,
    Dep,
    Graph,
    OpenBinding,
    is_composite,
    open_keepers,
    plain_jit,
)
from injectq._open import derive, is_open, open_param, register, replaced_by_open
from injectq._plan import Refusal, Strategy, plan_param
from injectq._private import chain, hoist, keepers, place, visible
from injectq._source import Source, object_source
from injectq.errors import BindingError, CircularDependencyError, Problem

__all__ = ["Binding", "Compiler", "Dep", "Graph", "Strategy"]


class Compiler:
    """One compile: new drafts over a base graph whose other nodes are kept as they are."""

    def __init__(self, base: Graph, previous: Graph | None, *, overlay: bool = False) -> None:
        self.base = base
        self.previous = previous
        self.overlay = overlay  # compiling just-in-time bindings into base's overlay
        self.strict = base.strict
        self.container_type = base.container_type
        self.drafts: dict[Key, _Draft] = {}
        self.order: list[Key] = []
        self.problems: list[Problem] = []
        self.missing: dict[int, tuple[Key, list[str]]] = {}
        self.has_cycle = False
        self.pending: deque[_Draft] = deque()
        self.replaced: set[Key] = set()
        self.claimed_keys: set[Key] = set()
        self.current: _Draft | None = None  # the draft whose parameters are being planned
        self.current_param = ""
        # Per plain key, the bindings kept inside private modules drafted now (the base
        # graph's are in base.private): what a "not exposed" problem names.
        self.private: dict[Key, list[Any]] = {}
        self.private_jit: list[_Draft] = []  # just in time inside a private module
        # Phase 1 sets these aside for `injectq._assemble`: per element type, its multibind
        # elements (declarations too), and per key, its decorators, in install order.
        self.multi: dict[Any, list[Element]] = {}
        # Open generic bindings by open key; those added now; closed keys tried already.
        self.generics: dict[Key, OpenBinding] = dict(base.generics)
        self.open_added: list[Key] = []
        self.underived: set[Key] = set()
        self.asked_by = ""  # for a just-in-time root: who asked ("get(Repo[User])")
        self.decorators: dict[Key, list[Element]] = {}

    # -- phase 1: winners -----------------------------------------------------------------

    def add_elements(self, elements: tuple[Element, ...], *, overriding: bool) -> None:
        groups: dict[Key, list[Element]] = {}
        placement = place(elements)
        self.problems.extend(placement.problems)
        for el in elements:
            problem = key_problem(el.key)
            if el.multi or el.kind == TargetKind.DECORATOR:
                self._set_aside(el, problem, placement.keys.get(id(el)))
                continue
            if el.problems:
                self.problems.extend(checks.element_problems(el))
                if problem is None and el.kind != TargetKind.EXPOSE:
                    self.claimed_keys.add(placement.keys[id(el)])
                continue
            if problem is not None:
                self.problems.append(checks.invalid_key(el, problem))
                continue
            if el.kind == TargetKind.EXPOSE:
                continue
            groups.setdefault(placement.keys[id(el)], []).append(el)
        for key, group in groups.items():
            # The non-defaults, else the defaults; one element is itself either way (and
            # makes no comprehension frame: install is hot).
            chosen = group if len(group) == 1 else [e for e in group if not e.default] or group
            kept: Any = None
            if not overriding:
                kept = self.generics.get(key) if is_open(key) else self.base.bindings.get(key)
            if kept is not None and not kept.jit:
                assert kept.record is not None
                if chosen[0].default and not kept.record.default:
                    continue  # the new element is a default; the installed binding stays
                if not kept.record.default or chosen[0].default:
                    chosen = [kept.record, *chosen]
            if len(chosen) > 1:
                for el in chosen:  # still report what else is wrong with each of them
                    self._draft(key, el, keep=False)
                sources = [e.source for e in chosen]
                self.problems.append(checks.duplicate(key, sources, overriding=overriding))
                continue
            if kept is not None:
                self.replaced.add(key)
            draft = self._draft(key, chosen[0])
            if draft is not None and key not in self.drafts:
                self.order.append(key)
            if draft is not None:
                self.drafts[key] = draft
                if key.space is not None:
                    self.private.setdefault(Key(key.tp, key.name), []).append(draft)

    def _set_aside(self, el: Element, problem: str | None, key: Key | None) -> None:
        """Keep a multibind or decorate element for `injectq._assemble`, or report it.

        ``key`` is where a decorator's key is visible (its private module's space).
        """
        if problem is not None:
            self.problems.append(checks.invalid_key(el, problem))
            return
        if el.problems:
            self.problems.extend(checks.element_problems(el))
        if el.multi:  # one with problems still declares the collection: it was meant
            self.multi.setdefault(el.key, []).append(el)
        elif key is not None and not el.problems:
            self.decorators.setdefault(key, []).append(el)

    def add_draft(self, key: Key, draft: _Draft) -> None:
        """Put ``draft`` in the graph being compiled under ``key``, in install order."""
        if key not in self.drafts:
            self.order.append(key)
        self.drafts[key] = draft

    def recompile_askers(self) -> bool:
        """Redraft every kept binding that asked, directly or not, for a key drafted now.

        Returns False, leaving this compiler unusable, when one of them is part of a
        collection or a decorator chain: those are compiled with the whole graph.
        """
        frontier: list[Any] = []
        for key in self.order:
            frontier.append(key)
            if key.name is not None:
                frontier.append(("map", key.tp))
        frontier.extend(("generic", typing.get_origin(k.tp)) for k in self.open_added)
        for key in replaced_by_open(self):  # built just in time, now an open binding's
            self.replaced.add(key)
            frontier.append(key)
        asked = self.base.asked
        while frontier:
            for asker in asked.get(frontier.pop(), ()):
                if asker in self.drafts:
                    continue
                old = self.base.bindings[asker]
                if is_composite(old):
                    return False
                self.replaced.add(asker)
                if old.jit:
                    draft = (derive(self, asker) if old.closes is not None else None) or self.jit(
                        asker, home=asker.space
                    )
                else:
                    draft = self._draft(asker, old.record)
                    if draft is not None:
                        self.drafts[asker] = draft
                        self.order.append(asker)
                if draft is None:
                    continue
                frontier.append(asker)
                if asker.name is not None:
                    frontier.append(("map", asker.tp))
        return True

    # -- phase 2: drafts ------------------------------------------------------------------

    def _draft(self, key: Key, el: Element | None, *, keep: bool = True) -> _Draft | None:
        assert el is not None
        if is_open(key):  # not a node: each closed key it serves is drafted when needed
            register(self, key, el, keep=keep)
            return None
        kind, target = el.kind, el.target
        if kind == TargetKind.SELF:
            kind, target = TargetKind.CLASS, el.key
        distinct = list(dict.fromkeys(el.scopes)) if el.scopes else []
        scope = distinct[-1] if distinct else None
        problem = checks.scope_problem(el, key, scope, distinct)
        if problem is not None:
            self.problems.append(problem)
            return None
        if el.eager or kind == TargetKind.INSTANCE:
            scope = SINGLETON
        elif scope is None:
            scope = (class_scope(target) if kind == TargetKind.CLASS else None) or TRANSIENT
        return self.head(key, el, kind, target, scope=scope, source=el.source, keep=keep)

    def head(
        self,
        key: Key,
        el: Element | None,
        kind: str,
        target: Any,
        *,
        scope: str,
        source: Source,
        keep: bool = True,
        typevars: dict[Any, Any] | None = None,
        decorator: bool = False,
    ) -> _Draft | None:
        """A draft's frozen head and signature, after checking its target (`make_draft`)."""
        made = make_draft(
            key,
            el,
            kind,
            target,
            scope=scope,
            source=source,
            typevars=typevars,
            decorator=decorator,
        )
        if isinstance(made, Problem):
            self.problems.append(made)
            return None
        return made if keep else None

    # -- phase 3: dependencies ------------------------------------------------------------

    def resolve_all(self) -> None:
        for key in self.order:
            draft = self.drafts[key]
            if not draft.queued:
                draft.queued = True
                self.pending.append(draft)
        while self.pending:
            self._resolve_deps(self.pending.popleft())
        if self.private_jit:
            hoist(self)

    # The planner's context (injectq._plan.Context).

    @property
    def home(self) -> Space | None:
        """Where the parameters being planned are looked up: their binding's space."""
        return self.current.home if self.current is not None else None

    def lookup(self, key: Key) -> Any:
        return self.lookup_in(key, self.home)

    def lookup_in(self, key: Key, home: Space | None) -> Any:
        """The node ``key`` (its space aside) names for a lookup starting in ``home``."""
        if home is None:
            found = self.find(key)
            if found is None and self.generics:
                return derive(self, key)  # a closed key an open binding serves
            return found
        # Inside a private module: its own keys first, then the spaces around it. A
        # just-in-time node of an outer space is not taken as it is: the class is planned
        # here, and moves out when it needs nothing private (`hoist`). In each space a
        # binding of the key wins over an open binding that would serve it.
        for space in chain(home):
            k = Key(key.tp, key.name, space)
            found = self.find(k)
            if found is not None and (space is home or not plain_jit(found)):
                return found
            if self.generics:
                derived = derive(self, k)
                if derived is not None:
                    return derived
        return None

    def find(self, key: Key) -> Any:
        """The node of exactly ``key`` (space included) in this compile, or None."""
        draft = self.drafts.get(key)
        if draft is not None:
            return draft
        if key in self.replaced:
            return None
        return self.base.find(key) if self.overlay else self.base.bindings.get(key)

    def wrapped(self, key: Key) -> Any:
        current = self.current
        if current is None or current.decorates is None:
            return None
        decorated = current.decorates
        if key.tp == decorated.tp and key.name in (None, decorated.name):
            return current.wraps
        return None

    def claimed(self, key: Key) -> bool:
        return any(Key(key.tp, key.name, s) in self.claimed_keys for s in chain(self.home))

    def named_of(self, tp: Any) -> list[tuple[str, Any]]:
        if self.generics and not isinstance(tp, type):  # named open bindings serving tp
            for open_key in list(self.generics):
                if open_key.name is not None and visible(open_key, self.home):
                    self.lookup(Key(tp, open_key.name))
        items = [(n, self.drafts.get(Key(tp, n)) or b) for n, b in self.base.named.get(tp, ())]
        names = {n for n, _ in items}
        items.extend(
            (k.name, self.drafts[k])
            for k in self.order
            if k.tp == tp and k.name is not None and k.space is None and k.name not in names
        )
        home = self.home
        if home is None:
            return items
        by_name = dict(items)  # inner spaces shadow outer ones, name by name
        for space in reversed(chain(home)[:-1]):
            for k, node in self._bound():
                if k.space is space and k.tp == tp and k.name is not None:
                    by_name[k.name] = node
        return list(by_name.items())

    def jit(self, key: Key, *, home: Space | None = None) -> _Draft | None:
        """A just-in-time draft of ``key``, planned from ``home`` (default: the asker's)."""
        if home is None:
            home = self.home
        key = Key(key.tp, key.name, home)
        inner = product_key(key)
        if inner is not None:
            return self._factory(key, inner)
        if self.jit_reason(key) is not None:
            return None
        found = self.drafts.get(key)
        if found is not None:
            return found
        target = key.tp
        origin = origin_of(target)
        draft = self.head(
            key,
            None,
            TargetKind.CLASS,
            target,
            scope=class_scope(target) or TRANSIENT,
            source=object_source(origin),
        )
        assert draft is not None  # jit_reason ruled out what the target check reports
        draft.needed_by, draft.needed_as = self.current, self.current_param
        self.drafts[key] = draft
        self.order.append(key)
        if home is not None:
            self.private_jit.append(draft)
        if self.pending or self.current is not None:  # resolving: queue it now
            draft.queued = True
            self.pending.append(draft)
        return draft

    def _factory(self, key: Key, inner: Key) -> _Draft | None:
        """The factory ``Factory[T]`` (``key``) of ``inner``: made once per compile, queued.

        Its product is a transient draft of what ``inner`` is bound to (a class or a provider),
        or of ``inner``'s class made just in time, that no index holds: the factory builds it.
        None when there is nothing to build; a problem is reported when ``inner`` is bound to
        something a factory cannot build anew.
        """
        found = self.drafts.get(key)
        if found is not None or key in self.claimed_keys:
            return found
        home = key.space  # planned from where it was asked for, as a just-in-time class
        if any(Key(inner.tp, inner.name, s) in self.claimed_keys for s in chain(home)):
            self.claimed_keys.add(key)  # its binding's own problem is reported already
            return None
        node = self.lookup_in(inner, home)
        asker, param = self.current, self.current_param
        if node is not None and composite.is_decorated(node):
            self.problems.append(composite.factory_of_decorated(key, node, asker, param, self))
            self.claimed_keys.add(key)
            return None
        if node is not None and not products.can_build(node):
            self.problems.append(products.factory_target(key, node, asker, param, self.where))
            self.claimed_keys.add(key)
            return None
        made = products.product_target(node, inner, buildable=self.jit_reason(inner) is None)
        if made is None:
            return None
        kind, target, source = made
        # A product of a binding carries that binding's record: it is compiled anew with it.
        record = None if node is None else products.record_of(node)
        product = self.head(inner, record, kind, target, scope=TRANSIENT, source=source)
        if product is None:
            return None
        if node is not None:  # planned from where its binding is (inside a private module)
            product.home = node.home if isinstance(node, _Draft) else products.home_of(node)
        head = products.factory_head(key, source)
        factory = _Draft(head, None, product=product, needed_by=asker, needed_as=param, home=home)
        product.product_of, product.needed_by = key, factory
        product.bound = node is not None and not node.jit
        self.drafts[key] = factory
        self.order.append(key)
        if self.pending or self.current is not None:  # resolving: queue it now
            factory.queued = True
            self.pending.append(factory)
        return factory

    def jit_reason(self, key: Key) -> str | None:
        """Why ``key`` cannot be constructed just in time, or None when it can."""
        if product_key(key) is not None:
            return None  # a factory is made whenever its product can be built
        if key.name is not None:
            return "it is a named key, and named keys are never created just in time"
        if self.strict:
            return "is not bound and the container is strict (no just-in-time bindings)"
        kept = self.keepers(key)
        if kept:
            return f"is bound inside {kept[0].key.space.module}, which does not expose it"
        return checks.construct_problem(key.tp, jit=True)

    def keepers(self, key: Key) -> list[Any]:
        """The bindings of ``key`` inside private modules that the asker cannot see."""
        home = self.home if key.space is None else key.space
        plain = Key(key.tp, key.name)
        kept = keepers([*self.base.private.get(plain, ()), *self.private.get(plain, ())], home)
        kept.extend(b for b in open_keepers(self.generics, key) if not visible(b.key, home))
        return kept

    def _resolve_deps(self, draft: _Draft) -> None:
        product = draft.product
        if product is not None and not product.queued:
            product.queued = True
            self.pending.append(product)
        sig = draft.sig
        if sig is None:
            return
        problem = checks.signature_problem(
            draft.head.key,
            sig,
            is_class=draft.head.kind == TargetKind.CLASS,
            where=lambda: self.where(draft),
        )
        if problem is None and draft.decorates is not None:
            problem = composite.decorator_parameter_problem(
                draft.decorates, draft.head.target, sig, lambda: self.where(draft)
            )
        if problem is not None:
            self.problems.append(problem)
            return
        self.current = draft
        refused: list[Refusal] = []
        for param in sig.params:
            self.current_param = param.name
            planned = plan_param(param, self)
            if isinstance(planned, Refusal):
                refused.append(planned)
            else:
                draft.deps.append(planned)
        self.current = None
        if not refused:
            return
        refused = [r for r in refused if r.code != "claimed"]
        if not refused:
            return
        if (
            plain_jit(draft)
            and draft.product_of is None
            and any(checks.blames_owner(r) for r in refused)
        ):
            self._jit_failed(draft, refused)
            return
        for r in refused:
            self._refused(draft, sig.owner, r)

    def _refused(self, draft: _Draft, owner: str, r: Refusal) -> None:
        if r.code == "open-key" and draft.head.closes is not None:
            open_param(self, draft, owner, r.param)  # a type variable the key does not fill
            return

        def missing() -> tuple[str, ...]:
            assert r.key is not None
            lines: list[str] = []
            close = checks.suggestions(r.key, self._public())
            if close:
                lines.append("Did you mean: " + " or ".join(close) + "?")
            reason = self.jit_reason(r.key)
            if reason is not None and r.key.name is None and isinstance(r.key.tp, type):
                lines.append(f"Not created just in time: {describe(r.key.tp)} {reason}.")
            return tuple(lines)

        kept = self.keepers(r.key) if r.key is not None and r.code == "missing-binding" else []
        if kept:
            assert r.key is not None
            problem = keychecks.not_exposed(r.key, r.param, owner, self.where(draft), kept)
        else:
            problem = checks.refusal_problem(
                r, owner, lambda: self.where(draft), missing, factory=draft.product_of
            )
        self.problems.append(problem)
        if r.key is not None and problem.code in ("missing-binding", "not-exposed"):
            self.missing[id(problem)] = (r.key, [*self.path(draft), str(r.key)])

    def _jit_failed(self, draft: _Draft, refused: list[Refusal]) -> None:
        """One problem for a just-in-time class that cannot be built: bind the class."""
        asker = draft.needed_by
        why = f"because {asker.key} needed it" if asker is not None else f"for {draft.asked_by}"
        if asker is not None and asker.sig is not None:
            lines = (
                f"Requested by: parameter '{draft.needed_as}' of {asker.sig.owner}",
                *self.where(asker),
            )
        else:
            lines = (f"Requested by: {draft.asked_by}",) if draft.asked_by else ()
        asked = Problem("missing-binding", "", lines)
        texts = [(r, checks.refusal_text(r)) for r in refused]
        problem = checks.jit_failed(draft.key, why, texts, asked)
        self.problems.append(problem)
        self.missing[id(problem)] = (draft.key, self.path(draft))

    def where(self, draft: _Draft) -> tuple[str, ...]:
        """Where a draft was bound, or the chain of why it was created just in time."""
        made = products.made_where(draft, self.where)
        if made is not None:  # a factory, or what it builds
            return made
        if draft.decorates is not None:
            name = composite.decorator_name(draft.head.target)
            return (f"{draft.decorates} decorated by {name} at: {draft.source}",)
        if not draft.jit:
            return (f"{draft.key} bound at: {draft.source}",)
        if draft.head.closes is not None:
            open_key = describe(draft.head.closes, draft.key.name)
            return (f"{draft.key} served by the open binding {open_key}, bound at: {draft.source}",)
        asker = draft.needed_by
        if asker is None:
            why = f" for {draft.asked_by}" if draft.asked_by else ""
            return (f"{draft.key} created just in time{why}",)
        return (
            f"{draft.key} created just in time because {asker.key} needed it",
            *self.where(asker),
        )

    def path(self, draft: _Draft) -> list[str]:
        """The keys from the root request down to ``draft``."""
        out: list[str] = []
        node: _Draft | None = draft
        while node is not None:
            out.append(str(node.key))
            node = node.needed_by
        return out[::-1]

    def _bound(self) -> Iterator[tuple[Key, Any]]:
        for key in self.order:
            yield key, self.drafts[key]
        for key, binding in self.base.bindings.items():
            if key not in self.drafts:
                yield key, binding

    def _public(self) -> Iterator[tuple[Key, Any]]:
        return ((k, node) for k, node in self._bound() if k.space is None)

    # -- phase 4: checks ------------------------------------------------------------------

    def check(self) -> None:
        roots = [self.drafts[k] for k in self.order]
        found = graph_checks.cycles(roots, _Draft)
        if found:
            self.has_cycle = True
            self.problems.extend(found)
            return
        made = [d.product for d in roots if d.product is not None]
        self.problems.extend(graph_checks.captives(roots, self.lookup))
        self.problems.extend(products.assisted_problems([*roots, *made], self.where))
        self.problems.extend(points.scope_problems(roots, self.where))
        # `cycles` set what needs an await below the roots; a factory is sync, what it
        # builds may not be.
        for draft in made:
            graph_checks.needs_async(draft, _Draft)

    def fail(self, modules: tuple[str, ...]) -> None:
        if self.problems:
            cls = CircularDependencyError if self.has_cycle else BindingError
            raise cls(self.problems, modules)
