"""What the property tests pass as arguments: the widths with operations on this machine, and
memory orders in every form an order argument takes (a member, its int value, None or left
out; positional or by keyword).
"""

from hypothesis import strategies as st

import atomics
from atomics import MemoryOrder as MO

from _cpu import CAS16
from _model import ALL_ORDERS, VALID_FAIL


# width 16 where the CPU has it, read from the CPU (_cpu.py), never from the library
WIDTHS = [1, 2, 4, 8] + ([16] if CAS16 else [])

DEFAULT = object()  # sentinel: leave the order argument out (default SEQ_CST)


def order_args(allowed):
    """(argument to pass, order it means): a member, its plain int value (accepted: MemoryOrder
    is an IntEnum), and -- where SEQ_CST is allowed -- an omitted argument or None."""
    choices = [st.sampled_from([(o, o) for o in allowed]),
               st.sampled_from([(o, o) for o in allowed]),
               st.sampled_from([(int(o), o) for o in allowed])]
    if MO.SEQ_CST in allowed:
        choices.append(st.sampled_from([(DEFAULT, MO.SEQ_CST), (None, MO.SEQ_CST)]))
    return st.one_of(*choices)


def cmpxchg_order_args():
    return order_args(ALL_ORDERS).flatmap(
        lambda succ: order_args(VALID_FAIL[succ[1]]).map(lambda fail: (succ, fail)))


def call(obj, name, args, order, positional):
    """obj.name(*args[, order]) with the order positional, by keyword, or left out."""
    method = getattr(obj, name)
    if order is DEFAULT:
        return method(*args)
    if positional:
        return method(*args, order)
    return method(*args, order=order)
