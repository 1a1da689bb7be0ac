"""Reports asked for in the chat are counted one at a time; whoever asks the same while it waits its turn shares it,
its figures or its failure, and a question asked after a count began gets a count of its own."""

import threading

import pytest

from bot.domain.report_queue import ReportQueue


def test_a_count_that_fails_fails_for_all_who_shared_it_and_the_next_question_is_counted_again():
    queue, busy, release = ReportQueue(), threading.Event(), threading.Event()
    counts = []

    def first():
        busy.set()
        assert release.wait(30)
        return "earlier figures"

    def failing():
        counts.append("failing")
        raise RuntimeError("the database went away")

    running = queue.submit("7d", first)
    assert busy.wait(30)
    shared = [queue.submit("today", failing) for _ in range(3)]
    release.set()

    assert running.result(30) == "earlier figures"
    for answer in shared:
        with pytest.raises(RuntimeError, match="went away"):
            answer.result(30)
    assert counts == ["failing"], "counted once for the three who asked"
    assert queue.submit("today", lambda: "figures").result(30) == "figures"


def test_a_question_asked_while_the_same_is_being_counted_gets_a_count_of_its_own():
    queue, busy, release = ReportQueue(), threading.Event(), threading.Event()

    def slow():
        busy.set()
        assert release.wait(30)
        return "read before the second question"

    running = queue.submit("30d", slow)
    assert busy.wait(30)
    later = queue.submit("30d", lambda: "read after it")
    release.set()

    assert running.result(30) == "read before the second question"
    assert later.result(30) == "read after it"
