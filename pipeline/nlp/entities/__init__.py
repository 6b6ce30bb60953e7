"""The entity rule engine: rules and vetoes as data (entity_rules), the rule packs (packs), the
character prefilters of the patterns (prefilter) and the precedence among candidates (resolve)."""
