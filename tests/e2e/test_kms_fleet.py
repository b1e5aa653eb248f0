"""A fleet of replica keys at KMS's quotas: several function instances creating, updating and deleting
`Custom::ReplicaKey` resources into the same regions at once, KMS held to its default request quotas per
operation and region (5 ReplicateKey a second in the primaries' region for all of them).

Each instance paces its own KMS calls and learns its share of each quota from the throttling it meets;
none may fail for being throttled while its deadline has room. (`make bench` runs larger fleets and
times them: the kms-fleet figure.)"""

from __future__ import annotations

from mrk_harness.kms_fleet import run_kms_fleet

REGIONS = ["eu-west-1", "ap-southeast-2", "us-west-2"]


def test_ten_instances_create_update_and_delete_their_replica_keys_at_the_quotas(aws, tmp_path):
    # GIVEN 10 instances, each with its own primary key in us-east-1, and KMS at its default quotas
    # WHEN they all create their replica keys into 3 regions at once (30 ReplicateKey calls against 5 a
    # second), then all update them (new description, a tag, a renamed alias), then all delete them
    run = run_kms_fleet(aws, tmp_path, instances=10, regions=REGIONS, deadline_in=120, timeout=150)
    print(run.summary())
    # THEN every answer of every phase is SUCCESS, and after each phase every replica and alias is as it
    # should be: there, updated, then pending deletion with its alias gone
    assert [phase.request_type for phase in run.phases] == ["Create", "Update", "Delete"], run.summary()
    for phase in run.phases:
        assert phase.statuses == ["SUCCESS"] * 10, phase.summary()
        assert phase.problems == [], phase.summary()
    # AND KMS throttled calls on the way: the fleet went over the quotas and waited its turn
    create = run.phase("Create")
    assert create.throttled_calls > 0, create.summary()
    assert create.busiest == "ReplicateKey us-east-1" and create.answered[create.busiest] == 30
