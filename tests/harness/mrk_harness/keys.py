"""Primary keys as the provider's users make them: multi-Region, and tagged with the consent without which
the function refuses to replicate a primary (`mrk-provider:replicable` = `true`)."""

from __future__ import annotations

from typing import Any

REPLICABLE_TAG = {"TagKey": "mrk-provider:replicable", "TagValue": "true"}


def create_primary_key(kms: Any, description: str) -> dict[str, Any]:
    """Creates a multi-Region primary key that consents to replication, with `kms` (a boto3 KMS client of the
    primary's region); returns its KeyMetadata."""
    return kms.create_key(MultiRegion=True, Description=description, Tags=[REPLICABLE_TAG])["KeyMetadata"]
