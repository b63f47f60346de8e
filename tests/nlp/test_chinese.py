"""Chinese articles through the real pipeline stages (nlp/zh annotator and tie rules, the resolve
stage, the bundled config): one construction per test, texts written for these tests."""

from __future__ import annotations

import pytest

from newswatch.models import Article, Finding
from newswatch.nlp.zh.text import is_chinese, normalise
from newswatch.pipeline import Pipeline
from tests.support.paths import CONFIG

BUILDERS = "Outstanding Builder of Socialism with Chinese Characteristics"
DOD = "DoD Chinese Military Companies List"


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline.from_config(CONFIG)


@pytest.fixture(scope="module")
def analyse(pipeline: Pipeline):
    def run(text: str, language: str | None = "zh") -> list[Finding]:
        article = Article(
            url="https://zh.example/a", canonical_url="https://zh.example/a", text=text, language=language
        )
        _, findings = pipeline.analyse(article)
        return [f for f in findings if f.source == "text"]

    return run


def ties(findings: list[Finding]) -> set[tuple[str, str, str, str | None]]:
    return {(f.entity, f.tie, f.reason, f.via) for f in findings}


def test_a_provincial_honours_list_honours_the_chairman_and_his_company_via_him(analyse) -> None:
    got = analyse(
        "江南省表彰优秀中国特色社会主义事业建设者\n"
        "经省委、省政府研究，决定授予张明远（青禾智能科技有限公司董事长）等50名同志"
        "“江南省优秀中国特色社会主义事业建设者”称号。\n"
        "获表彰人员中，远山新材料集团总裁李若兰、白鹭湾食品厂职工陈小禾榮獲該稱號后表示将继续努力。"
    )
    assert ties(got) == {
        ("张明远", "award", BUILDERS, None),
        ("青禾智能科技有限公司", "award", BUILDERS, "张明远"),
        ("李若兰", "award", BUILDERS, None),
        ("远山新材料集团", "award", BUILDERS, "李若兰"),
        ("陈小禾", "award", BUILDERS, None),  # a worker: her employer is not honoured
    }
    company = next(f for f in got if f.entity == "青禾智能科技有限公司")
    assert company.entity_type == "ORG" and company.explain["language"] == "zh"
    assert company.evidence.startswith("经省委、省政府研究，决定授予张明远")


def test_an_entity_list_addition_names_all_five_companies(analyse) -> None:
    got = analyse(
        "美国商务部工业与安全局（BIS）当地时间12日发布公告，将星河半导体有限公司、北辰微电子股份有限公司、"
        "启明光电科技、海岳通信集团和天枢数据研究院等5家中国实体列入出口管制实体清单。中方对此坚决反对。"
    )
    assert ties(got) == {
        (name, "blacklist", "Entity List", None)
        for name in ("星河半导体有限公司", "北辰微电子股份有限公司", "启明光电科技", "海岳通信集团", "天枢数据研究院")
    }
    assert all(f.evidence.endswith("列入出口管制实体清单。") for f in got)


def test_a_lead_in_and_its_numbered_lines_list_each_company(analyse) -> None:
    got = analyse(
        "美国国防部更新“中国军事企业清单”，新增以下企业：\n1. 松岭无人机科技有限公司\n2. 蓝湾激光研究所\n"
        "此外，国防部还表示将继续评估其他企业。"
    )
    assert ties(got) == {
        ("松岭无人机科技有限公司", "blacklist", DOD, None),
        ("蓝湾激光研究所", "blacklist", DOD, None),
    }


def test_a_court_ordered_removal_is_a_delisting_of_the_watched_company(analyse) -> None:
    got = analyse(
        "美国哥伦比亚特区联邦地区法院裁定，国防部的认定缺乏依据。"
        "随后，美国国防部依据法院判决将小米集团从中国军事企业清单中移除。"
    )
    assert ties(got) == {("Xiaomi Corporation", "delisting", DOD, None)}
    (f,) = got
    assert f.entity_id == "xiaomi" and f.explain["as_written"] == "小米集团"


@pytest.mark.parametrize(
    "text",
    [
        "据知情人士透露，美国商务部正考虑将启明光电科技列入实体清单。",
        "多名美国议员呼吁将海岳通信集团纳入实体清单。",
        "小米集团否认被列入任何制裁名单。",
        "有分析称，星河半导体有限公司或将被列入实体清单。",
        "美国商务部拟将北辰微电子股份有限公司加入实体清单。",
        "青禾智能科技有限公司并未被列入实体清单。",
    ],
)
def test_a_hedged_or_denied_tie_does_not_fire(analyse, text: str) -> None:
    assert analyse(text) == []


def test_a_count_without_names_is_no_finding(analyse) -> None:
    assert analyse("美国商务部将11家中国实体列入实体清单，中方坚决反对。") == []
    assert analyse("今年共有1088人获得全国五一劳动奖章，其中农民工172人。") == []


