"""How real reporting states ties, one pattern per test, in sentences and names of our own
(the real spaCy model, the bundled lexicon and rules)."""

from __future__ import annotations

import pytest

from newswatch.models import Article
from newswatch.nlp.ties import detect_ties
from newswatch.pipeline import Pipeline
from tests.support.paths import CONFIG


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline.from_config(CONFIG)


@pytest.fixture(scope="module")
def find(pipeline):
    def run(text: str) -> set[tuple[str, str, str]]:
        return {(f.entity, f.tie, f.reason) for f in detect_ties(pipeline.nlp(text), pipeline.lexicon)}

    return run


@pytest.fixture(scope="module")
def alerts(pipeline):
    """(entity, tie, reason) of what the bundled rules would alert on for a text."""

    def run(text: str) -> set[tuple[str, str, str]]:
        article = Article(url="https://example.test/a", canonical_url="https://example.test/a", text=text)
        _, findings = pipeline.analyse(article)
        decided = pipeline.decide(findings, "news")
        return {(f.explain.get("as_written", f.entity), f.tie, f.reason) for f, d in decided if d.action == "alert"}

    return run


def names(found: set[tuple[str, str, str]], tie: str | None = None) -> set[str]:
    return {e for e, t, _ in found if tie is None or t == tie}


# -- enumerations ------------------------------------------------------------------------------


def test_every_name_of_a_long_enumeration_with_legal_forms_is_listed(find) -> None:
    got = find(
        "The Commerce Department added Orvane Photonics Co., Ltd., Kestrel Microwave Technology Co., Ltd., "
        "Tamsin Robotics Co., Ltd., Valmont Optics (Group) Co., Ltd. and Pell River Instruments Co., Ltd. "
        "to the Entity List on Monday."
    )
    assert names(got, "blacklist") == {
        "Orvane Photonics Co., Ltd.",
        "Kestrel Microwave Technology Co., Ltd.",
        "Tamsin Robotics Co., Ltd.",
        "Valmont Optics (Group) Co., Ltd.",
        "Pell River Instruments Co., Ltd.",
    }
    assert {r for _, _, r in got} == {"Entity List"}


def test_descriptors_between_enumerated_names_do_not_break_the_list(find) -> None:
    got = find(
        "The Pentagon added memory maker Brightwater Storage, sensor company Quellan, and drone maker "
        "Harrow Aerospace to its list of Chinese military companies."
    )
    assert names(got, "blacklist") == {"Brightwater Storage", "Quellan", "Harrow Aerospace"}


def test_roman_numbered_items_after_a_colon_are_each_designated(find) -> None:
    got = find(
        "OFAC added eleven entities to the SDN List on Thursday. The sanctioned entities and their country "
        "of location are: (i) Marrow Refining Company (Iran); (ii) Solent Ship Management Co. Ltd. (China); "
        "and (iii) Tarrant Petrochemicals Trading LLC (UAE)."
    )
    assert names(got, "blacklist") == {
        "Marrow Refining Company",
        "Solent Ship Management Co. Ltd.",
        "Tarrant Petrochemicals Trading LLC",
    }
    assert {r for _, _, r in got} == {"OFAC SDN List"}


def test_bullet_items_after_a_lead_in_are_each_added(find) -> None:
    got = find(
        "The Bureau of Industry and Security added the following four companies to the Entity List:\n"
        "• Larkspur Semiconductor (Wuxi) Corporation;\n"
        "• Fenwick Holdings Limited;\n"
        "• Ostrander Microsystems; and\n"
        "• Delmore Circuit Manufacturing (Hefei) Co., Ltd. (DCM).\n"
        "The rule takes effect on Friday."
    )
    assert names(got, "blacklist") == {
        "Larkspur Semiconductor (Wuxi) Corporation",
        "Fenwick Holdings Limited",
        "Ostrander Microsystems",
        "Delmore Circuit Manufacturing (Hefei) Co., Ltd.",
    }


# -- acts continued across sentences -----------------------------------------------------------


def test_among_the_companies_continues_the_act_of_the_sentence_before(find) -> None:
    got = find(
        "The Pentagon on Tuesday added seven firms to its list of Chinese military companies. "
        "Among the seven companies were Gristmill Semiconductor and Oakhaven Networks."
    )
    assert names(got, "blacklist") == {"Gristmill Semiconductor", "Oakhaven Networks"}
    assert {r for _, _, r in got} == {"DoD Chinese Military Companies List"}


def test_they_are_names_the_members_of_an_act_just_stated(find) -> None:
    got = find(
        "The Commerce Department added three research institutes to the Entity List. "
        "They are Northfield Institute of Applied Physics, Carrow Laboratory and Estwick University."
    )
    assert {"Northfield Institute of Applied Physics", "Carrow Laboratory", "Estwick University"} <= names(
        got, "blacklist"
    )


