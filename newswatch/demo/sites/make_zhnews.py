"""Writes newswatch/demo/sites/zhnews/: a Chinese news site for the fixture web (run once; the output is
committed). Every name and event in it is invented for newswatch's tests and demo.

- rss.xml: the site's feed (UTF-8), one item per article;
- a UTF-8 page (simplified) on an Entity List addition of five companies;
- a GBK page (simplified, ``<meta charset="gbk">``; the server says UTF-8, as misconfigured
  servers do) on a provincial honours list naming company chairmen;
- a UTF-8 page in traditional characters (``lang="zh-TW"``) on Xiaomi taken off the DoD list
  after a court ruling;
- a UTF-8 page on a listing that is only considered (a hedge: no alert).
"""

from __future__ import annotations

import html
from pathlib import Path

HERE = Path(__file__).resolve().parent / "zhnews"

# slug -> (lang, encoding, title, date, paragraphs)
ARTICLES: dict[str, tuple[str, str, str, str, list[str]]] = {
    "2025/04/02/entity-list-five-firms": (
        "zh-CN",
        "utf-8",
        "美国商务部将5家中国科技企业列入实体清单",
        "2025-04-02",
        [
            "本报华盛顿4月1日电（记者 林晓岚）美国商务部工业与安全局（BIS）当地时间1日发布公告，将星河半导体有限公司、"
            "北辰微电子股份有限公司、启明光电科技、海岳通信集团和天枢数据研究院等5家中国实体列入出口管制实体清单。",
            "被列入清单的企业今后从美国采购受管制物项须事先申请许可证，而相关申请原则上将被拒绝。",
            "中方对此表示坚决反对，认为美方泛化国家安全概念，滥用出口管制措施。业内人士指出，"
            "此次调整将对相关企业的芯片供应链带来一定影响。",
        ],
    ),
    "2025/03/30/jiangnan-outstanding-builders": (
        "zh-CN",
        "gbk",
        "江南省表彰第三届优秀中国特色社会主义事业建设者",
        "2025-03-30",
        [
            "本报讯 江南省委统战部、省工商联近日在省城召开表彰大会。经省委、省政府研究，决定授予张明远"
            "（青禾智能科技有限公司董事长）等50名同志“江南省优秀中国特色社会主义事业建设者”称号。",
            "远山新材料集团总裁李若兰荣获该称号后表示，将继续加大研发投入，带动更多青年就业。",
            "据介绍，本次评选覆盖全省14个地市，获表彰人员均为民营经济和新的社会阶层代表人士。",
        ],
    ),
    "2025/03/26/xiaomi-removed-after-ruling": (
        "zh-TW",
        "utf-8",
        "法院裁決後 美國國防部將小米集團移出中國軍事企業清單",
        "2025-03-26",
        [
            "美國哥倫比亞特區聯邦地區法院日前裁定，國防部將小米認定為中國軍事企業的決定缺乏充分依據。",
            "美國國防部隨後依據法院裁決，將小米集團從中國軍事企業清單中移除。小米集團發表聲明表示歡迎。",
            "分析人士認為，這一結果有助於恢復投資者對該公司的信心。",
        ],
    ),
    "2025/03/24/considered-for-entity-list": (
        "zh-CN",
        "utf-8",
        "消息称美方考虑将启明光电科技列入实体清单",
        "2025-03-24",
        [
            "据知情人士透露，美国商务部正考虑将启明光电科技列入实体清单，但尚未作出最终决定。",
            "启明光电科技回应称，公司一贯遵守经营所在地的法律法规，目前生产经营一切正常。",
        ],
    ),
}

NAV = "首页 | 国内 | 国际 | 财经 | 科技 | 评论"
FOOTER = "版权所有 2025 华文科技报 | 关于我们 | 联系我们 | 广告服务"


def page(lang: str, encoding: str, title: str, date: str, paragraphs: list[str]) -> bytes:
    charset = "gbk" if encoding == "gbk" else "utf-8"
    body = "\n".join(f"      <p>{html.escape(p, quote=False)}</p>" for p in paragraphs)
    text = f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
  <meta charset="{charset}">
  <title>{html.escape(title)} - 华文科技报</title>
  <meta property="og:title" content="{html.escape(title)}">
  <meta name="author" content="华文科技报">
  <meta property="article:published_time" content="{date}">
</head>
<body>
  <header><nav>{NAV}</nav></header>
  <main>
    <article>
      <h1>{html.escape(title)}</h1>
      <p class="meta">{date} 来源：华文科技报</p>
{body}
    </article>
  </main>
  <aside><h3>热门推荐</h3><ul><li>新能源汽车出口持续增长</li><li>多地发布人工智能产业扶持政策</li></ul></aside>
  <footer>{FOOTER}</footer>
</body>
</html>
"""
    return text.encode(encoding)


def feed() -> str:
    items = []
    for slug, (_lang, _enc, title, date, paragraphs) in ARTICLES.items():
        items.append(
            f"""  <item>
    <title>{html.escape(title)}</title>
    <link>{{{{BASE}}}}/{slug}.html</link>
    <guid isPermaLink="false">zhnews-{slug.replace("/", "-")}</guid>
    <pubDate>{date}</pubDate>
    <description>{html.escape(paragraphs[0][:60])}</description>
  </item>"""
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>\n'
        "  <title>华文科技报 - 科技</title><link>{{BASE}}/</link><description>科技新闻</description>\n"
        + "\n".join(items)
        + "\n</channel></rss>\n"
    )


def main() -> None:
    for slug, (lang, enc, title, date, paragraphs) in ARTICLES.items():
        out = HERE / f"{slug}.html"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(page(lang, enc, title, date, paragraphs))
    (HERE / "rss.xml").write_text(feed(), encoding="utf-8")
    (HERE / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")


if __name__ == "__main__":
    main()
