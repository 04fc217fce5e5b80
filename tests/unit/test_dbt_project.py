"""The dbt project agrees with the extract contract and documents every column."""

from pathlib import Path

import yaml

from pipelines.ingest.extracts.schema import KINDS
from pipelines.warehouse.connection import LINEAGE_COLUMNS

DBT = Path(__file__).resolve().parents[2] / "dbt_project"


def _yml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_sources_match_the_raw_tables():
    (source,) = _yml(DBT / "models/staging/erp/_erp__sources.yml")["sources"]
    assert source["name"] == "erp" and source["schema"] == "raw"
    tables = {t["name"]: [c["name"] for c in t["columns"]] for t in source["tables"]}
    assert set(tables) == set(KINDS)
    for name, kind in KINDS.items():
        assert tables[name] == kind.column_names + list(LINEAGE_COLUMNS)


def test_every_model_and_column_is_described():
    for yml in DBT.glob("models/**/_*__models.yml"):
        for model in _yml(yml)["models"]:
            assert model.get("description"), model["name"]
            sql = next(DBT.glob(f"models/**/{model['name']}.sql")).read_text(encoding="utf-8")
            for col in model["columns"]:
                assert col.get("description"), f"{model['name']}.{col['name']}"
                assert col["name"] in sql, f"{model['name']}.{col['name']} is described but not in the SQL"


def test_source_appears_only_in_staging():
    for sql in DBT.glob("models/**/*.sql"):
        if "source(" in sql.read_text(encoding="utf-8"):
            assert "staging" in sql.parts, sql
