"""$filter / $orderby / $select / $top / $skip semantics of the 1C OData simulator, without HTTP."""

import pytest

from sandbox.systems.onec.odata_errors import QueryError
from sandbox.systems.onec.odata_query import execute, parse_query

C1 = "b7569bcd-f670-11ea-8591-000c29b45b09"
C2 = "c1a2b3c4-0000-11ea-8591-000c29b45b09"
C3 = "00d0e0f0-1111-11ea-8591-000c29b45b09"
S1, S2, S3, S4, S5 = (
    "11111111-6332-11ec-ad72-000c29b45b09",
    "22222222-6332-11ec-ad72-000c29b45b09",
    "0aaaaaaa-6332-11ec-ad72-000c29b45b09",
    "33333333-6332-11ec-ad72-000c29b45b09",
    "ffffffff-6332-11ec-ad72-000c29b45b09",
)


def _doc(ref, date, customer, amount, posted=True, deleted=False, comment="", line_count="1"):
    return {
        "Ref_Key": ref,
        "DataVersion": "AAAACgAAAAA=",
        "DeletionMark": deleted,
        "Number": "0000-000001",
        "Date": date,
        "Posted": posted,
        "Контрагент_Key": customer,
        "СуммаДокумента": amount,
        "Комментарий": comment,
        "КоличествоСтрок": line_count,
    }


SHIPMENTS = [
    _doc(S1, "2024-01-10T10:00:00", C1, 100, comment="ООО 'Ромашка'"),
    _doc(S2, "2024-01-10T10:00:00", C2, 250, line_count="12"),
    _doc(S3, "2024-02-01T00:00:00", C2, 50, posted=False, line_count="2"),
    _doc(S4, "2024-02-15T23:59:59", C1, 75, deleted=True),
    _doc(S5, "2023-12-31T23:59:59", C3, 300),
]


def _has_field(name):
    return name in SHIPMENTS[0]


def run(**params):
    query = parse_query({f"${k}": v for k, v in params.items()}, _has_field)
    page, total = execute(query, SHIPMENTS)
    return [r["Ref_Key"] for r in page], total


def refs(filter_text):
    return set(run(filter=filter_text)[0])


def error_of(**params):
    with pytest.raises(QueryError) as caught:
        run(**params)
    return caught.value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Date ge datetime'2024-01-01T00:00:00' and Date lt datetime'2024-02-01T00:00:00'", {S1, S2}),
        ("Date lt datetime'2024-02-01T00:00:00'", {S1, S2, S5}),
        ("Date le datetime'2024-02-01T00:00:00' and Date gt datetime'2024-01-10T10:00:00'", {S3}),
        ("Date ge datetime'2024-02-01T00:00'", {S3, S4}),  # seconds may be omitted
        ("datetime'2024-02-01T00:00:00' le Date", {S3, S4}),  # literal on the left
        (f"Контрагент_Key eq guid'{C1.upper()}'", {S1, S4}),  # GUIDs compare case-insensitively
        (f"Контрагент_Key ne guid'{C1}'", {S2, S3, S5}),
        ("Posted eq true and DeletionMark eq false", {S1, S2, S5}),
        ("Posted and not DeletionMark", {S1, S2, S5}),  # bare Boolean fields
        ("not (Posted eq true)", {S3}),
        # `and` binds tighter than `or`
        (f"Posted eq false or Контрагент_Key eq guid'{C3}' and СуммаДокумента gt 1000", {S3}),
        (f"(Posted eq false or Контрагент_Key eq guid'{C3}') and СуммаДокумента gt 100", {S5}),
        ("СуммаДокумента ge 100", {S1, S2, S5}),
        ("СуммаДокумента eq 100.0", {S1}),
        ("КоличествоСтрок gt 2", {S2}),  # Int64 strings compare as numbers
        ("Комментарий eq 'ООО ''Ромашка'''", {S1}),  # '' escapes a quote
        ("substringof('Ромашка', Комментарий)", {S1}),
        ("Комментарий eq null", set()),
        ("Комментарий ne null", {S1, S2, S3, S4, S5}),
    ],
)
def test_filter_semantics(text, expected):
    assert refs(text) == expected


