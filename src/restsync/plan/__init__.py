"""restsync.plan: the resource graph (parents, placeholder bindings, order)."""

from restsync.plan.bindings import Binding
from restsync.plan.graph import Plan, ResourcePlan, ValueLookup, build_plan

__all__ = ["Binding", "Plan", "ResourcePlan", "ValueLookup", "build_plan"]