def test_a_traditional_page_is_matched_in_simplified_and_quoted_as_written(analyse) -> None:
    text = "美國商務部週三宣布，將星河半導體有限公司、北辰微電子研究院列入「未經核實」的出口管制清單。"
    got = analyse(text, language="zh")
    assert ties(got) == {
        ("星河半導體有限公司", "blacklist", "Unverified List", None),
        ("北辰微電子研究院", "blacklist", "Unverified List", None),
    }
    assert {f.evidence for f in got} == {text}


def test_a_removal_and_an_earlier_listing_in_one_sentence(analyse) -> None:
    got = analyse(
        "美国商务部将启明光电科技列入未经核实清单。另外，商务部同时将6家公司剔出名单，包括去年列入名单的松岭无人机科技有限公司。"
    )
    assert ties(got) == {
        ("启明光电科技", "blacklist", "Unverified List", None),
        ("松岭无人机科技有限公司", "delisting", "Unverified List", None),
        ("松岭无人机科技有限公司", "blacklist", "Unverified List", None),
    }


def test_an_award_given_to_named_experts_and_a_ceo_passes_to_his_company(analyse) -> None:
    got = analyse(
        "中国驻英国大使馆10日举行仪式，向海湾大学教授艾伦·布莱克和北岬能源公司首席执行官玛丽-安·福斯特"
        "两名外国专家颁发2024年度中国政府友谊奖。"
    )
    assert ties(got) == {
        ("艾伦·布莱克", "award", "Friendship Award", None),
        ("玛丽-安·福斯特", "award", "Friendship Award", None),
        ("北岬能源公司", "award", "Friendship Award", "玛丽-安·福斯特"),
    }


def test_a_sanctioned_chairman_does_not_list_his_company(analyse) -> None:
    got = analyse("美国财政部宣布制裁海岳通信集团董事长王海岳。")
    assert ties(got) == {("王海岳", "blacklist", "OFAC SDN List", None)}


def test_a_chinese_page_is_recognised_even_when_its_language_is_unknown() -> None:
    assert is_chinese(None, "美国商务部将星河半导体有限公司列入实体清单。")
    assert is_chinese("zh-TW", "")
    assert not is_chinese("en", "The Commerce Department added two companies to the Entity List.")
    assert not is_chinese(None, "小米は中国の会社です。アメリカの国防総省のリストに入った。")


def test_normalising_keeps_the_way_back_to_the_original() -> None:
    n = normalise("優秀建設者(jiàn)稱號")
    assert n.text == "优秀建设者称号"
    assert n.verbatim(0, len(n.text)) == "優秀建設者(jiàn)稱號"
    assert n.verbatim(3, 5) == "設者"


def test_short_names_without_a_suffix_are_read_from_the_listing_slot(analyse) -> None:
    got = analyse("美国商务部宣布，将中芯国际、华大基因等24家中国企业和机构列入实体清单。")
    assert ties(got) == {("中芯国际", "blacklist", "Entity List", None), ("华大基因", "blacklist", "Entity List", None)}


def test_people_named_without_a_role_are_read_from_the_award_slot(analyse) -> None:
    got = analyse("大会授予张建国、李秀英、王志刚“全国劳动模范”称号。")
    assert ties(got) == {(n, "award", "National Model Worker", None) for n in ("张建国", "李秀英", "王志刚")}


def test_a_list_of_names_with_employer_and_role_on_each_line(analyse) -> None:
    got = analyse(
        "江南省第三届优秀中国特色社会主义事业建设者名单如下：\n"
        "张明远　青禾智能科技有限公司董事长\n"
        "李若兰　远山新材料集团工程师\n"
    )
    assert ties(got) >= {("张明远", "award", BUILDERS, None), ("青禾智能科技有限公司", "award", BUILDERS, "张明远")}
    assert ("远山新材料集团", "award", BUILDERS, "李若兰") not in ties(got)


def test_a_following_sentence_that_names_them_continues_the_act(analyse) -> None:
    got = analyse(
        "美国商务部当地时间周一宣布，将3家中国实体列入实体清单。这3家实体分别为：松岭无人机科技有限公司、"
        "蓝湾激光研究所和江北精密仪器厂。"
    )
    assert ties(got) == {
        (n, "blacklist", "Entity List", None) for n in ("松岭无人机科技有限公司", "蓝湾激光研究所", "江北精密仪器厂")
    }


def test_a_relative_clause_with_a_generic_head_lists_what_follows(analyse) -> None:
    got = analyse("此次被列入实体清单的中国企业包括：星河半导体有限公司、启明光电科技。")
    assert ties(got) == {
        ("星河半导体有限公司", "blacklist", "Entity List", None),
        ("启明光电科技", "blacklist", "Entity List", None),
    }


def test_sanctions_on_named_companies_and_on_a_company_that_suffered_them(analyse) -> None:
    got = analyse(
        "美国财政部海外资产控制办公室宣布对海岳通信集团、北辰微电子股份有限公司实施制裁。"
        "此前，天枢数据研究院也曾遭到美国财政部制裁。"
    )
    assert ties(got) == {
        (n, "blacklist", "OFAC SDN List", None) for n in ("海岳通信集团", "北辰微电子股份有限公司", "天枢数据研究院")
    }