def test_or_chain_of_keys_matches_like_single_comparisons():
    # read_keys batches `Ref_Key eq guid'…' or …`; the simulator turns it into a set lookup.
    keys = (S2, S5.upper(), "99999999-0000-0000-0000-000000000000")
    text = " or ".join(f"Ref_Key eq guid'{k}'" for k in keys)
    assert refs(text) == {S2, S5}


def test_mixed_or_chain_falls_back_to_plain_evaluation():
    assert refs(f"Ref_Key eq guid'{S1}' or СуммаДокумента eq 300") == {S1, S5}


@pytest.mark.parametrize(
    "text",
    [
        "Date ge 2024-01-01T00:00:00",  # v4 bare datetime literal
        f"Контрагент_Key eq {C1}",  # v4 bare GUID starting with a letter
        f"Ref_Key eq {S1}",  # … and with a digit
        "Date ge datetime'2024-13-01T00:00:00'",  # impossible date
        "Date ge datetimeoffset'2024-01-01T00:00:00Z'",
        "Ref_Key eq guid'not-a-guid'",
        "Комментарий eq 'unterminated",
        "Date ge",
        "(Posted eq true",
        "Posted eq true Posted",
        "СуммаДокумента gt 1 and",
        "frobnicate(Комментарий)",
        "СуммаДокумента gt 1 and 2",  # a number is not a condition
        "",
    ],
)
def test_parse_errors_are_code_14(text):
    assert error_of(filter=text).code == "14"


def test_unknown_field_is_code_6_and_echoes_the_name():
    err = error_of(filter="Организация_Key eq guid'b7569bcd-f670-11ea-8591-000c29b45b09'")
    assert (err.code, err.status) == ("6", 400)
    assert "Организация_Key" in err.message


def test_syntax_error_wins_over_unknown_field():
    assert error_of(filter="Нет eq 2024-01-01").code == "14"


def test_orderby_multi_key_then_skip_top():
    assert run(orderby="Date asc,Ref_Key asc")[0] == [S5, S1, S2, S3, S4]
    assert run(orderby="Date desc,Ref_Key asc")[0] == [S4, S3, S1, S2, S5]
    assert run(orderby="Date desc,Ref_Key desc")[0] == [S4, S3, S2, S1, S5]
    assert run(orderby="СуммаДокумента")[0] == [S3, S4, S1, S2, S5]
    assert run(orderby="Date asc,Ref_Key asc", skip="1", top="2") == ([S1, S2], 5)


def test_skip_and_top_apply_after_filter_and_order():
    page, total = run(filter="Posted eq true", orderby="СуммаДокумента desc", skip="1", top="2")
    assert (page, total) == ([S2, S1], 4)
    assert run(filter="Posted eq true", skip="10") == ([], 4)
    assert run(top="0") == ([], 5)


def test_without_top_everything_comes_back():
    assert len(run()[0]) == len(SHIPMENTS)


def test_sorting_tolerates_missing_values_and_mixed_types():
    records = [{"k": "b"}, {"k": None}, {"k": 3}, {}, {"k": "a"}]
    query = parse_query({"$orderby": "k"}, lambda name: True)
    assert [r.get("k") for r in execute(query, records)[0]] == [None, None, 3, "a", "b"]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"orderby": "Date up"}, "14"),
        ({"orderby": "Нет asc"}, "6"),
        ({"select": "Ref_Key,Нет"}, "6"),
        ({"select": "Ref_Key,"}, "14"),
        ({"top": "-1"}, "14"),
        ({"skip": "abc"}, "14"),
        ({"inlinecount": "sometimes"}, "14"),
    ],
)
def test_bad_options(params, code):
    assert error_of(**params).code == code


def test_select_and_inlinecount_are_parsed():
    query = parse_query({"$select": "Ref_Key, DataVersion", "$inlinecount": "allpages"}, _has_field)
    assert query.select == {"Ref_Key", "DataVersion"}
    assert query.inline_count is True
