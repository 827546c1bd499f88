"""timz.csv_export: RFC 4180 text, a UTF-8 download, and no cell a spreadsheet would run."""

import csv
import io

import pytest

from timz.csv_export import csv_response, csv_text, safe_cell


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+2", "'=1+2"),
        ("+33 6 12", "'+33 6 12"),
        ("-x", "'-x"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Zoé = 1", "Zoé = 1"),
        (None, ""),
        (12, "12"),
    ],
)
def test_a_cell_that_could_run_as_a_formula_is_kept_as_text(value, cell):
    assert safe_cell(value) == cell


def test_numeric_columns_are_written_as_given_and_quotes_are_doubled():
    text = csv_text(("Name", "Net"), [('Ann "the" =best', "-12.50")], numeric={1})

    assert text == 'Name,Net\r\n"Ann ""the"" =best",-12.50\r\n'
    assert list(csv.reader(io.StringIO(text))) == [["Name", "Net"], ['Ann "the" =best', "-12.50"]]


def test_the_download_is_utf8_with_a_bom_and_not_cached():
    response = csv_response("a,b\r\n", filename="x.csv")

    assert response.content == "\ufeffa,b\r\n".encode()
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert response["Cache-Control"] == "no-store, private"
