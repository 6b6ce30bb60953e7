"""Optional rule packs: knowledge of one domain or region (``rules/packs/NAME.yaml``).

The default rules describe any Chinese news page. What only holds in one
domain (oil and gas geology: wells, fields, structures) or one region
(Chongqing's region groups) lives in a pack, enabled by the setting
``PIPELINE_RULE_PACKS=oil_gas,chongqing``. A pack may add to each part of
the default rules:

* ``lexicons``: words appended to the lexicon of the same name (a new name
  defines a new lexicon);
* ``rules`` and ``vetoes``: entity rules, as in ``rules/entities.yaml``;
* ``places`` and ``organizations``: gazetteer entries, as in
  ``rules/gazetteers/places.yaml`` and ``organizations.yaml``.

A pack is validated like every rule file: a bad one fails with its path,
line and what is wrong; an unknown pack name fails naming the setting.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from pipeline import settings
from pipeline.nlp.entities.entity_rules import Rule, Veto
from pipeline.nlp.linking.gazetteer import Organization, Place
from pipeline.rules import StrictModel, load_yaml, pack_path


class RulePack(StrictModel):
    version: int
    description: str
    lexicons: dict[str, list[str]] = {}
    rules: list[Rule] = []
    vetoes: list[Veto] = []
    places: list[Place] = []
    organizations: list[Organization] = []


def load_pack(name: str) -> tuple[RulePack, Path, yaml.Node | None]:
    path = pack_path(name)
    pack = load_yaml(path, RulePack)
    loader = yaml.SafeLoader(path.read_text(encoding="utf-8"))
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    return pack, path, node


def enabled_packs(names: tuple[str, ...] | None = None) -> list[tuple[RulePack, Path, yaml.Node | None]]:
    """The packs named by ``names`` (default: the ``PIPELINE_RULE_PACKS`` setting)."""
    return [load_pack(n) for n in (settings.rule_packs() if names is None else names)]
