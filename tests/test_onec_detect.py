"""Which configuration a 1C base runs (connectors/onec/detect.py), against the 1C simulator over loopback:
$metadata read as a stream, the probe fallback when it fails, the nightly confirmation, and the messages."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from connectors.http import AuthError, HttpClient
from connectors.onec.client import onec_http_client
from connectors.onec.detect import (
    MetadataUnreadable,
    UnknownConfiguration,
    candidate_sets,
    choose_profile,
    confirm,
    detect,
    entity_sets_from_metadata,
)
from connectors.onec.profiles import BP30, PROFILES, UNF, UT11
from sandbox.systems import store_of
from sandbox.systems.onec.metadata import csdl
from sandbox.systems.onec.server import OneCSimulator
from sandbox.world.reference import CONFIGURATIONS
from tests.onec_configurations import CONFIGURATION_SETS, SHARED_SETS

USER, PASSWORD = "odata", "s3cret-Пароль"
EDM = "{http://schemas.microsoft.com/ado/2009/11/edm}"
# The union of the lists in tests/onec_configurations.py: 3 shared + 19 sets of one or two profiles.
ALL_CANDIDATES = 22
HINT = "set SALESPIPE_ONEC_CONFIGURATION=ut11|bp30|unf to force one"

# A CSDL with what a parser can trip on: prefixed and default namespaces, two containers, AssociationSets
# whose <End EntitySet="…"> attributes are not sets, an EntityType named like a set, Cyrillic everywhere.
DOCUMENT = """<?xml version="1.0" encoding="UTF-8"?>
<edmx:Edmx xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" Version="1.0">
 <edmx:DataServices xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"
   m:DataServiceVersion="3.0">
  <e:Schema xmlns:e="http://schemas.microsoft.com/ado/2009/11/edm" Namespace="StandardODATA">
   <e:EntityType Name="Document_ЗаказКлиента"><e:Key><e:PropertyRef Name="Ref_Key"/></e:Key>
    <e:Property Name="Ref_Key" Type="Edm.Guid" Nullable="false"/></e:EntityType>
   <e:EntityContainer Name="EnterpriseV8" m:IsDefaultEntityContainer="true">
    <e:EntitySet Name="Document_ЗаказКлиента" EntityType="StandardODATA.Document_ЗаказКлиента"/>
    <e:AssociationSet Name="Document_ЗаказКлиента_Контрагент" Association="StandardODATA.X">
     <e:End Role="Begin" EntitySet="Document_ЗаказКлиента"/><e:End Role="End" EntitySet="Catalog_Партнеры"/>
    </e:AssociationSet>
    <e:EntitySet Name="Catalog_Контрагенты" EntityType="StandardODATA.Catalog_Контрагенты"/>
   </e:EntityContainer>
  </e:Schema>
  <Schema xmlns="http://schemas.microsoft.com/ado/2009/11/edm" Namespace="Extra">
   <EntityContainer Name="Second"><EntitySet Name="Catalog_Склады" EntityType="Extra.Catalog_Склады"/>
   </EntityContainer>
  </Schema>
 </edmx:DataServices>
</edmx:Edmx>
""".encode()


def chunked(data: bytes, size: int):
    return (data[i : i + size] for i in range(0, len(data), size))


def client(user=USER, password=PASSWORD, **options) -> HttpClient:
    options = {"timeout": 5.0, "max_retries": 2, "backoff_base": 0.01, **options}
    return onec_http_client(user, password, **options)


@pytest.fixture(scope="module")
def stores(company_factory):
    """The test company's 1C in each configuration it can run."""
    return {
        configuration: store_of(company_factory(configuration), "onec") for configuration in CONFIGURATIONS
    }


@pytest.fixture
def ut_sim(stores):
    with OneCSimulator(stores["ut11"], username=USER, password=PASSWORD) as simulator:
        yield simulator


