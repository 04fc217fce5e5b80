import json

from pipelines.ingest.inbox import InboxEntry, new_inbox_files

S = 1_000_000_000


def test_first_evaluation_takes_settled_files_only():
    entries = [InboxEntry("a.csv", 10, 100 * S), InboxEntry("b.csv", 5, 199 * S)]
    new, cursor = new_inbox_files(entries, None, now_ns=200 * S, settle_seconds=5)
    assert [e.name for e in new] == ["a.csv"]
    assert json.loads(cursor) == ["a.csv|10|100000000000"]


def test_seen_files_are_not_new_again_and_unsettled_become_new_later():
    entries = [InboxEntry("a.csv", 10, 100 * S), InboxEntry("b.csv", 5, 199 * S)]
    _, cursor = new_inbox_files(entries, None, now_ns=200 * S, settle_seconds=5)
    new, cursor = new_inbox_files(entries, cursor, now_ns=210 * S, settle_seconds=5)
    assert [e.name for e in new] == ["b.csv"]
    new, _ = new_inbox_files(entries, cursor, now_ns=220 * S, settle_seconds=5)
    assert new == []


def test_reexport_under_same_name_counts_again_and_gone_files_leave_cursor():
    _, cursor = new_inbox_files([InboxEntry("a.csv", 10, 100 * S)], None, now_ns=200 * S, settle_seconds=0)
    changed = [InboxEntry("a.csv", 12, 300 * S)]
    new, cursor = new_inbox_files(changed, cursor, now_ns=400 * S, settle_seconds=0)
    assert [e.size for e in new] == [12]
    assert json.loads(cursor) == ["a.csv|12|300000000000"]
    new, cursor = new_inbox_files([], cursor, now_ns=500 * S, settle_seconds=0)
    assert new == [] and json.loads(cursor) == []


def test_corrupt_cursor_is_treated_as_empty():
    new, _ = new_inbox_files([InboxEntry("a.csv", 1, 0)], "not json", now_ns=10 * S, settle_seconds=1)
    assert [e.name for e in new] == ["a.csv"]
