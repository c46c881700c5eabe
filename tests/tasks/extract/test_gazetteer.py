"""The curated gazetteer (tasks/extract/data/gazetteer.toml): well-formed, unambiguous, and read right."""

import re
import tomllib
import zoneinfo
from collections import defaultdict
from datetime import date

import pytest

from tasks.extract.gazetteer import DEFAULT_PATH, load_gazetteer
from tasks.extract.sentences import fold

GAZ = load_gazetteer()
with open(DEFAULT_PATH, "rb") as fh:
    RAW = tomllib.load(fh)

# the 193 UN member states (2025)
UN_MEMBERS = set(
    re.findall(
        r"[A-Z]{2}",
        """AF AL DZ AD AO AG AR AM AU AT AZ BS BH BD BB BY BE BZ BJ BT BO BA BW BR BN BG BF BI CV KH CM CA CF TD CL
    CN CO KM CG CD CR CI HR CU CY CZ KP DK DJ DM DO EC EG SV GQ ER EE SZ ET FJ FI FR GA GM GE DE GH GR GD GT GN
    GW GY HT HN HU IS IN ID IR IQ IE IL IT JM JP JO KZ KE KI KW KG LA LV LB LS LR LY LI LT LU MG MW MY MV ML MT
    MH MR MU MX FM MD MC MN ME MA MZ MM NA NR NP NL NZ NI NE NG MK NO OM PK PW PA PG PY PE PH PL PT QA KR RO RU
    RW KN LC VC WS SM ST SA SN RS SC SL SG SK SI SB SO ZA SS ES LK SD SR SE CH SY TJ TH TL TG TO TT TN TR TM TV
    UG UA AE GB TZ US UY UZ VU VE VN YE ZM ZW""",
    )
)
SURFACE_KEYS = ("names", "adjectives", "capitals", "cities")


def codes(text: str) -> list[str]:
    return [c.code for c in GAZ.find_countries(text)]


def test_every_country_code_is_two_capitals_or_eu_and_unique():
    raw_codes = [c["code"] for c in RAW["country"]]
    assert all(re.fullmatch(r"[A-Z]{2}", c) for c in raw_codes)
    assert len(GAZ.countries) == len(raw_codes)  # the loader keys by code: a repeated code would collapse


def test_every_un_member_and_the_other_parties_are_present():
    assert len(UN_MEMBERS) == 193
    assert UN_MEMBERS | {"EU", "PS", "XK", "MO", "VA", "TW", "HK"} <= set(GAZ.countries)


def test_every_country_has_a_valid_time_zone():
    zones = zoneinfo.available_timezones()
    assert {code: c.get("tz") for code, c in GAZ.countries.items() if c.get("tz") not in zones} == {}
    assert set(GAZ.tz) == set(GAZ.countries)


def test_no_surface_belongs_to_two_countries():
    owners: dict[str, set[str]] = defaultdict(set)
    for c in RAW["country"]:
        for key in SURFACE_KEYS:
            for surface in c.get(key, []):
                owners[fold(surface)].add(c["code"])
    assert {s: o for s, o in owners.items() if len(o) > 1} == {}


def test_no_place_belongs_to_two_countries_in_any_case():
    owners: dict[str, set[str]] = defaultdict(set)
    for c in RAW["country"]:
        for key in SURFACE_KEYS:
            for surface in c.get(key, []):
                owners[fold(surface).lower()].add(c["code"])
    assert {s: o for s, o in owners.items() if len(o) > 1} == {}


def test_weak_names_are_not_also_strong_surfaces_of_their_country():
    for c in RAW["country"]:
        strong = {fold(s) for key in SURFACE_KEYS for s in c.get(key, [])}
        assert not strong & {fold(s) for s in c.get("weak_names", [])}, c["code"]


def test_bloc_codes_are_unique_and_members_are_known_countries():
    blocs = RAW["bloc"]
    assert len({b["code"] for b in blocs}) == len(blocs)
    for b in blocs:
        assert b["names"] and b["members"], b["code"]
        assert len(set(b["members"])) == len(b["members"]), b["code"]
        others = [*b.get("members_since", {}), *b.get("left", {}), *b.get("suspended", [])]
        assert set(b["members"]) | set(others) <= set(GAZ.countries), b["code"]


def test_bloc_dates_are_iso_dates_of_members_and_of_leavers():
    for b in RAW["bloc"]:
        assert set(b.get("members_since", {})) <= set(b["members"]), b["code"]
        assert not set(b.get("left", {})) & set(b["members"]), b["code"]
        for day in [*b.get("members_since", {}).values(), *b.get("left", {}).values()]:
            date.fromisoformat(day)