def metadata_requests(sim) -> list[int]:
    return [status for name, _, status in sim.requests if name == "$metadata"]


# ------------------------------------------------------------------------------------ parsing
def test_entity_set_names_from_a_document_fed_in_tiny_chunks():
    # 3-byte chunks split every Cyrillic character (2 bytes in UTF-8) across two feeds somewhere.
    assert entity_sets_from_metadata(chunked(DOCUMENT, 3)) == {
        "Document_ЗаказКлиента",
        "Catalog_Контрагенты",
        "Catalog_Склады",
    }


@pytest.mark.parametrize(
    "body",
    [
        DOCUMENT[: len(DOCUMENT) // 2],  # cut off
        b'{"odata.error":{"code":"-1","message":{"lang":"ru","value":"x"}}}',  # not XML
        b"<html><body>Service Unavailable</body></html>",  # XML, but no EntityContainer
        b"",
    ],
)
def test_what_is_not_a_whole_csdl_is_unreadable(body):
    with pytest.raises(MetadataUnreadable):
        entity_sets_from_metadata(chunked(body, 5))


def test_simulator_metadata_describes_the_store_as_1c_does():
    guid = "b7569bcd-f670-11ea-8591-000c29b45b09"
    line = {"Ref_Key": guid, "LineNumber": "1", "Количество": 2}
    first = {"Ref_Key": guid, "Date": "2024-01-02T23:59:59", "Posted": True, "Сумма": 1.5}
    first |= {"Контрагент_Key": guid, "Контрагент@navigationLinkUrl": "…", "Номер": "1", "Товары": [line]}
    second = {"Ref_Key": guid, "Date": "2024-01-03T00:00:00", "Posted": False, "Сумма": 3}
    second |= {"Контрагент_Key": guid, "Номер": "2", "Товары": [], "Комментарий": None}
    price = {"Period": "2024-01-01T00:00:00", "Номенклатура_Key": guid, "Цена": 100}
    store = {"Document_X": [first, second], "InformationRegister_Y": [price]}
    root = ET.fromstring(csdl(store))
    schema = root.find(f"*/{EDM}Schema")
    types = {e.get("Name"): e for e in schema if e.tag in (f"{EDM}EntityType", f"{EDM}ComplexType")}

    def props(name):
        return [(p.get("Name"), p.get("Type")) for p in types[name].iter(f"{EDM}Property")]

    def keys(name):
        return [k.get("Name") for k in types[name].iter(f"{EDM}PropertyRef")]

    assert root.get("Version") == "1.0" and schema.get("Namespace") == "StandardODATA"
    assert props("Document_X") == [
        ("Ref_Key", "Edm.Guid"), ("Date", "Edm.DateTime"), ("Posted", "Edm.Boolean"), ("Сумма", "Edm.Double"),
        ("Контрагент_Key", "Edm.Guid"), ("Номер", "Edm.String"), ("Комментарий", "Edm.String"),
        ("Товары", "Collection(StandardODATA.Document_X_Товары_RowType)"),
    ]  # fmt: skip
    row = [("Ref_Key", "Edm.Guid"), ("LineNumber", "Edm.Int64"), ("Количество", "Edm.Double")]
    assert props("Document_X_Товары_RowType") == row and props("Document_X_Товары") == row
    assert keys("Document_X") == ["Ref_Key"] and keys("Document_X_Товары") == ["Ref_Key", "LineNumber"]
    assert keys("InformationRegister_Y") == ["Period", "Номенклатура_Key"]
    assert entity_sets_from_metadata([csdl(store)]) == {
        "Document_X",
        "Document_X_Товары",
        "InformationRegister_Y",
    }


def test_padding_adds_unrelated_sets_only(stores):
    plain, padded = csdl(stores["ut11"]), csdl(stores["ut11"], padding_sets=300)
    plain_sets, padded_sets = (
        entity_sets_from_metadata([plain]),
        entity_sets_from_metadata(chunked(padded, 4096)),
    )
    assert plain_sets < padded_sets and padded == csdl(stores["ut11"], padding_sets=300)  # deterministic
    assert set(candidate_sets()) & padded_sets == CONFIGURATION_SETS["ut11"]
    added = padded_sets - plain_sets
    assert {name.partition("_")[0] for name in added} == {"Catalog", "Document", "AccumulationRegister"}
    assert len(padded) > 4_000_000  # ~16 KB per object: 1000 objects make a real base's ~16 MB


# ------------------------------------------------------------------------------------ choosing
@pytest.mark.parametrize("profile", list(PROFILES.values()), ids=list(PROFILES))
def test_each_profiles_sets_choose_that_profile(profile):
    noise = {"Catalog_Склады", "AccumulationRegister_Продажи", "Document_ЗаказКлиента_Товары"}
    assert choose_profile({*profile.entity_sets, *profile.markers, *noise}) is profile


def test_an_unknown_mix_names_what_was_found_what_each_profile_lacks_and_the_setting():
    sets = {*SHARED_SETS, "Document_РеализацияТоваровУслуг", "Catalog_Склады"}
    with pytest.raises(UnknownConfiguration) as caught:
        choose_profile(sets, url="http://1c.local/trade/odata/standard.odata/$metadata")
    assert str(caught.value) == (
        "1C stream=$metadata GET http://1c.local/trade/odata/standard.odata/$metadata : "
        "no configuration profile fits the base ("
        "ut11 lacks one of Document_ЗаказКлиента / Document_ВозвратТоваровОтКлиента; "
        "bp30 lacks one of Document_СчетНаОплатуПокупателю / Document_ПоступлениеНаРасчетныйСчет; "
        "unf lacks one of Document_ЗаказПокупателя / Document_РасходнаяНакладная, "
        "Document_РасходнаяНакладная"  # a marker, and the set its sales live in
        "); of the sets the profiles name it has: Catalog_Контрагенты, Catalog_Номенклатура, "
        f"Catalog_Пользователи, Document_РеализацияТоваровУслуг — {HINT}"
    )
    assert caught.value.transient is False and "\n" not in str(caught.value)


def test_one_marker_is_enough_for_a_base_that_publishes_only_some_objects():
    # An administrator published what sales need, and the invoices, but not the bank receipts.
    bp_partial = {*SHARED_SETS, "Document_РеализацияТоваровУслуг", "Document_СчетНаОплатуПокупателю"}
    assert choose_profile(bp_partial) is BP30
    ut_partial = {*SHARED_SETS, "Document_РеализацияТоваровУслуг", "Document_ЗаказКлиента"}
    assert choose_profile(ut_partial) is UT11
    with pytest.raises(UnknownConfiguration, match=r"unf lacks Document_РасходнаяНакладная\)"):
        choose_profile({*SHARED_SETS, "Document_ЗаказПокупателя"})  # УНФ's orders without its sales


def test_a_base_matching_two_profiles_is_unknown_too():
    with pytest.raises(UnknownConfiguration) as caught:
        choose_profile({*UT11.entity_sets, *UNF.entity_sets})
    message = str(caught.value)
    assert message.startswith(
        "1C stream=$metadata : the base fits more than one configuration profile (ut11, unf); "
    )
    assert message.endswith(HINT)


def test_nothing_found_says_so():
    with pytest.raises(UnknownConfiguration, match=r"it has: none \(is the URL the standard.odata root"):
        choose_profile(set())


# ------------------------------------------------------------------------------------ detect
@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_detect_reads_the_configuration_from_metadata(stores, configuration):
    with OneCSimulator(stores[configuration], username=USER, password=PASSWORD) as sim:
        detection = detect(client(), sim.base_url)
        assert sim.requests == [("$metadata", {}, 200)]
    assert (detection.profile.id, detection.method) == (configuration, "metadata")
    assert detection.sets_found == tuple(sorted(CONFIGURATION_SETS[configuration]))
    assert 0 < detection.seconds < 30


def test_metadata_cut_once_is_read_again_from_the_start(ut_sim):
    ut_sim.faults.add(entity_set="$metadata", kind="cut", times=1)
    detection = detect(client(), ut_sim.base_url)
    assert (detection.profile, detection.method) == (UT11, "metadata")
    assert detection.sets_found == tuple(sorted(CONFIGURATION_SETS["ut11"])) and metadata_requests(
        ut_sim
    ) == [200, 200]


@pytest.mark.parametrize(
    ("kind", "attempts"),
    [("503", 3), ("cut", 3), ("timeout", 3), ("cp1251", 1)],  # cp1251: not UTF-8 XML, nothing to retry
)
def test_metadata_failing_falls_back_to_probing_the_same_profile(stores, kind, attempts):
    with OneCSimulator(stores["ut11"], username=USER, password=PASSWORD) as sim:
        fault = sim.faults.add(entity_set="$metadata", kind=kind, times=None, retry_after=0, delay=1.0)
        detection = detect(client(timeout=0.5), sim.base_url)
        # Counted as they arrive: a timed-out request enters the request log only once it is answered.
        assert fault.seen == attempts
        probes = [(name, query, status) for name, query, status in sim.requests if name != "$metadata"]
    assert (detection.profile, detection.method) == (UT11, "probe")
    assert detection.sets_found == tuple(sorted(CONFIGURATION_SETS["ut11"]))
    assert len(probes) == ALL_CANDIDATES and {name for name, _, _ in probes} == set(candidate_sets())
    assert sorted(name for name, _, status in probes if status == 200) == sorted(CONFIGURATION_SETS["ut11"])
    by_name = {name: query for name, query, _ in probes}
    assert by_name["Document_СчетНаОплату"] == {"$format": "json", "$top": "1", "$select": "Ref_Key"}
    # A register has no Ref_Key: selecting it would answer code 6, the same as a missing set.
    assert by_name["InformationRegister_ЦеныНоменклатуры"] == {"$format": "json", "$top": "1"}


def test_a_wrong_password_propagates_without_probing(ut_sim):
    with pytest.raises(AuthError) as caught:
        detect(client(password="wrong-Пароль"), ut_sim.base_url)
    assert ut_sim.requests == [("$metadata", {}, 401)]
    assert "wrong-Пароль" not in str(caught.value) and "SALESPIPE_ONEC_PASSWORD" in str(caught.value)


# ------------------------------------------------------------------------------------ confirm
def test_confirm_the_right_profile_probes_a_marker_and_its_required_sets(ut_sim):
    assert confirm(client(), ut_sim.base_url, UT11) is True
    assert [(name, status) for name, _, status in ut_sim.requests] == [
        ("Document_ЗаказКлиента", 200),  # one marker is enough
        ("Catalog_Контрагенты", 200),
        ("Catalog_Номенклатура", 200),
        ("Catalog_Пользователи", 200),
        ("Document_РеализацияТоваровУслуг", 200),
    ]


@pytest.mark.parametrize("plain_client", [False, True], ids=["1C client", "plain client"])
def test_confirm_another_profile_is_false_when_none_of_its_markers_is_there(ut_sim, plain_client):
    # The plain client has no 1C error classifier: "absent" is then read from the odata.error code.
    http = HttpClient("1C", auth=(USER, PASSWORD), max_retries=0) if plain_client else client()
    assert confirm(http, ut_sim.base_url, BP30) is False
    assert [(name, status) for name, _, status in ut_sim.requests] == [
        ("Document_СчетНаОплатуПокупателю", 400),
        ("Document_ПоступлениеНаРасчетныйСчет", 400),
    ]


def test_confirm_with_a_wrong_password_raises(ut_sim):
    with pytest.raises(AuthError):
        confirm(client(password="wrong"), ut_sim.base_url, UT11)