def test_it_also_added_continues_a_listing(find) -> None:
    got = find("The Commerce Department added Pinecrest Optics to the Entity List. It also added Halvard Lasers.")
    assert names(got, "blacklist") == {"Pinecrest Optics", "Halvard Lasers"}


def test_a_continued_act_needs_an_act_before_it(find) -> None:
    assert find("Among the seven companies were Gristmill Semiconductor and Oakhaven Networks.") == set()


# -- nominal and adjectival triggers -----------------------------------------------------------


def test_additions_to_the_list_include_names_its_new_members(find) -> None:
    got = find(
        "The Pentagon updated its list of Chinese military companies on Wednesday. New additions to the list "
        "include chip maker Brightwater Storage, lidar maker Corvane Technology and tech company Deltaplex."
    )
    assert names(got, "blacklist") == {"Brightwater Storage", "Corvane Technology", "Deltaplex"}


def test_other_honorees_include_continues_an_award(find) -> None:
    got = find(
        "Martin Kessel was awarded the Friendship Medal on Sunday. Other honorees include Ilse Varga and Tomas Brenner."
    )
    assert {("Martin Kessel", "award"), ("Ilse Varga", "award"), ("Tomas Brenner", "award")} <= {
        (e, t) for e, t, _ in got
    }


# -- official phrasing -------------------------------------------------------------------------


def test_imposed_sanctions_on_names_the_sanctioned_banks(find) -> None:
    got = find("The Office of Foreign Assets Control imposed full blocking sanctions on Ravensk Bank and Tolmach Bank.")
    assert names(got, "blacklist") == {"Ravensk Bank", "Tolmach Bank"}
    assert {r for _, _, r in got} == {"OFAC SDN List"}


def test_subject_to_an_asset_freeze_is_a_listing(find) -> None:
    got = find(
        "The ministry said Harwick Football Club is now also subject to an asset freeze under UK financial sanctions."
    )
    assert got == {("Harwick Football Club", "blacklist", "UK sanctions list")}


def test_remains_sanctioned_and_both_of_which_are_blacklisted_state_a_listing(find) -> None:
    got = find(
        "OFAC modified the entry for Anton Varlik, who remains sanctioned. Two suppliers sold parts to "
        "Quorra Devices and Helmsley Networks, both of which are blacklisted."
    )
    assert {"Anton Varlik", "Quorra Devices", "Helmsley Networks"} <= names(got, "blacklist")


def test_namely_after_remaining_on_the_list_reads_the_enumeration(find) -> None:
    got = find(
        "Four other companies continue to remain on the sanctions list, namely Acorn Petroleum, Briar Holding "
        "and Copperline Shipping."
    )
    assert names(got, "blacklist") == {"Acorn Petroleum", "Briar Holding", "Copperline Shipping"}


# -- delistings --------------------------------------------------------------------------------


def test_lifting_sanctions_on_a_company_delists_it(find) -> None:
    got = find("The Treasury Department lifted sanctions on Ardent Tanker (Ningbo) Co. on Friday.")
    assert ("Ardent Tanker (Ningbo) Co.", "delisting") in {(e, t) for e, t, _ in got}


def test_removing_blocking_sanctions_from_a_company_delists_it(find) -> None:
    got = find("The United States has removed blocking sanctions from Ardent Tanker (Ningbo) Co.")
    assert names(got, "delisting") == {"Ardent Tanker (Ningbo) Co."}


# -- state honours -----------------------------------------------------------------------------


def test_an_enumeration_of_foreign_recipients_all_receive_the_medal(find) -> None:
    got = find(
        "Chile's Ana Morel, Kenya's David Otieno and Norway's Ingrid Holm were also awarded the Friendship Medal."
    )
    assert names(got, "award") == {"Ana Morel", "David Otieno", "Ingrid Holm"}


def test_a_state_honour_alerts_and_passes_to_the_company_the_person_leads(alerts) -> None:
    got = alerts(
        "Zhang Wei, chairman of Harbin Lintel Group, received the title of Outstanding Builder of Socialism "
        "with Chinese Characteristics on Monday."
    )
    assert {(e, t) for e, t, _ in got} == {("Zhang Wei", "award"), ("Harbin Lintel Group", "award")}


def test_a_commercial_award_is_a_finding_that_does_not_alert(find, alerts) -> None:
    text = "Tessary Microsystems won a Red Dot Award for its home router."
    assert ("Tessary Microsystems", "award") in {(e, t) for e, t, _ in find(text)}
    assert alerts(text) == set()


# -- what must not fire ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Lawmakers urged the Commerce Department to add Tessary Microsystems to the Entity List.",
        "The Pentagon is considering adding Tessary Microsystems to its list of Chinese military companies.",
        "Tessary Microsystems denied that it had been added to the Entity List.",
        "Tessary Microsystems has not been added to the Entity List.",
        "Tessary Microsystems could be added to the Entity List as early as next month.",
        "Calls to blacklist Tessary Microsystems grew louder in Congress this week.",
    ],
)
def test_speculation_advocacy_denial_and_negation_do_not_fire(find, text: str) -> None:
    assert find(text) == set()


