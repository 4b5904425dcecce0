"""An ABA-safe lock-free stack with a 16-byte compare-exchange (a tagged pointer).

The stack holds the slots 0..N-1 of a free list in shared memory. Its head is one 16-byte
atomic holding (tag << 64) | (index + 1): index + 1 so that 0 means empty, and a tag that
every successful pop and push increments. A plain 8-byte head would suffer from ABA: a
thread reads head=A and next(A)=B, is delayed while others pop A, pop B and push A back, and
then its compare-exchange A -> B succeeds although B is in use. With the tag, the head that
comes back is A with another tag, and the stale compare-exchange fails.

Run: python examples/tagged_stack.py   (4 threads pop and push 20,000 times each; then the
stack must hold every slot exactly once).
"""

from __future__ import annotations

import threading

import atomics

EMPTY = 0
MASK64 = (1 << 64) - 1


class TaggedStack:
    def __init__(self, slots: int, shared: bool = False) -> None:
        self.head = atomics.atomic(16, atomics.UINT, shared=shared)
        self.next = [atomics.atomic(8, atomics.UINT, shared=shared) for _ in range(slots)]
        for i in range(slots):  # initially 0 -> 1 -> ... -> slots-1
            self.next[i].store(i + 2 if i + 1 < slots else EMPTY)
        self.head.store(1 if slots else EMPTY)

    def pop(self) -> int | None:
        """A free slot, or None when the stack is empty."""
        head = self.head.load()
        while True:
            top = head & MASK64
            if top == EMPTY:
                return None
            new = ((head >> 64) + 1) << 64 | self.next[top - 1].load()
            res = self.head.cmpxchg_weak(head, new)
            if res:
                return top - 1
            head = res.expected

    def push(self, slot: int) -> None:
        head = self.head.load()
        while True:
            self.next[slot].store(head & MASK64)
            res = self.head.cmpxchg_weak(head, ((head >> 64) + 1) << 64 | (slot + 1))
            if res:
                return
            head = res.expected

    def drain(self) -> list[int]:
        out: list[int] = []
        while (slot := self.pop()) is not None:
            out.append(slot)
        return out


def main(slots: int = 8, threads: int = 4, rounds: int = 20_000) -> None:
    stack = TaggedStack(slots)
    in_use = [atomics.atomic(4, atomics.UINT) for _ in range(slots)]
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(rounds):
                slot = stack.pop()
                if slot is None:
                    continue
                if in_use[slot].exchange(1) != 0:
                    raise AssertionError(f"slot {slot} handed out twice")
                in_use[slot].store(0)
                stack.push(slot)
        except BaseException as e:  # re-raised below
            errors.append(e)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if errors:
        raise errors[0]
    left = sorted(stack.drain())
    assert left == list(range(slots)), left
    print(f"{threads} threads x {rounds:,} pop/push: every slot came back exactly once; tag {stack.head.load() >> 64:,}")


if __name__ == "__main__":
    main()