def test_recent_accessions_are_recorded():
    blocs = {b["code"]: b for b in RAW["bloc"]}
    assert blocs["ASEAN"]["members_since"]["TL"] == "2025-10-26"
    assert blocs["MERCOSUR"]["members_since"]["BO"] == "2024-07-08"
    assert "EU" not in blocs  # a party of its own


def test_demonyms_and_capital_resolve():
    assert codes("Kenyan and Ugandan officials met in Nairobi") == ["KE", "UG", "KE"]


def test_emirati_is_the_uae():
    assert codes("the Emirati trade minister") == ["AE"]


def test_a_venue_city_resolves_to_its_country():
    assert codes("talks in Montevideo") == ["UY"]
    assert GAZ.zone_for_place("Montevideo") == "America/Montevideo"


def test_capitals_stand_for_governments():
    found = GAZ.find_countries("Nairobi and Kampala signed the deal; Tbilisi objected")
    assert [(c.code, c.kind) for c in found] == [("KE", "capital"), ("UG", "capital"), ("GE", "capital")]


def test_short_and_long_forms_name_the_same_country():
    assert codes("Cote d'Ivoire, Côte d’Ivoire and Ivory Coast") == ["CI", "CI", "CI"]
    assert codes("the UAE and the United Arab Emirates") == ["AE", "AE"]
    assert codes("Czechia, the Czech Republic, Türkiye and Turkey") == ["CZ", "CZ", "TR", "TR"]
    assert codes("Argentine and Argentinian beef") == ["AR", "AR"]


def test_the_two_congos_are_told_apart_by_their_full_names():
    assert codes("the Democratic Republic of the Congo and the Republic of the Congo") == ["CD", "CG"]
    assert codes("DRC and DR Congo") == ["CD", "CD"]


def test_names_inside_longer_names_go_to_the_longer_one():
    assert codes("Papua New Guinea, Guinea-Bissau, Equatorial Guinea and Guinea") == ["PG", "GW", "GQ", "GN"]
    assert codes("South Sudan and Sudan") == ["SS", "SD"]
    assert codes("the Democratic People's Republic of Korea") == ["KP"]
    assert codes("Santiago de Cuba") == ["CU"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("New Mexico", "US"),
        ("New England", "US"),
        ("Inner Mongolia", "CN"),
        ("New South Wales", "AU"),
        ("British Columbia", "CA"),
        ("the Niger Delta", "NG"),
        ("Benin City", "NG"),
    ],
)
def test_a_region_named_after_another_country_stays_in_its_own(text, code):
    assert codes(text) == [code]


@pytest.mark.parametrize(
    "text",
    [
        "Chad Bown, a trade economist, said",
        "Georgia's governor welcomed the plant",
        "Jordan Smith, a spokesman, said",
        "a CAR T-cell therapy",
    ],
)
def test_weak_names_are_not_read_as_countries(text):
    assert codes(text) == []


def test_gulf_and_asean_members_resolve():
    assert codes("Saudi, Qatari, Kuwaiti, Bahraini and Omani ministers met in Riyadh") == [
        "SA",
        "QA",
        "KW",
        "BH",
        "OM",
        "SA",
    ]
    assert codes("Timor-Leste and East Timor") == ["TL", "TL"]


def test_the_bloc_is_the_bloc_the_sentence_has_just_named_else_the_eu():
    gaz = load_gazetteer()
    codes = [c.code for c in gaz.find_countries(
        "Chile and the Gulf Cooperation Council agreed to open talks after its minister met the bloc's chief.")]
    assert codes[-1] == "GCC"
    assert [c.code for c in gaz.find_countries("Chile's minister met the bloc's trade commissioner.")][-1] == "EU"


def test_an_ambiguous_name_is_read_only_where_the_item_names_that_government_otherwise():
    from tasks.extract.gazetteer import load_gazetteer

    gaz = load_gazetteer()
    text = "Chad and Morocco signed the agreement."
    assert "TD" not in {c.code for c in gaz.find_countries(text)}  # a first name, as far as this sentence goes
    supported = gaz.supported_weak([text, "The ministers met in N'Djamena."])
    assert supported == {"TD"}
    assert [c.code for c in gaz.find_countries(text, supported)] == ["TD", "MA"]
    assert gaz.supported_weak([text, "Rabat hosted the signing."]) == frozenset()
