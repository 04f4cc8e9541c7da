"""Automation conditions the assets share."""

import dagster as dg


def eager_on_changed_batches(parsed_batch: dg.AssetsDefinition) -> dg.AutomationCondition:
    """`eager()` where a parsed batch counts as updated only when its data version changed: a reused batch,
    or one re-parsed to the same output, starts nothing downstream."""
    batches = dg.AssetSelection.assets(parsed_batch)
    updated = dg.AutomationCondition.any_deps_updated()
    changed = updated.replace("newly_updated", dg.AutomationCondition.data_version_changed())
    return (
        dg.AutomationCondition.eager()
        .replace(
            "any_deps_updated",
            updated.ignore(batches).with_label("any_other_deps_updated")
            | changed.allow(batches).with_label("any_batches_changed"),
        )
        .with_label("eager_on_changed_batches")
    )
