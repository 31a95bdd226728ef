from datetime import date

from postgov.lib.workdays import add_working_days, is_working_day


def test_weekends_and_national_day_are_skipped():
    assert not is_working_day(date(2026, 9, 2))  # National Day
    assert not is_working_day(date(2026, 11, 28))  # Saturday
    assert is_working_day(date(2026, 11, 26))
    # Thursday + 2 working days = Monday
    assert add_working_days(date(2026, 11, 26), 2) == date(2026, 11, 30)
    # a half day counts as a whole one
    assert add_working_days(date(2026, 11, 26), 0.5) == date(2026, 11, 27)
    assert add_working_days(date(2026, 11, 26), 0) == date(2026, 11, 26)
    # 30/4 and 1/5 2026 (Thursday, Friday)
    assert add_working_days(date(2026, 4, 29), 1) == date(2026, 5, 4)