def test_an_honours_heading_without_a_colon_and_names_on_the_lines_after(analyse) -> None:
    got = analyse("2025年全国五一劳动奖章获奖名单\n青禾智能科技有限公司董事长 张明远\n白鹭湾食品厂 陈小禾\n")
    assert ("张明远", "award", "National May Day Labour Medal", None) in ties(got)
    assert ("青禾智能科技有限公司", "award", "National May Day Labour Medal", "张明远") in ties(got)


def test_names_after_a_colon_in_the_same_sentence_are_the_targets(analyse) -> None:
    got = analyse(
        "美国商务部宣布将以下3家中国实体列入实体清单：松岭无人机科技有限公司、蓝湾激光研究所、江北精密仪器厂。"
    )
    assert ties(got) == {
        (n, "blacklist", "Entity List", None) for n in ("松岭无人机科技有限公司", "蓝湾激光研究所", "江北精密仪器厂")
    }


def test_names_separated_by_spaces_on_the_lines_after_a_heading(analyse) -> None:
    got = analyse(
        "2025年江南省劳动模范名单如下（按姓氏笔画为序）：\n王海岳　刘青禾　张明远\n陈小禾（白鹭湾食品厂厂长）\n"
    )
    assert ties(got) == {(n, "award", "Model Worker", None) for n in ("王海岳", "刘青禾", "张明远", "陈小禾")} | {
        ("白鹭湾食品厂", "award", "Model Worker", "陈小禾")
    }


def test_chinese_reasons_are_the_english_lexicons_names(pipeline: Pipeline) -> None:
    english = {n.casefold() for n in pipeline.lexicon.awards} | {lst.name.casefold() for lst in pipeline.lexicon.lists}
    chinese = {r.casefold() for r in pipeline.zh_lexicon.reasons()}
    # reported (almost) only in Chinese: no English name in lexicon.yaml to share
    own = chinese - english
    honours = {r for r in own if "state honour" in r}
    assert own - honours == {
        "unreliable entity list",
        "mofcom export control list",
        "chinese countermeasures (anti-foreign sanctions law)",
        "全国优秀企业家",
    }
    assert len(honours) >= 10


def test_every_chinese_state_honour_alerts_through_the_bundled_rules(pipeline: Pipeline) -> None:
    honours = [n.reason for n in pipeline.zh_lexicon.awards if n.reason != "全国优秀企业家"]
    findings = [
        Finding(entity="张明远", entity_type="PERSON", tie="award", reason=r, evidence="…", confidence=0.9)
        for r in honours
    ]
    decided = pipeline.decide(findings, "news")
    assert [d.action for _, d in decided] == ["alert"] * len(honours)
    industry = Finding(entity="张明远", entity_type="PERSON", tie="award", reason="全国优秀企业家", evidence="…")
    assert [d.action for _, d in pipeline.decide([industry], "news")] != ["alert"]


def test_a_recipient_named_without_a_role_before_the_verb(analyse) -> None:
    got = analyse("张明远入选2024年度江南省优秀建设者名单。今年，刘青禾、陈小禾当选“江南省劳动模范”。")
    assert ties(got) == {
        ("张明远", "award", BUILDERS, None),
        ("刘青禾", "award", "Model Worker", None),
        ("陈小禾", "award", "Model Worker", None),
    }