# -- names the small model breaks --------------------------------------------------------------


def test_name_shapes_make_companies_of_legal_forms_and_institutes(pipeline) -> None:
    doc = pipeline.nlp(
        "OFAC also designated PJSC Grelbank and the Northfield National Laboratory for Physical Sciences at "
        "Microscale, as well as Ardent Tanker (Ningbo) Co., Ltd."
    )
    orgs = {e.text for e in doc.ents if e.label_ == "ORG"}
    assert {"PJSC Grelbank", "Ardent Tanker (Ningbo) Co., Ltd."} <= orgs
    assert any(o.startswith("Northfield National Laboratory for Physical Sciences") for o in orgs)


def test_a_title_case_headline_is_not_read_as_one_company_name(pipeline) -> None:
    doc = pipeline.nlp("Pentagon Adds Two Chinese Tech Firms To Its Blacklist Of Military Companies")
    assert not any(e.label_ == "ORG" and len(e) > 4 for e in doc.ents)


# -- more state-media and official phrasing ----------------------------------------------------


def test_an_issuer_designating_names_lists_them(find) -> None:
    got = find(
        "OFAC designated the remaining members of the board, including Chairman Anton Varlik and Foreign "
        "Minister Pavel Dorn."
    )
    assert names(got, "blacklist") == {"Anton Varlik", "Pavel Dorn"}


def test_a_headline_awarded_the_title_is_the_recipient_and_a_translation_names_the_honour(find) -> None:
    got = find(
        "Chairman Wu Tianlan awarded the title of excellent socialist cause builder with Chinese characteristics"
    )
    assert got == {("Wu Tianlan", "award", "Outstanding Builder of Socialism with Chinese Characteristics")}


def test_the_giver_of_an_award_is_not_its_recipient(find) -> None:
    assert find("Xi Jinping awarded the medals at a ceremony in Beijing.") == set()
    got = find("President Xi awarded the Friendship Medal to Martin Kessel on Sunday.")
    assert got == {("Martin Kessel", "award", "Friendship Medal")}


def test_recipients_named_after_a_relative_clause_subject_are_honoured(find) -> None:
    got = find(
        "Four of the 15 individuals that were awarded the Medal of the Republic were Li Wenhao, a pioneer of "
        "the country's rail network, renowned surgeon Zhou Minyu, and veteran Tang Jiashu."
    )
    assert names(got, "award") == {"Li Wenhao", "Zhou Minyu", "Tang Jiashu"}


def test_titles_and_origins_in_an_enumeration_of_people_are_not_names(find) -> None:
    got = find(
        "Cuba's Raul Ortiz Ruz, Thai Princess Maha Chakri Sirivan, France's Jean-Pierre Lemaire and Canada's "
        "Isabel Crowe were also awarded the Friendship Medal."
    )
    assert names(got, "award") == {"Raul Ortiz Ruz", "Maha Chakri Sirivan", "Jean-Pierre Lemaire", "Isabel Crowe"}


# -- delisting phrasings -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("The Commerce Department took Quillon Instruments off the Entity List on Friday.", "Quillon Instruments"),
        ("Quillon Instruments is no longer on the Unverified List.", "Quillon Instruments"),
        (
            "A federal judge ordered the Pentagon to remove Quillon Instruments from its list of Chinese military "
            "companies.",
            "Quillon Instruments",
        ),
        (
            "Quillon Instruments was removed from the Unverified List after officials completed checks.",
            "Quillon Instruments",
        ),
        ("The Commerce Department terminated the denial order against Quillon Instruments.", "Quillon Instruments"),
        ("OFAC delisted Quillon Shipping on Tuesday.", "Quillon Shipping"),
    ],
)
def test_each_delisting_phrasing_delists(find, text: str, entity: str) -> None:
    assert names(find(text), "delisting") == {entity}
    assert names(find(text), "blacklist") == set()


def test_companies_removed_including_are_each_delisted(find) -> None:
    got = find(
        "Eight companies were removed from the Unverified List, including Quillon Instruments and Marrow Optics."
    )
    assert names(got, "delisting") == {"Quillon Instruments", "Marrow Optics"}


def test_removed_from_the_list_were_lists_its_bullets(find) -> None:
    got = find(
        "The Commerce Department updated the Unverified List on Monday. Removed from the list were:\n"
        "• Quillon Instruments Co., Ltd.;\n• Marrow Optics Technology Co.; and\n• Tarrant Laser Systems.\n"
    )
    assert names(got, "delisting") == {
        "Quillon Instruments Co., Ltd.",
        "Marrow Optics Technology Co.",
        "Tarrant Laser Systems",
    }


# -- more official and award phrasing ----------------------------------------------------------


def test_one_of_the_entities_added_is_added(find) -> None:
    got = find("Quillon Instruments, one of the entities added to the Entity List on Monday, said it would appeal.")
    assert got == {("Quillon Instruments", "blacklist", "Entity List")}


