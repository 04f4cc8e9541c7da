"""Finding and reading a document's verification config: exact doc id first, schemas relative to it."""

from __future__ import annotations

import pytest

from platform_assets.domain.verify.corrections import CorrectionsError
from platform_assets.domain.verify.verification_config import find_config, load_verification_config

XSD = """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="widget"/><xs:attribute name="align"/>
</xs:schema>"""


def test_the_doc_id_config_wins_over_the_file_stem_one(tmp_path):
    assert find_config(tmp_path, "std-abc123", "std.pdf") is None
    (tmp_path / "std.toml").write_text("")
    assert find_config(tmp_path, "std-abc123", "std.pdf") == tmp_path / "std.toml"
    (tmp_path / "std-abc123.toml").write_text("")
    assert find_config(tmp_path, "std-abc123", "std.pdf") == tmp_path / "std-abc123.toml"


def test_schemas_are_read_relative_to_the_config_file(tmp_path):
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "w.xsd").write_text(XSD)
    config = tmp_path / "std.toml"
    config.write_text('schemas = ["schemas/"]\n[corrections]\n"algn" = "align"\n')
    loaded = load_verification_config(config)
    assert "widget" in loaded.vocabulary and "align" in loaded.vocabulary
    assert loaded.corrections.corrections == {"algn": "align"}
    assert load_verification_config(tmp_path / "std.toml").path == config


def test_a_config_without_schemas_has_no_vocabulary_and_a_bad_one_names_file_and_key(tmp_path):
    config = tmp_path / "std.toml"
    config.write_text("[corrections]\n")
    assert load_verification_config(config).vocabulary is None
    config.write_text('schemas = "w.xsd"\n')
    with pytest.raises(CorrectionsError, match=r"std\.toml: schemas: must be an array"):
        load_verification_config(config)
