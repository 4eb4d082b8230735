"""Running the two keys' halves of the flow engine's work at once.

Much of it happens in OpenCV and in numpy on whole arrays, outside Python's GIL, so a second
thread really runs alongside: the work for key B goes to it while the calling thread does key A's.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
U = TypeVar("U")


def both(at_once: bool, job_a: Callable[[], T], job_b: Callable[[], U]) -> tuple[T, U]:
    """(job_a(), job_b()), the two run at the same time when `at_once`."""
    if not at_once:
        return job_a(), job_b()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="flow-key") as pool:
        future_b = pool.submit(job_b)
        try:
            result_a = job_a()
        finally:
            result_b = future_b.result()  # waited for even when job A failed: no stray thread
        return result_a, result_b