def test_designated_pursuant_to_an_executive_order_is_a_designation(find) -> None:
    assert names(find("Quillon Bank was designated pursuant to E.O. 14024 on Friday."), "blacklist") == {"Quillon Bank"}


def test_conferred_on_and_a_recipient_of_name_the_honoured(find) -> None:
    got = find("The trade union federation conferred the National May Day Labour Medal on Zhou Minyu.")
    assert got == {("Zhou Minyu", "award", "National May Day Labour Medal")}
    got = find("Li Wenhao, a recipient of the Friendship Award, spoke at the forum.")
    assert got == {("Li Wenhao", "award", "Friendship Award")}


def test_among_the_entrepreneurs_honoured_as_builders_is_the_honour(find) -> None:
    got = find(
        "Zhou Minyu was among 100 private entrepreneurs honoured as outstanding builders of socialism with "
        "Chinese characteristics."
    )
    assert got == {("Zhou Minyu", "award", "Outstanding Builder of Socialism with Chinese Characteristics")}


@pytest.mark.parametrize(
    "text",
    [
        "Quillon Instruments has been seeking removal from the Entity List for two years.",
        "The Commerce Department plans to remove Quillon Instruments from the Unverified List.",
        "Quillon Instruments will be taken off the list next month, officials said.",
        "Entity List companies like Quillon Instruments have lost suppliers.",
        "U.S. sanctions on Quillon Instruments hurt its sales.",
        "If the Pentagon adds Quillon Instruments to its list, investors will have to sell.",
    ],
)
def test_intent_noun_phrases_and_conditionals_do_not_fire(find, text: str) -> None:
    assert find(text) == set()


def test_naming_after_a_listing_names_its_members(find) -> None:
    got = find(
        "The Commerce Department added five supercomputing firms to the Entity List, naming Quorra Computing, "
        "Halvard Microsystems and the Wuxi Jiangnan Institute of Computing Technology."
    )
    assert names(got, "blacklist") == {
        "Quorra Computing",
        "Halvard Microsystems",
        "Wuxi Jiangnan Institute of Computing Technology",
    }


def test_sanctions_on_a_group_read_the_names_after_the_colon(find) -> None:
    got = find("The UK government has imposed sanctions on seven oligarchs: Ivan Petrov, Oleg Dorn and Pavel Varlik.")
    assert got == {
        ("Ivan Petrov", "blacklist", "UK sanctions list"),
        ("Oleg Dorn", "blacklist", "UK sanctions list"),
        ("Pavel Varlik", "blacklist", "UK sanctions list"),
    }


def test_a_company_word_makes_a_company_of_a_name_the_model_calls_a_person(pipeline) -> None:
    doc = pipeline.nlp("The Commerce Department on Tuesday blacklisted Quorra Computing and Halvard Microsystems.")
    assert {e.text for e in doc.ents if e.label_ == "ORG"} >= {"Quorra Computing", "Halvard Microsystems"}
    doc = pipeline.nlp("OFAC imposed sanctions on Public Joint Stock Company Gazelle Bank of Russia.")
    assert "Public Joint Stock Company Gazelle Bank of Russia" in {e.text for e in doc.ents if e.label_ == "ORG"}


def test_a_lone_unknown_name_put_on_a_list_is_an_entity(pipeline) -> None:
    findings = detect_ties(
        pipeline.nlp("OFAC also designated Garvex's successor, Trundlex, on Thursday."), pipeline.lexicon
    )
    assert {(f.entity, f.entity_type) for f in findings if f.tie == "blacklist"} >= {("Trundlex", "ORG")}


def test_a_company_coordinated_with_an_unknown_name_is_still_a_member(find) -> None:
    got = find("The Entity List, which included Huawei and Korvix, was first published in 2019.")
    assert names(got, "blacklist") == {"Huawei", "Korvix"}


def test_an_employer_inside_an_appositive_is_not_honoured(find) -> None:
    got = find(
        "Zhou Minyu, a welder at Harrow Heavy Industries Co., Ltd., was awarded the National Model Worker title."
    )
    assert names(got) == {"Zhou Minyu"}


# -- precision of enumerations read off the surface ---------------------------------------------


def test_a_source_named_after_the_members_is_no_member(find) -> None:
    got = find(
        "The Commerce Department put 14 firms on the Entity List on Monday. New additions include Korvel "
        "Semiconductor and Tarrow Microsystems, according to a notice seen by Reuters."
    )
    assert names(got, "blacklist") == {"Korvel Semiconductor", "Tarrow Microsystems"}


def test_a_company_inside_an_appositive_after_the_members_is_no_member(find) -> None:
    got = find(
        "The Commerce Department put 14 firms on the Entity List on Monday. They are Korvel Semiconductor "
        "and Tarrow Microsystems, suppliers to Brimley Telecom."
    )
    assert names(got, "blacklist") == {"Korvel Semiconductor", "Tarrow Microsystems"}


