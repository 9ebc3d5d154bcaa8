"""The feature benchmarks measure what they claim: each scenario's results are right."""

import pytest

from benchmarks.features import SCENARIOS


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_each_feature_scenario_checks_its_results(name: str) -> None:
    """Both sides of a scenario run and build what the scenario says."""
    scenario = SCENARIOS[name]()
    scenario.check()
    scenario.ours()
    scenario.base()
