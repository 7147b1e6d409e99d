"""restsync.plan: the resource graph (parents, placeholder bindings, order)."""

from restsync.plan.bindings import Binding
from restsync.plan.graph import Plan, ResourcePlan, ValueLookup, build_plan
from restsync.plan.partitions import (
    Partition,
    ResourcePartitions,
    resource_partitions,
    split_plan,
)

__all__ = ["Binding", "Partition", "Plan", "ResourcePartitions", "ResourcePlan", "ValueLookup",
           "build_plan", "resource_partitions", "split_plan"]