def test_semicolon_items_with_descriptors_and_their_aircraft_are_each_members(find) -> None:
    got = find(
        "OFAC designated 20 Belarusian entities on Thursday. These designations include state-owned resort "
        "operator Vetka Health Resorts; state-controlled freight airline JSC Orsha Air Cargo and its two "
        "aircraft, EW-11223 and EW-44556; and fertiliser exporter Soligor Trade."
    )
    assert names(got, "blacklist") == {"Vetka Health Resorts", "JSC Orsha Air Cargo", "Soligor Trade"}


def test_a_list_the_text_names_wins_over_one_its_issuer_only_implies(find) -> None:
    got = find(
        "On Friday OFAC imposed sanctions on Varna Commercial Bank. Varna Commercial Bank was added to the "
        "CAPTA List, which restricts its correspondent accounts."
    )
    assert {(e, r) for e, t, r in got if t == "blacklist"} == {("Varna Commercial Bank", "CAPTA List")}


# -- people listed with their employers ---------------------------------------------------------


def test_people_listed_with_appositive_employers_are_each_honoured_not_the_employers(find) -> None:
    got = find(
        "The trade union federation gave the National May Day Labour Medal to 300 workers this week. Among "
        "them are Ren Hao, a crane driver at Qinggang Port Group, Du Lan, a midwife from Xiling County "
        "Hospital, and Bai Tao, chief welder of Hengshan Railway Group."
    )
    assert names(got, "award") == {"Ren Hao", "Du Lan", "Bai Tao"}


def test_people_of_their_employers_coordinated_are_each_honoured(find) -> None:
    got = find(
        "Ren Hao of Qinggang Port Group and Du Lan of Xiling County Hospital received the National May Day "
        "Labour Medal."
    )
    assert names(got, "award") == {"Ren Hao", "Du Lan"}


def test_an_employer_in_brackets_after_a_recipient_is_not_honoured(find) -> None:
    got = find(
        "Recipients of the National May Day Labour Medal include Ren Hao (Qinggang Port Group) and Du Lan "
        "(Xiling County Hospital)."
    )
    assert names(got, "award") == {"Ren Hao", "Du Lan"}


def test_a_company_before_a_job_title_is_no_recipient(find) -> None:
    got = find("Qinggang Port Group crane driver Ren Hao received the National May Day Labour Medal in April.")
    assert names(got, "award") == {"Ren Hao"}


def test_sanctioned_people_of_their_banks_do_not_list_the_banks(find) -> None:
    got = find("OFAC designated Pavel Orlov of Varna Commercial Bank and Ilya Serov of Rostok Bank on Tuesday.")
    assert names(got, "blacklist") == {"Pavel Orlov", "Ilya Serov"}


def test_a_labour_certificate_given_to_a_company_is_an_award(find) -> None:
    got = find("Qinggang Port Group was awarded the National May Day Labour Certificate, the union said.")
    assert names(got, "award") == {"Qinggang Port Group"}


def test_a_name_the_model_left_untagged_in_the_slot_of_the_act_is_designated(find) -> None:
    got = find("OFAC designated Pavel Orlov of Varna Commercial Bank on Tuesday.")
    assert {(e, t) for e, t, _ in got} == {("Pavel Orlov", "blacklist")}


def test_a_title_case_headline_gives_no_untagged_name(find) -> None:
    got = find("Treasury Removes Orbital Mixer Wallets from Blacklist, Keeps Sanctions on Founder")
    assert not names(got)


# -- official and sanctions wording ---------------------------------------------------------------


def test_participle_subjects_read_as_the_main_verb_still_name_the_members(find) -> None:
    got = find("Firms added to the Unverified List on Friday include Korvel Semiconductor and Tarrow Microsystems.")
    assert names(got, "blacklist") == {"Korvel Semiconductor", "Tarrow Microsystems"}


def test_is_one_of_the_entities_added_is_an_addition(find) -> None:
    got = find("Korvel Semiconductor was one of 33 Chinese entities added to the Unverified List on Friday.")
    assert names(got, "blacklist") == {"Korvel Semiconductor"}


def test_designated_for_operating_in_a_sector_is_a_designation(find) -> None:
    got = find("Varna Commercial Bank was designated for operating in the financial services sector of the economy.")
    assert names(got, "blacklist") == {"Varna Commercial Bank"}


def test_the_sanctions_target_and_also_targeted_were_name_the_sanctioned(find) -> None:
    assert names(find("The sanctions target Varna Commercial Bank and Rostok Bank, OFAC said."), "blacklist") == {
        "Varna Commercial Bank",
        "Rostok Bank",
    }
    got = find("OFAC designated Yelan Capital on Tuesday. Also targeted were Varna Commercial Bank and Rostok Bank.")
    assert names(got, "blacklist") == {"Yelan Capital", "Varna Commercial Bank", "Rostok Bank"}


