from sim import load_scenario, run_replications
from sim.metrics import overall


def test_default_scenario_runs_and_conserves_contacts():
    results = run_replications(load_scenario("default"), replications=3, seed=1, weeks=1,
                               warmup_weeks=1)
    summary = overall(results.summary()).set_index("metric")
    assert summary.loc["contacts_arisen", "mean"] > 0
