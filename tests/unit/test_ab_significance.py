"""A/B arms: the control is the arm the sequence declares first, and the test's edges."""

from __future__ import annotations

import pytest

from services.analytics.service import _arms, two_proportion_test

pytestmark = pytest.mark.unit


def test_the_declared_first_arm_is_the_control_not_the_alphabetical_one() -> None:
    arms = _arms(
        {"bold": {"sent": (100, 100), "replied": (30, 30)}, "short": {"sent": (100, 100)}},
        ["short", "bold"],
    )
    assert [(a.arm, a.control) for a in arms] == [("short", True), ("bold", False)]
    assert arms[1].significant is True and arms[1].p_value is not None
    assert arms[1].p_value < 1e-6


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({}, {"sent": (5, 5), "replied": (1, 1)}),  # no sends in the control
        ({"sent": (5, 5)}, {"sent": (5, 5)}),  # nobody replied anywhere: no variance
    ],
)
def test_no_test_without_data(a: dict[str, tuple[int, int]], b: dict[str, tuple[int, int]]) -> None:
    assert two_proportion_test(a, b) == (None, None)


def test_equal_rates_are_not_significant() -> None:
    z, p = two_proportion_test(
        {"sent": (50, 50), "replied": (10, 10)}, {"sent": (50, 50), "replied": (10, 10)}
    )
    assert (z, p) == (0.0, 1.0)
