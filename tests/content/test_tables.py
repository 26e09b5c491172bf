"""Recovering the columns of "Summary Table" rows whose column breaks were lost."""

from __future__ import annotations

from k2publisher.content.cleaning.tables import recover, split_header, split_row, table_title


def test_header_rows_split_into_column_names() -> None:
    assert split_header("Mechanism Evidence Type Cancer Types Studied Key Findings") == [
        "Mechanism", "Evidence Type", "Cancer Types Studied", "Key Findings"]
    assert split_header("Dose Range (per day) Cancer Types Studied Reported Side Effects Notes") \
        == ["Dose Range (per day)", "Cancer Types Studied", "Reported Side Effects", "Notes"]
    assert split_header("Gene Polymorphism Impact on VK2 Efficacy Clinical Relevance") == [
        "Gene", "Polymorphism", "Impact on VK2 Efficacy", "Clinical Relevance"]
    # unseen header: one column per capitalised word, lowercase joiners attach
    assert split_header("Herb Dose Outcome of Trial") == ["Herb", "Dose", "Outcome of Trial"]


def test_rows_split_by_cell_shapes() -> None:
    assert split_row("MK-4 1–45 mg (1,000–45,000 mcg) Up to 45 mg No toxicity reported", 4) == [
        "MK-4", "1–45 mg (1,000–45,000 mcg)", "Up to 45 mg", "No toxicity reported"]
    assert split_row("Breast (TNBC) 1,25(OH)₂D₃ VDR upregulation, differentiation Enhanced "
                     "apoptosis", 4) == ["Breast (TNBC)", "1,25(OH)₂D₃",
                                         "VDR upregulation, differentiation", "Enhanced apoptosis"]
    assert split_row("HCC HSD17β4 overexpression Requires higher VK2 doses 4", 4) == [
        "HCC", "HSD17β4 overexpression", "Requires higher VK2 doses", "4"]


def test_ambiguous_rows_keep_the_table_verbatim() -> None:
    lines = ["Indication Phase Status Combination Outcome/Notes",
             "Other cancers No current trials No phase III/IV cancer trials identified"]
    table = recover("Trials", lines)
    assert not table.ok
    assert table.ambiguous_rows == (lines[1],)
    assert table.markdown() == "\n".join(f"    {line}" for line in lines)


def test_clean_table_renders_as_gfm() -> None:
    table = recover("Doses", ["K2 Subtype Common Daily Dosage High Dose in Studies "
                              "Safety/Toxicity Evidence",
                              "MK-7 50–180 mcg Up to 360 mcg No toxicity reported"])
    assert table.ok
    assert table.markdown().splitlines() == [
        "| K2 Subtype | Common Daily Dosage | High Dose in Studies | Safety/Toxicity Evidence |",
        "| --- | --- | --- | --- |",
        "| MK-7 | 50–180 mcg | Up to 360 mcg | No toxicity reported |",
    ]


def test_table_title_line() -> None:
    assert table_title("Summary Table: Key Resistance Markers") == "Key Resistance Markers"
    assert table_title("Summary of findings") is None
