"""Publishing what the warehouse knows for people who do not write SQL: an iCalendar feed of meetings and
deadlines (calendar) and a self-contained HTML timeline (report, drawn by timeline), both pure functions from the
records the snapshot holds (records/calendar.py) to bytes and text, worded alike (wording); and where they are
written, beside the snapshot, atomically (files)."""