def _long_report(paragraphs: int) -> tuple[str, list[int]]:
    """A long Chinese text in our own words: filler paragraphs about ordinary company business,
    with a tie stated at the start, in the middle and at the end; the positions of those three."""
    filler = [
        "青山第{i}食品有限公司当天召开年度股东大会，会议审议了利润分配等多项议案。",
        "据介绍，白鹭湾第{i}物流集团今年新开通了三条冷链线路，运输时间平均缩短两成。",
        "市场人士认为，第{i}季度消费电子需求回暖，多家厂商上调了全年出货预期！",
        "记者在现场看到，远山第{i}机械厂的新生产线已经投入试运行，工人们正在调试设备。",
    ]
    ties = [
        "美国商务部当天宣布，将星河半导体有限公司、北辰微电子股份有限公司列入实体清单。",
        "经研究，决定授予青禾智能科技有限公司董事长张明远“全国劳动模范”称号。",
        "美国财政部随后宣布，将海岳通信集团从特别指定国民清单中移除。",
    ]
    parts: list[str] = []
    at: list[int] = []
    for i in range(paragraphs):
        if i in (0, paragraphs // 2, paragraphs - 1):
            at.append(sum(len(p) + 1 for p in parts))
            parts.append(ties[len(at) - 1])
        parts.append("".join(f.format(i=i) for f in filler))
    return "\n".join(parts), at


def test_a_long_chinese_text_is_read_in_windows_and_keeps_every_tie(analyse) -> None:
    from newswatch.nlp.zh.annotate import WINDOW_CHARS

    text, _ = _long_report(600)
    assert len(text) > 4 * WINDOW_CHARS  # read in several windows
    assert ties(analyse(text)) == {
        ("星河半导体有限公司", "blacklist", "Entity List", None),
        ("北辰微电子股份有限公司", "blacklist", "Entity List", None),
        ("张明远", "award", "National Model Worker", None),
        ("青禾智能科技有限公司", "award", "National Model Worker", "张明远"),
        ("海岳通信集团", "delisting", "OFAC SDN List", None),
    }


def test_a_name_across_a_window_edge_is_found_once_with_its_employer(pipeline: Pipeline) -> None:
    from newswatch.nlp.windows import CJK_SENTENCE_END, windows
    from newswatch.nlp.zh.annotate import WINDOW_CHARS, WINDOW_OVERLAP

    text, _ = _long_report(300)
    norm = normalise(text)
    edges = windows(norm.text, WINDOW_CHARS, WINDOW_OVERLAP, CJK_SENTENCE_END)
    assert len(edges) >= 3 and all(a < b for a, b in edges)
    assert all(edges[k + 1][0] < edges[k][1] for k in range(len(edges) - 1))  # they overlap
    ann = pipeline.zh_nlp(text)
    people = [e for e in ann.ents if e.label == "PERSON" and e.text == "张明远"]
    assert len(people) == 1 and people[0].leader
    assert people[0].employer is not None and people[0].employer.text == "青禾智能科技有限公司"
    assert people[0].employer in ann.ents
    spans = [(e.start, e.end, e.label) for e in ann.ents]
    assert len(spans) == len(set(spans))  # nothing kept twice where windows overlap


def test_a_chinese_window_ends_at_a_sentence_end_without_a_space() -> None:
    from newswatch.nlp.windows import CJK_SENTENCE_END, windows

    text = "甲公司今天开会。" * 3000  # no line break at all
    edges = windows(text, 10_000, 1_000, CJK_SENTENCE_END)
    assert len(edges) > 2
    assert all(text[b - 1] == "。" for _, b in edges)
    assert all(a == 0 or text[a - 1] == "。" for a, _ in edges)
    assert edges[-1][1] == len(text)


def test_ascii_question_marks_inside_han_text_are_encoding_residue_not_sentence_ends() -> None:
    from newswatch.nlp.zh.annotate import split_sentences

    # our own sentence, as a page decoded with the wrong charset leaves it ("?!濃滀簲涓" for “五一”)
    text = "职工们欢庆?!濃滀簲涓，张明远荣获全国劳动模范称号。他说：还要努力吗？当然！"
    norm = normalise(text)
    got = [norm.verbatim(s, e) for s, e in split_sentences(norm.text, norm)]
    assert got == ["职工们欢庆?!濃滀簲涓，张明远荣获全国劳动模范称号。", "他说：还要努力吗？", "当然！"]


def test_a_traditional_honours_page_reaches_the_tie_rules_through_the_first_pass(analyse) -> None:
    got = analyse("本報訊　青禾智能科技有限公司董事長張明遠榮獲「全國五一勞動獎章」。", language="zh-TW")
    assert ties(got) == {
        ("張明遠", "award", "National May Day Labour Medal", None),
        ("青禾智能科技有限公司", "award", "National May Day Labour Medal", "張明遠"),
    }


def test_lifting_sanctions_is_a_removal_never_a_sanction(analyse) -> None:
    got = analyse("美国财政部宣布，解除对远东航运集团旗下子公司——海岳船务（大连）有限公司的制裁。")
    assert ties(got) == {("海岳船务（大连）有限公司", "delisting", "OFAC SDN List", None)}
    assert analyse("美国财政部宣布取消对宏达贸易有限公司的制裁。") and all(
        f.tie == "delisting" for f in analyse("美国财政部宣布取消对宏达贸易有限公司的制裁。")
    )


def test_a_court_ordered_removal_of_it_names_the_company_the_decision_listed(analyse) -> None:
    got = analyse("法院裁定，国防部将海岳通信集团列入中国军事企业清单的决定缺乏依据，并判决将其从清单中移除。")
    assert ties(got) == {("海岳通信集团", "delisting", DOD, None)}


def test_transliterated_names_with_a_middle_dot_are_recipients(analyse) -> None:
    got = analyse("2018年，汉斯·穆勒荣获中国政府友谊奖。大会还授予玛丽亚·罗西、彼得·诺瓦克“友谊勋章”。")
    assert ties(got) == {
        ("汉斯·穆勒", "award", "Friendship Award", None),
        ("玛丽亚·罗西", "award", "Friendship Medal", None),
        ("彼得·诺瓦克", "award", "Friendship Medal", None),
    }


def test_counts_in_a_sanctions_slot_name_nobody(analyse) -> None:
    got = analyse(
        "美国财政部周四宣布，对两名伊朗人和四家中国公司实施制裁，它们分别是：青岛东方石化贸易有限公司、大连海联船务有限公司。"
    )
    assert ties(got) == {
        (n, "blacklist", "OFAC SDN List", None) for n in ("青岛东方石化贸易有限公司", "大连海联船务有限公司")
    }


def test_a_public_notice_of_honourees_with_name_and_post_lines(analyse) -> None:
    got = analyse(
        "第六届江南省优秀中国特色社会主义事业建设者拟表彰对象公示\n"
        "（按姓氏笔画排序）\n"
        "丁一凡　青禾智能科技有限公司董事长\n"
        "王丽华（女）　白鹭湾食品股份有限公司董事长、总经理\n"
        "李　伟　远山新材料集团有限公司总工程师\n"
    )
    assert ties(got) == {
        ("丁一凡", "award", BUILDERS, None),
        ("青禾智能科技有限公司", "award", BUILDERS, "丁一凡"),
        ("王丽华", "award", BUILDERS, None),
        ("白鹭湾食品股份有限公司", "award", BUILDERS, "王丽华"),
        ("李　伟", "award", BUILDERS, None),  # an engineer: the company is not honoured
    }


def test_on_the_list_takes_the_honour_named_before(analyse) -> None:
    got = analyse(
        "全国总工会公布2025年全国五一劳动奖章获得者名单。青禾智能科技有限公司董事长张明远、白鹭湾食品厂工人陈小禾榜上有名。"
    )
    assert ties(got) == {
        ("张明远", "award", "National May Day Labour Medal", None),
        ("青禾智能科技有限公司", "award", "National May Day Labour Medal", "张明远"),
        ("陈小禾", "award", "National May Day Labour Medal", None),
    }


def test_each_act_of_a_sentence_has_its_own_subject(analyse) -> None:
    got = analyse("在表彰大会上，刘青禾被授予“全国先进工作者”荣誉称号，远山新材料集团总经理王海岳获评全国劳动模范。")
    assert ties(got) == {
        ("刘青禾", "award", "National Advanced Worker (state honour)", None),
        ("王海岳", "award", "National Model Worker", None),
        ("远山新材料集团", "award", "National Model Worker", "王海岳"),
    }


def test_numbered_items_with_long_descriptions_and_english_names_are_each_listed(analyse) -> None:
    got = analyse(
        "美国商务部工业与安全局宣布，将下列3家中国实体列入实体清单：\n"
        "1. 江南省公安厅物证鉴定中心：该机构被指参与监控项目，美方据此限制其获取美国技术产品；\n"
        "2. 海岳通信集团（Haiyue Communications Group）：美方称该公司为相关项目提供了设备与技术支持；\n"
        "3. 北辰微电子股份有限公司（Beichen Microelectronics Co., Ltd.）。\n"
        "中方对此表示坚决反对。"
    )
    assert ties(got) == {
        (n, "blacklist", "Entity List", None)
        for n in ("江南省公安厅物证鉴定中心", "海岳通信集团", "北辰微电子股份有限公司")
    }


def test_items_after_a_colon_cut_by_semicolons_are_each_listed(analyse) -> None:
    got = analyse(
        "不可靠实体清单工作机制决定将以下实体列入不可靠实体清单：（一）北岬防务系统公司；（二）西湾航空技术公司；（三）南港导弹公司。"
    )
    assert ties(got) == {
        (n, "blacklist", "Unreliable Entity List", None)
        for n in ("北岬防务系统公司", "西湾航空技术公司", "南港导弹公司")
    }


def test_names_given_across_sentences_are_taken_up(analyse) -> None:
    got = analyse(
        "美国财政部21日宣布制裁5家中国公司。被制裁的公司分别为珠海海联能源有限公司、青岛东方石化贸易有限公司等。"
        "据悉，新增实体包括星河半导体有限公司；北辰微电子股份有限公司。美国商务部表示，上述企业已被列入实体清单。"
    )
    assert ties(got) == {
        ("珠海海联能源有限公司", "blacklist", "OFAC SDN List", None),
        ("青岛东方石化贸易有限公司", "blacklist", "OFAC SDN List", None),
        ("星河半导体有限公司", "blacklist", "Entity List", None),
        ("北辰微电子股份有限公司", "blacklist", "Entity List", None),
    }


def test_a_description_before_the_name_and_a_companys_units_are_no_part_of_it(analyse) -> None:
    got = analyse(
        "作为回应，商务部宣布将美国国防承包商北岬防务系统公司列入不可靠实体清单。"
        "美国商务部当天还将远山新材料集团的两家子公司列入实体清单，但远山新材料集团本身不在清单之列。"
    )
    assert ties(got) == {("北岬防务系统公司", "blacklist", "Unreliable Entity List", None)}


def test_names_in_latin_letters_inside_chinese_text(analyse) -> None:
    got = analyse(
        "商务部宣布，将美国无人机企业Northcape公司、Blue Harbor AI公司和Westgate Drones列入不可靠实体清单。"
        "美国商务部将俄罗斯的Volga Optics Lab和Moore Lake Technology Co., Ltd.（摩尔湖科技）列入实体清单。"
    )
    assert ties(got) == {
        ("Northcape公司", "blacklist", "Unreliable Entity List", None),
        ("Blue Harbor AI公司", "blacklist", "Unreliable Entity List", None),
        ("Westgate Drones", "blacklist", "Unreliable Entity List", None),
        ("Volga Optics Lab", "blacklist", "Entity List", None),
        ("Moore Lake Technology Co., Ltd.", "blacklist", "Entity List", None),
    }


def test_short_company_names_that_start_like_a_surname_are_organisations(analyse) -> None:
    got = analyse("美国商务部将海康明视、高德远红外、云从智能、浪潮列入实体清单。")
    assert {(f.entity, f.entity_type) for f in got} == {
        ("海康明视", "ORG"),
        ("高德远红外", "ORG"),
        ("云从智能", "ORG"),
        ("浪潮", "ORG"),
    }


def test_chinas_own_export_control_list(analyse) -> None:
    got = analyse("商务部决定将北岬防务系统公司、西湾航空技术公司等28家美国实体列入出口管制管控名单。")
    assert ties(got) == {
        (n, "blacklist", "MOFCOM Export Control List", None) for n in ("北岬防务系统公司", "西湾航空技术公司")
    }


@pytest.mark.parametrize(
    "text",
    [
        "据传，美国商务部或将把星河半导体有限公司列入实体清单。",
        "美国众议院议员致信商务部，要求将北辰微电子股份有限公司列入实体清单。",
        "中方表示，美方将中国企业列入实体清单的做法违反市场原则。",
        "实体清单是美国商务部维护的一份出口管制名单，被列入清单的企业需要申请许可证。",
        "美国拟表彰一批企业家。",
        "美国国会议员敦促商务部将北岬防务系统公司列入实体清单。",
        "青禾智能科技有限公司发布公告称，公司未被列入美国国防部的中国军事企业清单。",
        "截至目前，已有600多家中国企业被列入实体清单。",
        "张明远表示，获得全国劳动模范称号的同事们是大家学习的榜样。",
        "据悉，本届评选经专家评审，拟推荐50人为表彰对象。",
        "今年共有2493名个人和集体获得全国五一劳动奖章和奖状，其中民营企业职工占比超过四成。",
    ],
)
def test_more_hedges_and_generic_list_talk_make_no_finding(analyse, text: str) -> None:
    assert analyse(text) == []


def test_chinas_countermeasures_and_a_law_named_in_a_title(analyse) -> None:
    got = analyse(
        "根据《中华人民共和国反外国制裁法》有关规定，外交部决定对北岬防务系统公司、西湾航空技术公司采取反制措施。"
        "美方的做法违反了《出口管制条例》和国际规则。"
    )
    reason = "Chinese countermeasures (Anti-Foreign Sanctions Law)"
    assert ties(got) == {(n, "blacklist", reason, None) for n in ("北岬防务系统公司", "西湾航空技术公司")}


def test_every_honour_named_in_a_row_is_a_finding(analyse) -> None:
    got = analyse("张明远曾先后荣获全国五一劳动奖章、全国劳动模范等荣誉。")
    assert ties(got) == {
        ("张明远", "award", "National May Day Labour Medal", None),
        ("张明远", "award", "National Model Worker", None),
    }


@pytest.mark.parametrize(
    "follow",
    [
        "上榜的企业家包括青禾智能科技有限公司董事长张明远、远山新材料集团总裁李若兰。",
        "在上榜名单中，有青禾智能科技有限公司董事长张明远、远山新材料集团总裁李若兰等。",
        "此次获得表彰的人员中，包括青禾智能科技有限公司董事长张明远、远山新材料集团总裁李若兰。",
        "名单显示，青禾智能科技有限公司董事长张明远、远山新材料集团总裁李若兰均在其中。",
        "获得表彰的有：\n张明远　青禾智能科技有限公司董事长\n李若兰　远山新材料集团总裁\n",
    ],
)
def test_recipients_named_after_the_conferral_share_its_honour(analyse, follow: str) -> None:
    got = analyse(
        "中央统战部等四部门决定，授予100名同志“第六届全国非公有制经济人士优秀中国特色社会主义事业建设者”称号。\n"
        + follow
    )
    assert ties(got) == {
        ("张明远", "award", BUILDERS, None),
        ("青禾智能科技有限公司", "award", BUILDERS, "张明远"),
        ("李若兰", "award", BUILDERS, None),
        ("远山新材料集团", "award", BUILDERS, "李若兰"),
    }


def test_items_named_as_companies_are_companies_whatever_they_look_like(analyse) -> None:
    got = analyse(
        "美国商务部将江南省公安厅物证鉴定中心及5家中国企业列入实体清单。"
        "这5家企业分别是：爱华纺织、浩林发制品、欧菲明、青岛泰德汽车轴承和帝奥微电子等。"
        "此外，名单还包括奇虎360、云从科技等知名企业。"
    )
    assert {(f.entity, f.entity_type) for f in got} == {
        (n, "ORG")
        for n in (
            "江南省公安厅物证鉴定中心",
            "爱华纺织",
            "浩林发制品",
            "欧菲明",
            "青岛泰德汽车轴承",
            "帝奥微电子",
            "奇虎360",
            "云从科技",
        )
    }


def test_names_that_start_with_a_conjunction_a_numbered_institute_and_what_a_company_holds(analyse) -> None:
    got = analyse(
        "美国商务部宣布将以下企业列入实体清单，包括爱华纺织有限公司、和田浩林发制品有限公司。"
        "美方还将中国航天科工集团第二研究院第二〇六所、江南广核集团有限公司（江广核）及其三家关联公司列入实体清单。"
    )
    assert ties(got) == {
        (n, "blacklist", "Entity List", None)
        for n in (
            "爱华纺织有限公司",
            "和田浩林发制品有限公司",
            "中国航天科工集团第二研究院第二〇六所",
            "江南广核集团有限公司",
        )
    }


def test_a_page_wrapped_mid_sentence_reads_on_across_its_line_breaks(analyse) -> None:
    text = (
        "美国商务部周五宣布，将江南省公安厅物证鉴定中心以及8家\n"
        "中国公司列入实体清单，包括爱华纺织有限公司、和田浩林发\n"
        "制品有限公司等。中方对此表示坚决反对，认为美方的做法严\n"
        "重违反国际规则。\n"
        "江南省优秀中国特色社会主义事业建设者表彰名单\n"
        "丁一凡　青禾智能科技有限公司董事长\n"
    )
    got = analyse(text)
    assert ties(got) == {
        ("江南省公安厅物证鉴定中心", "blacklist", "Entity List", None),
        ("爱华纺织有限公司", "blacklist", "Entity List", None),
        ("和田浩林发\n制品有限公司", "blacklist", "Entity List", None),  # as written
        ("丁一凡", "award", BUILDERS, None),
        ("青禾智能科技有限公司", "award", BUILDERS, "丁一凡"),
    }
    listing = next(f for f in got if f.entity == "爱华纺织有限公司")
    assert listing.evidence.startswith("美国商务部周五宣布") and "8家\n中国公司" in listing.evidence


def test_sanctioned_officials_and_citizens_are_people(analyse) -> None:
    got = analyse(
        "美国财政部宣布制裁林郑月娥、夏宝龙、骆惠宁等11名中国内地及香港官员。"
        "美国财政部还对江南省委书记陈全海、江南省公安厅厅长王明山实施制裁。"
        "美国财政部将俄罗斯商人阿尔卡季·罗滕贝格列入特别指定国民清单。"
        "美国财政部周二制裁了3名中国公民，他们是李建国、王海岳和张明远。"
    )
    people = ("林郑月娥", "夏宝龙", "骆惠宁", "陈全海", "王明山", "阿尔卡季·罗滕贝格", "李建国", "王海岳", "张明远")
    assert {(f.entity, f.entity_type, f.tie) for f in got} == {(n, "PERSON", "blacklist") for n in people}


def test_spaced_names_a_chairman_of_the_company_and_a_party_secretary_who_chairs_it(analyse) -> None:
    got = analyse(
        "大会授予王　伟、李　强“全国劳动模范”称号。"
        "远山新材料集团的创始人刘青禾荣获全国五一劳动奖章。"
        "青禾智能科技有限公司党委书记、董事长张明远荣获全国五一劳动奖章。"
    )
    medal = "National May Day Labour Medal"
    assert ties(got) == {
        ("王　伟", "award", "National Model Worker", None),
        ("李　强", "award", "National Model Worker", None),
        ("刘青禾", "award", medal, None),
        ("远山新材料集团", "award", medal, "刘青禾"),
        ("张明远", "award", medal, None),
        ("青禾智能科技有限公司", "award", medal, "张明远"),
    }


def test_a_conjunction_inside_a_name_is_part_of_it(analyse) -> None:
    got = analyse(
        "美国商务部宣布将以下实体列入实体清单：\n1、中华人民共和国江南省公安厅物证鉴定中心；\n2、江南海洋与渔业研究所。"
        "商务部还将北岬防务系统公司、南港导弹与防务公司等3家美国企业列入不可靠实体清单。"
    )
    assert ties(got) == {
        ("中华人民共和国江南省公安厅物证鉴定中心", "blacklist", "Entity List", None),
        ("江南海洋与渔业研究所", "blacklist", "Entity List", None),
        ("北岬防务系统公司", "blacklist", "Unreliable Entity List", None),
        ("南港导弹与防务公司", "blacklist", "Unreliable Entity List", None),
    }


def test_a_court_annulling_the_designation_takes_the_company_off(analyse) -> None:
    assert ties(analyse("2021年，美国国防部将小米集团列为“中国军方企业”。")) == {
        ("Xiaomi Corporation", "blacklist", DOD, None)
    }
    assert ties(analyse("美国联邦法官裁定，撤销国防部将小米列为中国军方企业的决定。")) == {
        ("Xiaomi Corporation", "delisting", DOD, None)
    }
    assert ties(analyse("法院随后判决撤销将海岳通信集团列入中国军事企业清单的认定。")) == {
        ("海岳通信集团", "delisting", DOD, None)
    }


def test_a_count_after_the_names_is_no_name(analyse) -> None:
    got = analyse(
        "美国商务部从未经核实清单中删除了星河半导体有限公司、北辰微电子股份有限公司两家公司。"
        "此次共有28个中国实体被列入实体清单，其中包含8个企业及1个警察学院。"
    )
    assert ties(got) == {
        (n, "delisting", "Unverified List", None) for n in ("星河半导体有限公司", "北辰微电子股份有限公司")
    }


def test_a_company_described_as_sanctioned_by_a_relative_clause(analyse) -> None:
    got = analyse(
        "遭美国财政部制裁的北辰微电子股份有限公司表示，将通过法律途径维权。美国对伊朗实施的制裁影响了多家企业。"
    )
    assert ties(got) == {("北辰微电子股份有限公司", "blacklist", "OFAC SDN List", None)}


def test_a_leader_with_several_posts_joined_by_jian_leads_the_company(analyse) -> None:
    got = analyse("远山新材料集团创始人、董事长兼首席执行官刘青禾荣获全国劳动模范称号。")
    assert ties(got) == {
        ("刘青禾", "award", "National Model Worker", None),
        ("远山新材料集团", "award", "National Model Worker", "刘青禾"),
    }


def test_a_list_said_to_hold_names_and_a_listing_suffered(analyse) -> None:
    got = analyse(
        "美国国防部周三更新了名单。据悉，1260H清单中包括北岬防务系统公司、星河半导体有限公司。"
        "海岳通信集团遭美国商务部列入实体清单。据报道，实体清单中或将包括更多中国企业。"
    )
    assert ties(got) == {
        ("北岬防务系统公司", "blacklist", DOD, None),
        ("星河半导体有限公司", "blacklist", DOD, None),
        ("海岳通信集团", "blacklist", "Entity List", None),
    }


def test_a_decision_in_numbered_articles_lists_the_items_of_its_first(analyse) -> None:
    got = analyse(
        "不可靠实体清单工作机制决定：\n一、将以下实体列入不可靠实体清单：\n（一）北岬防务系统公司\n（二）西湾航空技术公司\n"
        "二、禁止上述企业从事与中国有关的进出口活动，禁止其在中国境内新增投资。\n三、本决定自公布之日起施行。\n"
    )
    assert ties(got) == {
        (n, "blacklist", "Unreliable Entity List", None) for n in ("北岬防务系统公司", "西湾航空技术公司")
    }


def typed(findings: list[Finding]) -> set[tuple[str, str, str]]:
    return {(f.entity, f.entity_type, f.tie) for f in findings}


def test_latin_names_in_chinese_sentences_are_organisations(analyse) -> None:
    assert ("Hexwave Microsystems", "ORG", "blacklist") in typed(
        analyse("据路透社报道，Hexwave Microsystems被列入实体清单。")
    )
    got = typed(
        analyse(
            "美国商务部周二将Hexwave Microsystems Inc.等7家实体列入实体清单，"
            "其中包括Luxra Optics Co., Ltd.和Skyfar Robotics Limited。"
        )
    )
    names = {a for a, _, c in got if c == "blacklist"}
    assert {"Hexwave Microsystems Inc.", "Luxra Optics Co., Ltd.", "Skyfar Robotics Limited"} <= names
    assert "Ltd." not in names


def test_a_leader_written_in_latin_letters_is_a_person(analyse) -> None:
    got = typed(analyse("美国财政部海外资产控制办公室（OFAC）周四宣布制裁Orvik Bank及其董事长Ivan Salkov。"))
    assert {("Ivan Salkov", "PERSON", "blacklist"), ("Orvik Bank", "ORG", "blacklist")} <= got


def test_english_paragraphs_of_a_chinese_page_are_read_as_english(analyse) -> None:
    text = (
        "商务部新闻发言人就美方举措答记者问。\n"
        "The Commerce Department said on Friday it had added Hexwave Microsystems Co., Ltd. and "
        "Luxra Optics Inc. to the Entity List.\n"
        "中方对此坚决反对。"
    )
    names = {a for a, _, c in typed(analyse(text)) if c == "blacklist"}
    assert {"Hexwave Microsystems Co., Ltd.", "Luxra Optics Inc."} <= names


def test_entries_after_a_lead_in_with_english_addresses_and_fields(analyse) -> None:
    text = (
        "美国商务部工业与安全局发布公告，将以下实体列入实体清单：\n"
        "Hexwave Microsystems Co., Ltd., Room 1201, Building 3, No. 88 Keyuan Road, Nanshan District, "
        "Shenzhen, China.\n"
        "许可要求：所有受《出口管理条例》管辖的物项。\n"
        "中国\n"
        "Luxra Optics Inc., 16 Zhongshan Road, Xuanwu District, Nanjing, China.\n"
        "许可要求：所有受《出口管理条例》管辖的物项。\n"
    )
    got = typed(analyse(text))
    assert {("Hexwave Microsystems Co., Ltd.", "ORG", "blacklist"), ("Luxra Optics Inc.", "ORG", "blacklist")} <= got
    assert not {a for a, _, _ in got} & {"许可", "中国", "Shenzhen", "Nanjing"}
