"""flowlib/parallel.both: the two keys' halves of the work, at once or one after the other."""

import threading

import pytest

from inbetweener.engines.flowlib.parallel import both


@pytest.mark.parametrize("at_once", [False, True])
def test_both_returns_each_result_in_its_place(at_once):
    assert both(at_once, lambda: "a", lambda: 2) == ("a", 2)


def test_at_once_the_second_job_runs_on_another_thread():
    threads = []
    both(True, lambda: threads.append(threading.get_ident()), lambda: threads.append(threading.get_ident()))
    assert len(set(threads)) == 2


def test_a_failure_in_either_job_is_raised_after_both_have_ended():
    finished = []

    def slow_b():
        finished.append("b")
        return "b"

    def failing_a():
        raise ValueError("key A")

    with pytest.raises(ValueError, match="key A"):
        both(True, failing_a, slow_b)
    assert finished == ["b"]  # the other job was waited for, not left running
    with pytest.raises(ValueError, match="key B"):
        both(True, lambda: "a", lambda: (_ for _ in ()).throw(ValueError("key B")))
