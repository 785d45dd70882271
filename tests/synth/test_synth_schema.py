"""The files ``srdi synth`` writes follow the panel contract: names, types, metadata."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from features.fields import FIELD_NAMES, FIELDS
from features.industries import DIVISION_CODES
from features.provinces import PROVINCE_NAMES
from features.rules import RULESET_VERSIONS
from tests.support.synth import SMALL_FIRMS, SMALL_SEED, WorldOnDisk
from training.synth import GENERATOR_VERSION

_ARROW_KIND = {
    "text": "string",
    "enum": "string",
    "int": "int64",
    "float": "double",
    "share": "double",
    "bool": "bool",
}


def test_financials_columns_are_the_input_contract_in_order(synth_world: WorldOnDisk) -> None:
    schema = pq.read_schema(synth_world.directory / "financials.parquet")
    assert schema.names == list(FIELD_NAMES)
    for spec in FIELDS:
        assert str(schema.field(spec.name).type) == _ARROW_KIND[spec.kind], spec.name


def test_certification_and_oracle_columns(synth_world: WorldOnDisk) -> None:
    certs = pq.read_schema(synth_world.directory / "certifications.parquet")
    assert [(f.name, str(f.type)) for f in certs] == [
        ("company_id", "string"),
        ("tier", "string"),
        ("granted_year", "int64"),
        ("expires_year", "int64"),
    ]
    oracle = pq.read_schema(synth_world.directory / "oracle.parquet")
    assert [(f.name, str(f.type)) for f in oracle] == [
        ("company_id", "string"),
        ("fiscal_year", "int64"),
        ("target", "string"),
        ("horizon", "int64"),
        ("probability", "double"),
    ]


def test_latent_traits_cover_every_firm_once(synth_world: WorldOnDisk) -> None:
    latent = synth_world.latent
    assert len(latent) == SMALL_FIRMS
    assert latent["company_id"].is_unique
    assert {"capability", "focus", "management", "founded_year", "exit_year"} <= set(latent)
    assert set(synth_world.financials["company_id"]) == set(latent["company_id"])


def test_world_json_records_seed_size_years_and_versions(synth_world: WorldOnDisk) -> None:
    meta = json.loads((synth_world.directory / "world.json").read_text(encoding="utf-8"))
    assert meta["seed"] == SMALL_SEED
    assert meta["n_firms"] == SMALL_FIRMS
    assert meta["years"] == [2014, 2025]
    assert meta["generator_version"] == GENERATOR_VERSION
    assert meta["firm_years"] == len(synth_world.financials)
    assert meta["rule_versions"]["cn_srdi_sme"] == RULESET_VERSIONS["cn_srdi_sme"]
    assert set(meta["little_giant_quotas"]) == {str(y) for y in range(2019, 2026)}


def test_text_fields_use_the_canonical_vocabularies(synth_world: WorldOnDisk) -> None:
    fin = synth_world.financials
    assert set(fin["province"]) <= set(PROVINCE_NAMES)
    assert fin["province"].nunique() >= 25  # all 31, bar the smallest in a small world
    assert set(fin["industry"]) <= set(DIVISION_CODES)
    for spec in FIELDS:
        if spec.kind == "enum":
            assert set(fin[spec.name].dropna()) <= set(spec.choices), spec.name
    assert fin["company_id"].str.len().eq(18).all()