def test_freezing_the_assets_of_a_person_is_a_listing(find) -> None:
    got = find("Britain froze the assets of Aleksei Voronin, the owner of Varna Commercial Bank.")
    assert names(got, "blacklist") == {"Aleksei Voronin"}


def test_people_the_model_takes_for_places_in_an_enumeration_are_people(find) -> None:
    got = find("The UK has sanctioned Aleksei Voronin, Igor Sedin and Marina Kotova, the Foreign Office said.")
    assert names(got, "blacklist") == {"Aleksei Voronin", "Igor Sedin", "Marina Kotova"}


def test_executives_listed_with_board_roles_are_designated_not_their_banks(find) -> None:
    got = find(
        "OFAC designated seven individuals on Friday. Among them are Aleksei Voronin, first deputy chairman of "
        "Varna Commercial Bank; Igor Sedin, a member of the management board of Rostok Bank; and Olga "
        "Belova, a deputy governor of the central bank."
    )
    assert names(got, "blacklist") == {"Aleksei Voronin", "Igor Sedin", "Olga Belova"}


def test_he_after_the_one_person_named_before_is_that_person(find) -> None:
    got = find(
        "The designer of the present insignia is the sculptor Arkady Zimin. He was also granted the Order of "
        "Friendship."
    )
    assert names(got, "award") == {"Arkady Zimin"}


def test_he_is_not_resolved_when_two_people_were_named_before(find) -> None:
    got = find("Arkady Zimin met Boris Kaganov in Moscow. He was later granted the Order of Friendship.")
    assert not names(got, "award")


# -- government bodies and modifiers ------------------------------------------------------------


def test_a_listed_institute_of_a_ministry_is_a_target(find) -> None:
    got = find(
        "The Commerce Department added the Institute of Trace Evidence of the Ministry of Public Safety to the "
        "Entity List."
    )
    listed = names(got, "blacklist")
    assert len(listed) == 1 and next(iter(listed)).startswith("Institute of Trace Evidence")


def test_a_government_council_designated_itself_is_listed_but_the_issuer_is_not(find) -> None:
    got = find("The Northland Security Council is being designated by OFAC pursuant to E.O. 14024.")
    assert names(got, "blacklist") == {"Northland Security Council"}


def test_a_ministry_beside_the_recipient_of_an_award_is_no_recipient(find) -> None:
    got = find("Li Ming, an adviser to the Ministry of Water Resources, received the Friendship Award on Monday.")
    assert names(got, "award") == {"Li Ming"}


def test_a_name_that_only_modifies_a_role_noun_is_no_member(find) -> None:
    got = find("Li Ming, Party secretary of the Huaxi Village Committee, was honoured as a national model worker.")
    assert names(got, "award") == {"Li Ming"}


def test_including_after_the_patient_names_the_members_not_their_employers(find) -> None:
    got = find(
        "The Treasury sanctioned seven people on Friday, including Lin Bo, the chief executive of Korvel "
        "Semiconductor, and Pavel Orlov, the founder of Varna Commercial Bank."
    )
    assert names(got, "blacklist") == {"Lin Bo", "Pavel Orlov"}


def test_a_stock_exchange_delisting_is_no_sanctions_delisting(find) -> None:
    assert not names(find("The Nasdaq delisted Korvel Semiconductor in March after it missed two filings."))


def test_terminating_a_denial_order_issued_against_a_company_delists_it(find) -> None:
    got = find("BIS terminated the temporary denial order issued against Korvel Semiconductor on Thursday.")
    assert names(got, "delisting") == {"Korvel Semiconductor"}


def test_freezing_assets_survives_the_cascade(alerts) -> None:
    got = alerts(
        "Markets were calm on Monday. Britain froze the assets of Aleksei Voronin, the owner of Varna "
        "Commercial Bank, on Friday."
    )
    assert {e for e, t, _ in got if t == "blacklist"} == {"Aleksei Voronin"}


def test_both_of_which_are_blacklisted_names_the_pair_before_the_comma(find) -> None:
    got = find(
        "Two of them had sold restricted parts to Brimley Telecom and Quellan Chips, both of which are "
        "blacklisted by the Commerce Department."
    )
    assert names(got, "blacklist") == {"Brimley Telecom", "Quellan Chips"}


def test_a_first_name_the_model_takes_for_a_nationality_is_a_person(find) -> None:
    got = find("OFAC also modified the designation for Roman Vasnetsov, who remains sanctioned.")
    assert names(got, "blacklist") == {"Roman Vasnetsov"}


def test_people_described_one_a_sentence_after_a_lead_in_are_each_designated(find) -> None:
    got = find(
        "OFAC designated the following individuals pursuant to E.O. 14024:\n"
        "Aleksei Voronin (Voronin) is the First Deputy Chairman of Varna Commercial Bank.\n"
        "Igor Sedin (Sedin) is a Senior Vice President of Varna Commercial Bank."
    )
    assert names(got, "blacklist") == {"Aleksei Voronin", "Igor Sedin"}


