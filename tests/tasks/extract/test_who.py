from tasks.extract.gazetteer import load_gazetteer
from tasks.extract.officials import collect_registry, find_officials

GAZ = load_gazetteer()


def codes(text: str) -> list[str]:
    return [c.code for c in GAZ.find_countries(text)]


def test_capitals_as_metonyms():
    assert codes("Seoul and Washington agreed") == ["KR", "US"]


def test_adjectives_names_and_agencies():
    assert codes("South Korean officials met USTR and MOTIE staff from the European Union") == [
        "KR",
        "US",
        "KR",
        "EU",
    ]


def test_north_korea_is_not_south_korea():
    assert codes("North Korea") == ["KP"]


def test_latin_america_is_not_the_united_states():
    assert codes("Latin American exporters") == []


def test_diacritics_do_not_matter():
    a = find_officials("Maroš Šefčovič met", GAZ)[0].official
    b = find_officials("Maros Sefcovic met", GAZ)[0].official
    assert a == b and a.country == "EU"


def test_title_in_context_for_unknown_people():
    found = find_officials("Trade Minister Yeo Han-koo met India's chief negotiator Rajesh Agrawal.", GAZ)
    names = {m.official.name: m.official.country for m in found}
    assert names["Yeo Han-koo"] == "KR"  # gazetteer
    assert names["Rajesh Agrawal"] == "IN"  # title in context


def test_country_adjective_before_title():
    m = find_officials("Swiss Economy Minister Guy Parmelin", GAZ)[0]
    assert m.official.country == "CH"


def test_appositive_title():
    m = find_officials("Nguyen Van An, Vietnam's deputy trade minister, said", GAZ)[0]
    assert (m.official.name, m.official.country) == ("Nguyen Van An", "VN")


def test_surname_after_full_name_in_the_same_item():
    sentences = ["Canadian Industry Minister Jean Tremblay arrived.", "Tremblay said talks went well."]
    reg = collect_registry(sentences, GAZ)
    m = find_officials(sentences[1], GAZ, reg)[0]
    assert m.official.name == "Jean Tremblay" and m.official.country == "CA"


def test_headline_verbs_are_not_names():
    found = find_officials("Secretary Bessent and Ambassador Greer Meet with Korean Counterparts", GAZ)
    assert {m.official.name for m in found} == {"Scott Bessent", "Jamieson Greer"}


def test_possessive_leader_is_background():
    m = find_officials("under the administration of President Donald Trump", GAZ)[0]
    assert m.background


def test_adjective_in_a_place_name_is_not_a_party():
    from tasks.extract.context import party_countries

    assert [c.code for c in party_countries(GAZ, "met on the sidelines in the Canadian Rockies")] == []
    assert [c.code for c in party_countries(GAZ, "Canadian officials met")] == ["CA"]


def test_country_before_tariffs_is_a_government_even_after_for():
    from tasks.extract.context import party_countries

    assert [c.code for c in party_countries(GAZ, "a deadline for higher U.S. tariffs")] == ["US"]
    assert [c.code for c in party_countries(GAZ, "he left for Washington")] == []


def test_the_trie_regex_matches_what_a_longest_first_alternation_matches():
    import re

    from tasks.extract.gazetteer import trie_pattern

    words = ["America", "American", "Americans", "EU", "Europe", "European Union", "US", "U.S.", "USTR"]
    flat = re.compile(r"(?<![A-Za-z0-9.])(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
                      + r")(?![A-Za-z0-9])")
    trie = re.compile(r"(?<![A-Za-z0-9.])(" + trie_pattern(words) + r")(?![A-Za-z0-9])")
    text = ("The USTR and the U.S. met European Union and EU officials; Americans, an American and America; "
            "Europeans in Europe; USB and EUR are not countries.")
    assert [m.group(1) for m in trie.finditer(text)] == [m.group(1) for m in flat.finditer(text)]
    assert [m.group(1) for m in trie.finditer(text)][:4] == ["USTR", "U.S.", "European Union", "EU"]
