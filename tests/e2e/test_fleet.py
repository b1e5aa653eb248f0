"""A small fleet: several function instances writing into the same regions at once under SSM's quota.

Each instance paces its own calls and learns its share of the quota from the throttling it meets; none
may fail for being throttled. (`make bench` runs the large fleets and times them.)"""

from __future__ import annotations

from mrk_harness.fleet import run_fleet

REGIONS = ["eu-west-1", "ap-southeast-2"]


def test_eight_instances_at_ten_calls_a_second_all_succeed_and_write_everything(aws, tmp_path):
    # GIVEN SSM allowing 10 calls a second per region, and 8 instances writing 10 names into 2 regions each
    # WHEN they all start at once (8 s of writes per region at the quota)
    run = run_fleet(aws, tmp_path, instances=8, names=10, regions=REGIONS, tps=10, prefix="/fleet/e2e",
                    deadline_in=120, timeout=150)
    # THEN every instance answered SUCCESS and every parameter is there, though SSM throttled calls
    print(run.summary())
    assert run.statuses == ["SUCCESS"] * 8, run.summary()
    assert run.written == run.expected == 160
    assert run.throttled_calls > 0, run.summary()