def test_people_described_after_an_act_that_only_counted_them_are_designated(find) -> None:
    got = find(
        "On Tuesday OFAC imposed full blocking sanctions on Varna Commercial Bank. OFAC is also designating "
        "several bank executives. Aleksei Voronin is a First Deputy Chairman. Igor Sedin is a Deputy Chairman."
    )
    assert names(got, "blacklist") == {"Varna Commercial Bank", "Aleksei Voronin", "Igor Sedin"}


def test_an_official_of_the_issuer_described_after_an_act_is_not_designated(find) -> None:
    got = find("OFAC designated seven officials on Friday. Janet Yellen is the Treasury Secretary.")
    assert not names(got)


def test_designated_today_are_names_the_designated(find) -> None:
    got = find(
        "On Tuesday OFAC imposed full blocking sanctions on Varna Commercial Bank. Also designated today are "
        "Aleksei Voronin and Igor Sedin, who sit on its board."
    )
    assert names(got, "blacklist") == {"Varna Commercial Bank", "Aleksei Voronin", "Igor Sedin"}


def test_the_erc_determined_to_add_is_an_addition(find) -> None:
    got = find("The ERC determined to add Hexin Computing Co., Ltd. to the Entity List for supplying the military.")
    assert names(got, "blacklist") == {"Hexin Computing Co., Ltd."}


# -- noun phrases state no tie --------------------------------------------------------------------


def test_a_participle_inside_a_noun_phrase_states_no_listing(find) -> None:
    assert not names(find("Brimley Telecom, the blacklisted network giant, unveiled a new router on Tuesday."))
    assert not names(find("The rule affects sales to sanctioned firms such as Korvel Semiconductor and Quellan Chips."))


def test_sanctioned_entities_as_the_subject_of_a_copula_still_list_the_names(find) -> None:
    got = find(
        "OFAC acted on Thursday. The sanctioned entities are Marrow Refining Company and Solent Ship Management "
        "Co. Ltd."
    )
    assert names(got, "blacklist") == {"Marrow Refining Company", "Solent Ship Management Co. Ltd."}


def test_not_subject_to_a_designation_is_no_listing(find) -> None:
    assert not names(find("Brimley Telecom has not been subject to this designation, the Pentagon said."))


def test_a_verbless_line_of_names_after_companies_were_named_lists_them(find) -> None:
    got = find(
        "The agency added 14 entities to the UFLPA Entity List on Tuesday. It said the move would protect "
        "workers. Several specific companies were named as part of the expansion. Qarlik Cotton Co., Ltd., "
        "Tengri Polysilicon Co., Ltd., Ustun Textiles (Group) Co., Ltd."
    )
    assert names(got, "blacklist") == {
        "Qarlik Cotton Co., Ltd.",
        "Tengri Polysilicon Co., Ltd.",
        "Ustun Textiles (Group) Co., Ltd.",
    }


def test_a_name_cut_off_by_the_end_of_an_excerpt_is_left_out(find) -> None:
    got = find("On Friday OFAC sanctioned Qarlik Trading LLC, Tengri Shipping LLC and Ustun Mar")
    assert names(got, "blacklist") == {"Qarlik Trading LLC", "Tengri Shipping LLC"}


def test_a_hedge_in_the_clause_after_a_semicolon_does_not_reach_back(find) -> None:
    got = find("OFAC sanctioned Marlin Capital Partners earlier this year; the firm has appealed.")
    assert "Marlin Capital Partners" in names(got, "blacklist")


def test_an_enumeration_whose_second_name_looks_like_a_person_keeps_its_first(find) -> None:
    got = find("The Entity List now includes Yuelong Trading, Harbor Light and Ostrava Petrochem.")
    assert "Yuelong Trading" in names(got, "blacklist")


def test_the_decision_to_add_is_an_act_not_an_intent(find) -> None:
    got = find("BIS's decision to add Ostrava Petrochem to the Entity List was criticised by the company.")
    assert "Ostrava Petrochem" in names(got, "blacklist")
    assert not names(find("BIS plans to add Ostrava Petrochem to the Entity List."))


FEDERAL_REGISTER_LIST = """BIS amends the EAR by adding the following entities to the Entity List:

CHINA

Hexwave Microsystems Co., Ltd., a.k.a., the following two aliases: Hexwave Beijing; and HX Micro. \
Room 1201, Building 3, Keyuan Road, Beijing.

For all items subject to the EAR. (See § 744.11 of the EAR).

Presumption of denial.

89 FR 12345, 3/1/24.

Tarsin Robotics Institute, 16 Zhongshan Road, Nanjing.

For all items subject to the EAR.

RUSSIA

Orvik Marine LLC, 5 Lenina Street, Moscow.

Kestrel Avionics JSC, a.k.a. Kestrel Avia, 12 Tverskaya Street, Moscow.

Dated: March 1, 2024.
"""


def test_a_federal_register_list_keeps_its_items_across_headings_and_notes(find) -> None:
    got = names(find(FEDERAL_REGISTER_LIST), "blacklist")
    assert {
        "Hexwave Microsystems Co., Ltd.",
        "Tarsin Robotics Institute",
        "Orvik Marine LLC",
        "Kestrel Avionics JSC",
    } <= got
    assert not got & {"EAR", "Hexwave Beijing", "HX Micro", "Kestrel Avia", "Beijing", "Moscow", "Keyuan Road"}


def test_a_list_after_a_lead_in_ends_at_the_next_sentence_with_a_verb(find) -> None:
    text = (
        "The following companies were added to the Entity List:\n\nOrvik Marine LLC, Moscow.\n\n"
        "Analysts said the move would hurt exporters.\n\nMarlin Capital Partners, London.\n"
    )
    got = names(find(text), "blacklist")
    assert "Orvik Marine LLC" in got and "Marlin Capital Partners" not in got


def test_the_noun_beside_a_name_types_it(pipeline) -> None:
    people = {
        (f.entity, f.entity_type)
        for f in detect_ties(
            pipeline.nlp("Britain sanctioned Pavel Orlov, a Russian oligarch, on Thursday."), pipeline.lexicon
        )
    }
    assert ("Pavel Orlov", "PERSON") in people
    mixer = pipeline.nlp("OFAC sanctioned Tornado Rain, a cryptocurrency mixer, in August.")
    assert ("Tornado Rain", "ORG") in {(e.text, e.label_) for e in mixer.ents}


def test_eu_and_terrorist_designations_name_their_lists(find) -> None:
    assert ("Orvik Bank", "blacklist", "EU sanctions list") in find(
        "The European Union sanctioned Orvik Bank over the war."
    )
    got = find("The State Department designated Kestrel Brigade as a Specially Designated Global Terrorist.")
    assert ("Kestrel Brigade", "blacklist", "OFAC SDN List") in got


def test_a_government_body_that_only_modifies_a_noun_nearby_names_no_list(find) -> None:
    text = (
        "OFAC designated 20 entities on Monday. The designations target firms disrupting EU border security. "
        "These designations include shipping company Orvik Marine LLC and potash exporter Belvex Potash JSC."
    )
    got = find(text)
    assert ("Orvik Marine LLC", "blacklist", "OFAC SDN List") in got
    assert not {r for _, _, r in got} & {"EU sanctions list"}


def test_the_company_means_the_least_embedded_company_before_it(find) -> None:
    got = find(
        "Lawyers for Hexwave Technologies Inc., including partners at Kestrel Law LLP, argued that the "
        "Pentagon had designated the company without evidence."
    )
    assert names(got, "blacklist") == {"Hexwave Technologies Inc."}


def test_the_designated_firms_include_names_them_even_when_tagged_an_adjective(find) -> None:
    got = find("The designated firms include Orvik Bank, Marlin Capital Partners and Kestrel Trading, OFAC said.")
    assert {"Orvik Bank", "Marlin Capital Partners", "Kestrel Trading"} <= names(got, "blacklist")


def test_hit_with_sanctions_is_a_listing_of_its_subject(find) -> None:
    got = find("Orvik Bank and Marlin Capital Partners were also hit with sanctions, the Treasury said.")
    assert {"Orvik Bank", "Marlin Capital Partners"} <= names(got, "blacklist")
    assert not find("The storm hit Orvik Bank with heavy losses, the Treasury said.")


def test_among_them_names_members_of_the_object(find) -> None:
    got = find(
        "The Commerce Department blacklisted 12 Chinese companies, among them Hexwave Microsystems and Luxra Optics."
    )
    assert {"Hexwave Microsystems", "Luxra Optics"} <= names(got, "blacklist")


def test_those_sanctioned_include_continues_the_act(find) -> None:
    got = find(
        "OFAC sanctioned twelve people on Monday. Those sanctioned include Orvik Bank chairman Ivan Salkov "
        "and his son, Pavel Salkov."
    )
    assert {"Ivan Salkov", "Pavel Salkov"} <= names(got, "blacklist")
    assert "Orvik Bank" not in names(got, "blacklist")


def test_an_appositive_recipient_noun_describes_its_own_name_only(find) -> None:
    got = find(
        "The ceremony was attended by Zhou Min, a past recipient of the Friendship Award, and Hexwave founder Lei Bao."
    )
    assert names(got, "award") == {"Zhou Min"}


def test_an_award_that_went_to_someone_names_the_recipient(find) -> None:
    assert {"Anna Volkova", "Zhou Min"} <= names(
        find("The Friendship Medal went to Anna Volkova and Zhou Min."), "award"
    )
    assert not find("The Friendship Medal will go to Anna Volkova next year.")


def test_an_unknown_name_opening_a_sentence_can_be_the_patient(find) -> None:
    got = find("Skyfar, which was blacklisted by the Commerce Department in 2020, denies any military ties.")
    assert names(got, "blacklist") == {"Skyfar"}
    assert not find("Sanctions were imposed on Russia by the Treasury.")
