
"""Make the two saved web pages of the corpus.

- corpus/calderbrook-viaduct-wiki.html: an invented encyclopedia article saved as a whole page, laid out like a saved
  MediaWiki page: skip link, header, main menu, search, personal tools, sidebar, a table of contents (div#toc), an
  infobox (table.infobox), reference marks (<sup class="reference">[3]</sup>), a reference list, categories, a
  footer and a language list of 100+ <li>s. The article (place, people, numbers) is made up.
- corpus/slow-commute-blog.html: a blog post (essay) with a header menu, a sidebar, the article with lists, a
  comments section and a footer.

Run: .venv/bin/python eval/realdocs/make/web_pages.py
"""

from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "corpus"

LANGUAGES = [
    ("af", "Afrikaans"),
    ("als", "Alemannisch"),
    ("ar", "العربية"),
    ("an", "Aragonés"),
    ("ast", "Asturianu"),
    ("az", "Azərbaycanca"),
    ("bn", "বাংলা"),
    ("be", "Беларуская"),
    ("bg", "Български"),
    ("bs", "Bosanski"),
    ("br", "Brezhoneg"),
    ("ca", "Català"),
    ("ceb", "Cebuano"),
    ("cs", "Čeština"),
    ("cy", "Cymraeg"),
    ("da", "Dansk"),
    ("de", "Deutsch"),
    ("et", "Eesti"),
    ("el", "Ελληνικά"),
    ("es", "Español"),
    ("eo", "Esperanto"),
    ("eu", "Euskara"),
    ("fa", "فارسی"),
    ("fo", "Føroyskt"),
    ("fr", "Français"),
    ("fy", "Frysk"),
    ("ga", "Gaeilge"),
    ("gd", "Gàidhlig"),
    ("gl", "Galego"),
    ("ko", "한국어"),
    ("hy", "Հայերեն"),
    ("hi", "हिन्दी"),
    ("hr", "Hrvatski"),
    ("io", "Ido"),
    ("id", "Bahasa Indonesia"),
    ("ia", "Interlingua"),
    ("is", "Íslenska"),
    ("it", "Italiano"),
    ("he", "עברית"),
    ("jv", "Jawa"),
    ("ka", "ქართული"),
    ("kk", "Қазақша"),
    ("kw", "Kernowek"),
    ("sw", "Kiswahili"),
    ("ku", "Kurdî"),
    ("ky", "Кыргызча"),
    ("la", "Latina"),
    ("lv", "Latviešu"),
    ("lb", "Lëtzebuergesch"),
    ("lt", "Lietuvių"),
    ("li", "Limburgs"),
    ("hu", "Magyar"),
    ("mk", "Македонски"),
    ("ml", "മലയാളം"),
    ("mr", "मराठी"),
    ("arz", "مصرى"),
    ("ms", "Bahasa Melayu"),
    ("mn", "Монгол"),
    ("my", "မြန်မာဘာသာ"),
    ("nl", "Nederlands"),
    ("nds", "Plattdüütsch"),
    ("ja", "日本語"),
    ("no", "Norsk bokmål"),
    ("nn", "Norsk nynorsk"),
    ("oc", "Occitan"),
    ("uz", "Oʻzbekcha / ўзбекча"),
    ("pa", "ਪੰਜਾਬੀ"),
    ("pnb", "پنجابی"),
    ("pl", "Polski"),
    ("pt", "Português"),
    ("ro", "Română"),
    ("qu", "Runa Simi"),
    ("ru", "Русский"),
    ("sco", "Scots"),
    ("sq", "Shqip"),
    ("scn", "Sicilianu"),
    ("si", "සිංහල"),
    ("simple", "Simple English"),
    ("sk", "Slovenčina"),
    ("sl", "Slovenščina"),
    ("ckb", "کوردی"),
    ("sr", "Српски / srpski"),
    ("sh", "Srpskohrvatski / српскохрватски"),
    ("fi", "Suomi"),
    ("sv", "Svenska"),
    ("tl", "Tagalog"),
    ("ta", "தமிழ்"),
    ("tt", "Татарча / tatarça"),
    ("te", "తెలుగు"),
    ("th", "ไทย"),
    ("tg", "Тоҷикӣ"),
    ("tr", "Türkçe"),
    ("uk", "Українська"),
    ("ur", "اردو"),
    ("vec", "Vèneto"),
    ("vi", "Tiếng Việt"),
    ("wa", "Walon"),
    ("war", "Winaray"),
    ("wuu", "吴语"),
    ("yi", "ייִדיש"),
    ("yo", "Yorùbá"),
    ("zh-yue", "粵語"),
    ("zh", "中文"),
    ("ba", "Башҡортса"),
    ("bar", "Boarisch"),
    ("ce", "Нохчийн"),
    ("cv", "Чӑвашла"),
    ("diq", "Zazaki"),
    ("hsb", "Hornjoserbsce"),
    ("ilo", "Ilokano"),
    ("lmo", "Lombard"),
    ("mg", "Malagasy"),
    ("min", "Minangkabau"),
    ("ne", "नेपाली"),
    ("os", "Ирон"),
    ("pms", "Piemontèis"),
    ("sah", "Саха тыла"),
    ("sa", "संस्कृतम्"),
    ("su", "Sunda"),
    ("szl", "Ślůnski"),
]

SITE = "Fellpedia"

VIADUCT_ARTICLE = """
<p>The <b>Calderbrook Viaduct</b> is a disused railway viaduct that carried the Ribbledale and Calder Railway across
the valley of the Calder Brook at Thornley Bridge, in the Pennine hills of northern England. Built of local
gritstone between 1846 and 1849 to the design of the engineer John Fenwick Hartley, it has 23 arches and is
412&#160;metres long, which makes it the longest masonry viaduct on the line.<sup id="cite_ref-1" class="reference"><a
href="#cite_note-1">[1]</a></sup> It closed to trains in 1968 and, after a campaign to save it from demolition,
reopened as part of the Calder Valley Greenway footpath and cycle route in 1994.<sup id="cite_ref-2"
class="reference"><a href="#cite_note-2">[2]</a></sup></p>
<p>The viaduct has been a Grade II* listed building since 1985.<sup id="cite_ref-3" class="reference"><a
href="#cite_note-3">[3]</a></sup></p>

<h2><span class="mw-headline" id="History">History</span><span class="mw-editsection"><span
class="mw-editsection-bracket">[</span><a href="#" title="Edit section: History">edit</a><span
class="mw-editsection-bracket">]</span></span></h2>
<h3><span class="mw-headline" id="Construction">Construction</span></h3>
<p>The Ribbledale and Calder Railway was authorised by Act of Parliament in 1845 to link the wool towns of the Calder
valley with the coalfield to the south. The crossing of the Calder Brook was the largest work on the line. The
contract was let to Pickering &amp; Dunn of Halifax, and the first stone was laid in March 1846.<sup id="cite_ref-4"
class="reference"><a href="#cite_note-4">[4]</a></sup></p>
<p>At its peak about 1,100 navvies worked on the viaduct and the nearby Thornley Tunnel, living in a shanty town on
the moor known as Batty Green. Seventeen men died in accidents during the construction, four of them when the
scaffolding of pier 9 was swept away in a flood on 2 November 1847.<sup id="cite_ref-5" class="reference"><a
href="#cite_note-5">[5]</a></sup> The viaduct was finished in the summer of 1849 and the line opened to passengers on
12 August 1849.<sup id="cite_ref-6" class="reference"><a href="#cite_note-6">[6]</a></sup></p>
<h3><span class="mw-headline" id="Operation">Operation</span></h3>
<p>The line carried coal, wool and stone as well as passengers. Traffic reached its peak before the First World War:
in 1912 an average of 96 trains a day crossed the viaduct.<sup id="cite_ref-7" class="reference"><a
href="#cite_note-7">[7]</a></sup> A speed limit of 30&#160;mph was imposed in 1931 after cracks were found in three of
the arches, which were strengthened with steel tie bars.</p>
<h3><span class="mw-headline" id="Closure">Closure</span></h3>
<p>The line was listed for closure in the Beeching report of 1963. The last passenger train crossed the viaduct on
4 May 1968, and the track was lifted in 1970.<sup id="cite_ref-8" class="reference"><a
href="#cite_note-8">[8]</a></sup></p>

<h2><span class="mw-headline" id="Restoration">Restoration</span><span class="mw-editsection"><span
class="mw-editsection-bracket">[</span><a href="#" title="Edit section: Restoration">edit</a><span
class="mw-editsection-bracket">]</span></span></h2>
<p>In 1979 British Rail applied for consent to demolish the viaduct, which it said was unsafe and costly to
maintain. The application was opposed by local people, and in 1981 the Calderbrook Viaduct Trust was founded by
Eileen Brayshaw, a teacher at Thornley Bridge primary school, to take the structure into community
ownership.<sup id="cite_ref-9" class="reference"><a href="#cite_note-9">[9]</a></sup> The trust bought the viaduct for
a nominal &#163;1 in 1988.</p>
<p>Restoration began in 1991 and cost &#163;2.3&#160;million, paid for by the Heritage Lottery Fund, the county
council and the Sustrans charity. The parapets were rebuilt, the deck was waterproofed and a new surface was laid
for walkers and cyclists. The viaduct reopened as part of the Calder Valley Greenway on 18 June 1994.<sup
id="cite_ref-10" class="reference"><a href="#cite_note-10">[10]</a></sup></p>

<h2><span class="mw-headline" id="Design">Design</span><span class="mw-editsection"><span
class="mw-editsection-bracket">[</span><a href="#" title="Edit section: Design">edit</a><span
class="mw-editsection-bracket">]</span></span></h2>
<p>The viaduct has 23 semicircular arches, each spanning 12.2&#160;metres (40&#160;ft). It stands 33&#160;metres
(108&#160;ft) above the brook at its highest point and follows a gentle curve with a radius of about
800&#160;metres.<sup id="cite_ref-1b" class="reference"><a href="#cite_note-1">[1]</a></sup> Every sixth pier is
thicker than the others, so that if one arch fell the collapse would not spread along the whole viaduct. The
gritstone came from Ringby Edge quarry, 3&#160;miles (4.8&#160;km) to the north, and was brought to the site on a
temporary tramway.<sup id="cite_ref-11" class="reference"><a href="#cite_note-11">[11]</a></sup></p>

<h2><span class="mw-headline" id="In_popular_culture">In popular culture</span><span class="mw-editsection"><span
class="mw-editsection-bracket">[</span><a href="#" title="Edit section: In popular culture">edit</a><span
class="mw-editsection-bracket">]</span></span></h2>
<ul>
<li>The viaduct appears in the painting <i>Evening Train, Calderbrook</i> (1911) by Arthur Weddell, now in the
Halifax Art Gallery.</li>
<li>It was used as a location in the 1972 film <i>The Long Valley</i>.</li>
<li>The television series <i>Dale End</i> (2003) filmed its opening titles on the viaduct.<sup id="cite_ref-12"
class="reference"><a href="#cite_note-12">[12]</a></sup></li>
</ul>

<h2><span class="mw-headline" id="See_also">See also</span></h2>
<ul>
<li><a href="#">List of railway viaducts in England</a></li>
<li><a href="#">Calder Valley Greenway</a></li>
<li><a href="#">Ribbledale and Calder Railway</a></li>
</ul>

<h2><span class="mw-headline" id="References">References</span></h2>
<div class="reflist"><ol class="references">
<li id="cite_note-1"><span class="mw-cite-backlink">^ <a href="#cite_ref-1"><sup><i><b>a</b></i></sup></a> <a
href="#cite_ref-1b"><sup><i><b>b</b></i></sup></a></span> <span class="reference-text"><cite>Binns, Gordon (1999).
<i>Stone Across the Valleys: The Viaducts of the Pennines</i>. Skipton: Dalesman Press. pp.&#160;88–97.</cite></span></li>
<li id="cite_note-2"><span class="mw-cite-backlink"><a href="#cite_ref-2">^</a></span> <span class="reference-text">"Calder
Valley Greenway". <i>Sustrans</i>. Retrieved 14 January 2024.</span></li>
<li id="cite_note-3"><span class="mw-cite-backlink"><a href="#cite_ref-3">^</a></span> <span class="reference-text">Historic
England. "Calderbrook Viaduct (1134209)". <i>National Heritage List for England</i>.</span></li>
<li id="cite_note-4"><span class="mw-cite-backlink"><a href="#cite_ref-4">^</a></span> <span class="reference-text">Binns
(1999), p.&#160;89.</span></li>
<li id="cite_note-5"><span class="mw-cite-backlink"><a href="#cite_ref-5">^</a></span> <span class="reference-text">"Fatal
accident at the Calderbrook works". <i>Halifax Guardian</i>. 6 November 1847. p.&#160;3.</span></li>
<li id="cite_note-6"><span class="mw-cite-backlink"><a href="#cite_ref-6">^</a></span> <span class="reference-text">Marshall,
John (1970). <i>The Ribbledale and Calder Railway</i>. Newton Abbot: David &amp; Charles. p.&#160;54.</span></li>
<li id="cite_note-7"><span class="mw-cite-backlink"><a href="#cite_ref-7">^</a></span> <span class="reference-text">Marshall
(1970), p.&#160;131.</span></li>
<li id="cite_note-8"><span class="mw-cite-backlink"><a href="#cite_ref-8">^</a></span> <span class="reference-text">"Last
train over the viaduct". <i>Yorkshire Post</i>. 6 May 1968.</span></li>
<li id="cite_note-9"><span class="mw-cite-backlink"><a href="#cite_ref-9">^</a></span> <span class="reference-text">"Teacher
leads fight to save viaduct". <i>Halifax Evening Courier</i>. 12 October 1981.</span></li>
<li id="cite_note-10"><span class="mw-cite-backlink"><a href="#cite_ref-10">^</a></span> <span class="reference-text">"Viaduct
reopens to walkers and cyclists". <i>BBC News</i>. 18 June 1994.</span></li>
<li id="cite_note-11"><span class="mw-cite-backlink"><a href="#cite_ref-11">^</a></span> <span class="reference-text">Binns
(1999), p.&#160;93.</span></li>
<li id="cite_note-12"><span class="mw-cite-backlink"><a href="#cite_ref-12">^</a></span> <span class="reference-text">"Where
was Dale End filmed?". <i>Radio Times</i>. 3 March 2003.</span></li>
</ol></div>

<h2><span class="mw-headline" id="External_links">External links</span></h2>
<ul>
<li><a href="#">Calderbrook Viaduct Trust</a> (official website)</li>
<li><a href="#">Calderbrook Viaduct</a> on the Calder Valley Greenway route map</li>
</ul>
"""

INFOBOX = """
<table class="infobox vcard" style="width:22em">
<caption class="infobox-title fn">Calderbrook Viaduct</caption>
<tbody>
<tr><td colspan="2" class="infobox-image"><a href="#" class="mw-file-description"><img alt="The viaduct from the
south" src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7" width="250"
height="167"></a><div class="infobox-caption">The viaduct from the south in 2019</div></td></tr>
<tr><th scope="row" class="infobox-label">Coordinates</th><td class="infobox-data"><span class="geo">53.694°N
2.051°W</span></td></tr>
<tr><th scope="row" class="infobox-label">Carries</th><td class="infobox-data">Ribbledale and Calder Railway
(1849–1968)<br>Calder Valley Greenway (since 1994)</td></tr>
<tr><th scope="row" class="infobox-label">Crosses</th><td class="infobox-data">Calder Brook</td></tr>
<tr><th scope="row" class="infobox-label">Locale</th><td class="infobox-data">Thornley Bridge, West Yorkshire</td></tr>
<tr><th scope="row" class="infobox-label">Heritage status</th><td class="infobox-data">Grade II* listed</td></tr>
<tr><th colspan="2" class="infobox-header">Characteristics</th></tr>
<tr><th scope="row" class="infobox-label">Design</th><td class="infobox-data">Masonry arch viaduct</td></tr>
<tr><th scope="row" class="infobox-label">Material</th><td class="infobox-data">Gritstone</td></tr>
<tr><th scope="row" class="infobox-label">Total length</th><td class="infobox-data">412 m (1,352 ft)</td></tr>
<tr><th scope="row" class="infobox-label">Height</th><td class="infobox-data">33 m (108 ft)</td></tr>
<tr><th scope="row" class="infobox-label">Longest span</th><td class="infobox-data">12.2 m (40 ft)</td></tr>
<tr><th scope="row" class="infobox-label">No. of spans</th><td class="infobox-data">23</td></tr>
<tr><th colspan="2" class="infobox-header">History</th></tr>
<tr><th scope="row" class="infobox-label">Designer</th><td class="infobox-data">John Fenwick Hartley</td></tr>
<tr><th scope="row" class="infobox-label">Constructed by</th><td class="infobox-data">Pickering &amp; Dunn</td></tr>
<tr><th scope="row" class="infobox-label">Construction start</th><td class="infobox-data">March 1846</td></tr>
<tr><th scope="row" class="infobox-label">Opened</th><td class="infobox-data">12 August 1849</td></tr>
<tr><th scope="row" class="infobox-label">Closed</th><td class="infobox-data">4 May 1968 (railway)</td></tr>
<tr><th scope="row" class="infobox-label">Restored</th><td class="infobox-data">1991–1994</td></tr>
</tbody></table>
"""

TOC = """
<div id="toc" class="toc" role="navigation" aria-labelledby="mw-toc-heading">
<div class="toctitle" lang="en" dir="ltr"><h2 id="mw-toc-heading">Contents</h2><span class="toctogglespan"><label
class="toctogglelabel" for="toctogglecheckbox"></label></span></div>
<ul>
<li class="toclevel-1 tocsection-1"><a href="#History"><span class="tocnumber">1</span> <span class="toctext">History</span></a>
<ul>
<li class="toclevel-2 tocsection-2"><a href="#Construction"><span class="tocnumber">1.1</span> <span class="toctext">Construction</span></a></li>
<li class="toclevel-2 tocsection-3"><a href="#Operation"><span class="tocnumber">1.2</span> <span class="toctext">Operation</span></a></li>
<li class="toclevel-2 tocsection-4"><a href="#Closure"><span class="tocnumber">1.3</span> <span class="toctext">Closure</span></a></li>
</ul></li>
<li class="toclevel-1 tocsection-5"><a href="#Restoration"><span class="tocnumber">2</span> <span class="toctext">Restoration</span></a></li>
<li class="toclevel-1 tocsection-6"><a href="#Design"><span class="tocnumber">3</span> <span class="toctext">Design</span></a></li>
<li class="toclevel-1 tocsection-7"><a href="#In_popular_culture"><span class="tocnumber">4</span> <span class="toctext">In popular culture</span></a></li>
<li class="toclevel-1 tocsection-8"><a href="#See_also"><span class="tocnumber">5</span> <span class="toctext">See also</span></a></li>
<li class="toclevel-1 tocsection-9"><a href="#References"><span class="tocnumber">6</span> <span class="toctext">References</span></a></li>
<li class="toclevel-1 tocsection-10"><a href="#External_links"><span class="tocnumber">7</span> <span class="toctext">External links</span></a></li>
</ul>
</div>
"""


def wiki_page() -> str:
    languages = "\n".join(
        f'<li class="interlanguage-link interwiki-{code} mw-list-item"><a href="#" title="Calderbrook Viaduct – '
        f'{name}" lang="{code}" hreflang="{code}" class="interlanguage-link-target"><span>{name}</span></a></li>'
        for code, name in LANGUAGES
    )
    return f"""<!DOCTYPE html>
<html class="client-nojs" lang="en" dir="ltr">
<head>
<meta charset="UTF-8">
<title>Calderbrook Viaduct - {SITE}</title>
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta property="og:title" content="Calderbrook Viaduct - {SITE}">
<link rel="stylesheet" href="/w/load.php?lang=en&amp;modules=site.styles&amp;only=styles&amp;skin=vector-2022">
<style>body{{font-family:sans-serif}} .infobox{{float:right;border:1px solid #a2a9b1;margin:0 0 1em 1em}}</style>
<script>document.documentElement.className="client-js";</script>
</head>
<body class="skin-vector skin-vector-2022 mediawiki ltr page-Calderbrook_Viaduct action-view">
<a class="mw-jump-link" href="#bodyContent">Jump to content</a>
<div class="vector-header-container">
<header class="vector-header mw-header">
<div class="vector-header-start">
<nav class="vector-main-menu-landmark" aria-label="Site">
<div id="vector-main-menu-dropdown" class="vector-dropdown"><label class="vector-dropdown-label">Main menu</label>
<div class="vector-dropdown-content"><div id="vector-main-menu" class="vector-main-menu">
<div class="vector-menu-heading">Main menu</div>
<div class="vector-menu-heading">Navigation</div>
<ul class="vector-menu-content-list">
<li id="n-mainpage-description" class="mw-list-item"><a href="#" title="Visit the main page [z]" accesskey="z"><span>Main page</span></a></li>
<li id="n-contents" class="mw-list-item"><a href="#" title="Guides to browsing {SITE}"><span>Contents</span></a></li>
<li id="n-currentevents" class="mw-list-item"><a href="#"><span>Current events</span></a></li>
<li id="n-randompage" class="mw-list-item"><a href="#" accesskey="x"><span>Random article</span></a></li>
<li id="n-aboutsite" class="mw-list-item"><a href="#"><span>About {SITE}</span></a></li>
<li id="n-contactpage" class="mw-list-item"><a href="#"><span>Contact us</span></a></li>
</ul>
<div class="vector-menu-heading">Contribute</div>
<ul class="vector-menu-content-list">
<li id="n-help" class="mw-list-item"><a href="#"><span>Help</span></a></li>
<li id="n-introduction" class="mw-list-item"><a href="#"><span>Learn to edit</span></a></li>
<li id="n-portal" class="mw-list-item"><a href="#"><span>Community portal</span></a></li>
<li id="n-recentchanges" class="mw-list-item"><a href="#" accesskey="r"><span>Recent changes</span></a></li>
<li id="n-upload" class="mw-list-item"><a href="#"><span>Upload file</span></a></li>
</ul></div></div></div>
</nav>
<a href="#" class="mw-logo"><span class="mw-logo-wordmark">{SITE}</span> <span class="mw-logo-tagline">The Free Encyclopedia</span></a>
</div>
<div class="vector-header-end">
<div id="p-search" role="search" class="vector-search-box"><form action="/w/index.php" id="searchform">
<input type="search" name="search" placeholder="Search {SITE}" aria-label="Search {SITE}" accesskey="f" id="searchInput">
<input type="submit" name="go" value="Go" class="searchButton"></form></div>
<nav class="vector-user-links" aria-label="Personal tools">
<ul>
<li id="pt-createaccount" class="mw-list-item"><a href="#"><span>Create account</span></a></li>
<li id="pt-login" class="mw-list-item"><a href="#" accesskey="o"><span>Log in</span></a></li>
</ul></nav>
</div>
</header>
</div>
<div class="mw-page-container">
<div class="mw-page-container-inner">
<div class="vector-sitenotice-container"><div id="siteNotice"></div></div>
<div class="vector-column-start">
<nav id="mw-panel-toc" aria-label="Contents" class="vector-toc-landmark">
<div class="vector-toc-pinnable-header"><h2 class="vector-pinnable-header-label">Contents</h2></div>
<ul class="vector-toc-contents">
<li class="vector-toc-list-item vector-toc-level-1"><a class="vector-toc-link" href="#"><div class="vector-toc-text">(Top)</div></a></li>
<li class="vector-toc-list-item vector-toc-level-1"><a class="vector-toc-link" href="#History"><div class="vector-toc-text"><span class="vector-toc-numb">1</span> History</div></a></li>
<li class="vector-toc-list-item vector-toc-level-1"><a class="vector-toc-link" href="#Restoration"><div class="vector-toc-text"><span class="vector-toc-numb">2</span> Restoration</div></a></li>
<li class="vector-toc-list-item vector-toc-level-1"><a class="vector-toc-link" href="#Design"><div class="vector-toc-text"><span class="vector-toc-numb">3</span> Design</div></a></li>
<li class="vector-toc-list-item vector-toc-level-1"><a class="vector-toc-link" href="#In_popular_culture"><div class="vector-toc-text"><span class="vector-toc-numb">4</span> In popular culture</div></a></li>
<li class="vector-toc-list-item vector-toc-level-1"><a class="vector-toc-link" href="#References"><div class="vector-toc-text"><span class="vector-toc-numb">6</span> References</div></a></li>
</ul>
</nav>
</div>
<div class="mw-content-container">
<main id="content" class="mw-body" role="main">
<header class="mw-body-header vector-page-titlebar">
<h1 id="firstHeading" class="firstHeading mw-first-heading"><span class="mw-page-title-main">Calderbrook Viaduct</span></h1>
<div id="p-lang-btn" class="vector-dropdown mw-portlet mw-portlet-lang"><label class="vector-dropdown-label">
<span class="vector-dropdown-label-text">{len(LANGUAGES)} languages</span></label>
<div class="vector-dropdown-content"><div class="vector-menu-content"><ul class="vector-menu-content-list">
{languages}
</ul>
<div class="after-portlet after-portlet-lang"><span class="wb-langlinks-edit wb-langlinks-link"><a href="#" title="Edit interlanguage links" class="wbc-editpage">Edit links</a></span></div>
</div></div></div>
</header>
<div class="vector-page-toolbar">
<nav aria-label="Namespaces"><ul>
<li id="ca-nstab-main" class="selected vector-tab-noicon mw-list-item"><a href="#" accesskey="c"><span>Article</span></a></li>
<li id="ca-talk" class="vector-tab-noicon mw-list-item"><a href="#" rel="discussion" accesskey="t"><span>Talk</span></a></li>
</ul></nav>
<nav aria-label="Views"><ul>
<li id="ca-view" class="selected vector-tab-noicon mw-list-item"><a href="#"><span>Read</span></a></li>
<li id="ca-edit" class="vector-tab-noicon mw-list-item"><a href="#" accesskey="e"><span>Edit</span></a></li>
<li id="ca-history" class="vector-tab-noicon mw-list-item"><a href="#" accesskey="h"><span>View history</span></a></li>
</ul></nav>
<nav class="vector-page-tools-landmark" aria-label="Page tools"><div class="vector-menu-heading">Tools</div><ul>
<li id="t-whatlinkshere" class="mw-list-item"><a href="#" accesskey="j"><span>What links here</span></a></li>
<li id="t-recentchangeslinked" class="mw-list-item"><a href="#" accesskey="k"><span>Related changes</span></a></li>
<li id="t-permalink" class="mw-list-item"><a href="#"><span>Permanent link</span></a></li>
<li id="t-info" class="mw-list-item"><a href="#"><span>Page information</span></a></li>
<li id="t-cite" class="mw-list-item"><a href="#"><span>Cite this page</span></a></li>
<li id="coll-download-as-rl" class="mw-list-item"><a href="#"><span>Download as PDF</span></a></li>
<li id="t-print" class="mw-list-item"><a href="#" accesskey="p"><span>Printable version</span></a></li>
</ul></nav>
</div>
<div id="bodyContent" class="vector-body">
<div id="siteSub" class="noprint">From {SITE}, the free encyclopedia</div>
<div id="contentSub"></div>
<div id="mw-content-text" class="mw-body-content"><div class="mw-content-ltr mw-parser-output" lang="en" dir="ltr">
<div class="shortdescription nomobile noexcerpt noprint searchaux" style="display:none">Railway viaduct in West Yorkshire, England</div>
<div role="note" class="hatnote navigation-not-searchable">Not to be confused with <a href="#">Calder Viaduct</a>.</div>
{INFOBOX}
{VIADUCT_ARTICLE.split("<h2>", 1)[0]}
{TOC}
<h2>{VIADUCT_ARTICLE.split("<h2>", 1)[1]}
<div class="navbox" role="navigation" aria-label="Navbox"><table class="nowraplinks navbox-inner"><tbody>
<tr><th scope="col" class="navbox-title" colspan="2">Railway viaducts in the South Pennines</th></tr>
<tr><th scope="row" class="navbox-group">Ribbledale and Calder Railway</th><td class="navbox-list"><div><ul>
<li><a href="#">Calderbrook Viaduct</a></li><li><a href="#">Hebble Viaduct</a></li><li><a href="#">Lumb Clough Viaduct</a></li>
<li><a href="#">Ringby Viaduct</a></li></ul></div></td></tr>
<tr><th scope="row" class="navbox-group">Other lines</th><td class="navbox-list"><div><ul>
<li><a href="#">Copley Viaduct</a></li><li><a href="#">Lockwood Viaduct</a></li><li><a href="#">Slaithwaite Viaduct</a></li>
</ul></div></td></tr></tbody></table></div>
</div></div>
<div id="catlinks" class="catlinks" data-mw="interface"><div id="mw-normal-catlinks" class="mw-normal-catlinks"><a
href="#" title="Help:Category">Categories</a>: <ul><li><a href="#">Railway viaducts in West Yorkshire</a></li><li><a
href="#">Grade II* listed buildings in West Yorkshire</a></li><li><a href="#">Bridges completed in 1849</a></li><li><a
href="#">Rail trails in England</a></li></ul></div></div>
</div>
</main>
</div>
<div class="mw-footer-container">
<footer id="footer" class="mw-footer" role="contentinfo">
<ul id="footer-info">
<li id="footer-info-lastmod"> This page was last edited on 9 February 2024, at 17:42<span class="anonymous-show">&#160;(UTC)</span>.</li>
<li id="footer-info-copyright">Text is available under the <a rel="license" href="#">Creative Commons Attribution-ShareAlike License 4.0</a>; additional terms may apply. By using this site, you agree to the <a href="#">Terms of Use</a> and <a href="#">Privacy Policy</a>.</li>
</ul>
<ul id="footer-places">
<li id="footer-places-privacy"><a href="#">Privacy policy</a></li>
<li id="footer-places-about"><a href="#">About {SITE}</a></li>
<li id="footer-places-disclaimers"><a href="#">Disclaimers</a></li>
<li id="footer-places-contact"><a href="#">Contact {SITE}</a></li>
<li id="footer-places-mobileview"><a href="#" class="noprint stopMobileRedirectToggle">Mobile view</a></li>
<li id="footer-places-developers"><a href="#">Developers</a></li>
<li id="footer-places-statslink"><a href="#">Statistics</a></li>
<li id="footer-places-cookiestatement"><a href="#">Cookie statement</a></li>
</ul>
</footer>
</div>
</div>
</div>
<script>(RLQ=window.RLQ||[]).push(function(){{mw.config.set({{"wgPageParseReport":{{"limitreport":{{"cputime":"0.412"}}}}}});}});</script>
</body>
</html>
"""


BLOG = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>What a year of cycling to work taught me – The Slow Commute</title>
<meta name="description" content="Twelve months, 212 commutes and seven punctures: notes from a year on the bike.">
<meta property="og:type" content="article">
<meta property="article:published_time" content="2024-03-03T08:00:00+00:00">
<link rel="stylesheet" href="/wp-content/themes/quietpress/style.css?ver=2.4.1">
<link rel="alternate" type="application/rss+xml" title="The Slow Commute » Feed" href="/feed/">
<script src="/wp-includes/js/jquery/jquery.min.js?ver=3.7.1" id="jquery-core-js"></script>
</head>
<body class="post-template-default single single-post postid-482 single-format-standard">
<a class="skip-link screen-reader-text" href="#primary">Skip to content</a>
<div id="page" class="site">
<header id="masthead" class="site-header">
<div class="site-branding">
<p class="site-title"><a href="/" rel="home">The Slow Commute</a></p>
<p class="site-description">Notes on cycling, walking and getting there eventually</p>
</div>
<nav id="site-navigation" class="main-navigation" aria-label="Primary menu">
<button class="menu-toggle" aria-controls="primary-menu" aria-expanded="false">Menu</button>
<ul id="primary-menu" class="menu">
<li class="menu-item current-menu-item"><a href="/">Home</a></li>
<li class="menu-item"><a href="/archive/">Archive</a></li>
<li class="menu-item"><a href="/gear/">Gear</a></li>
<li class="menu-item"><a href="/routes/">Routes</a></li>
<li class="menu-item"><a href="/about/">About</a></li>
<li class="menu-item"><a href="/subscribe/">Subscribe</a></li>
</ul>
</nav>
</header>

<div id="content" class="site-content">
<main id="primary" class="site-main">
<article id="post-482" class="post-482 post type-post status-publish format-standard category-commuting tag-cycling">
<header class="entry-header">
<h1 class="entry-title">What a year of cycling to work taught me</h1>
<div class="entry-meta">
<span class="posted-on">Posted on <time class="entry-date published" datetime="2024-03-03T08:00:00+00:00">3 March 2024</time></span>
<span class="byline"> by <span class="author vcard"><a class="url fn n" href="/author/ellen/">Ellen Firth</a></span></span>
<span class="comments-link"><a href="#comments">3 Comments</a></span>
</div>
</header>

<div class="entry-content">
<p>A year ago this week I sold my car, bought a set of panniers and started riding to work. My office is on the
far side of Leeds, 14 km from my front door, and I had never cycled further than the corner shop since I was a
teenager. Friends gave me a month. This is what happened instead.</p>

<h2>The numbers</h2>
<p>I kept a spreadsheet, because of course I did. Out of 231 working days, I cycled on 212 of them. The other
19 were made up of snow, two bouts of flu and one memorable morning when I simply could not face the rain. That
adds up to 5,936 km, which is roughly the distance from Leeds to Lagos.</p>
<p>The ride takes me 41 minutes door to door. The bus and train took 55 minutes on a good day, so I have gained
time as well as fitness. After paying for repairs, new tyres and a proper rain jacket, I reckon I saved £1,150
against the cost of an annual season ticket.</p>

<h2>The bike</h2>
<p>I ride a secondhand steel touring bike that I bought from a neighbour in 2016 and barely used until last year.
It is heavy, it is slow up hills and it has never once let me down. I added mudguards, a rear rack and dynamo
lights, which I now think are the best thing ever invented.</p>

<h2>What went wrong</h2>
<ul>
<li>Seven punctures, all of them on the back wheel</li>
<li>A snapped chain on the Kirkstall Road in November</li>
<li>One fall on black ice, which cost me a bruised hip and a pair of trousers</li>
<li>A stolen front light, taken from outside the office in broad daylight</li>
</ul>

<h2>What I would tell a beginner</h2>
<ol>
<li>Ride the route on a Sunday first, when the roads are quiet.</li>
<li>Buy the best lights and waterproofs you can afford, and worry about the bike later.</li>
<li>Learn to fix a puncture at home, not at the side of the road in the dark.</li>
<li>Keep a change of clothes at work.</li>
<li>Give yourself permission to take the bus on the worst days.</li>
</ol>

<p>The biggest change has not been to my legs or my bank balance but to my head. I arrive at work awake, and I
arrive home having already left the day behind me somewhere on the canal towpath. I do not think I will ever go
back.</p>
</div>

<footer class="entry-footer">
<span class="cat-links">Posted in <a href="/category/commuting/" rel="category tag">Commuting</a></span>
<span class="tags-links">Tagged <a href="/tag/cycling/" rel="tag">cycling</a>, <a href="/tag/leeds/" rel="tag">Leeds</a></span>
</footer>
</article>

<nav class="navigation post-navigation" aria-label="Posts">
<div class="nav-links">
<div class="nav-previous"><a href="/2024/02/winter-tyres/" rel="prev">Previous: Are winter tyres worth it?</a></div>
<div class="nav-next"><a href="/2024/03/towpath-etiquette/" rel="next">Next: Towpath etiquette for beginners</a></div>
</div>
</nav>

<div id="comments" class="comments-area">
<h2 class="comments-title">3 thoughts on “What a year of cycling to work taught me”</h2>
<ol class="comment-list">
<li id="comment-1031" class="comment even thread-even depth-1">
<article class="comment-body">
<footer class="comment-meta"><div class="comment-author vcard"><b class="fn">Marcus Dean</b> <span class="says">says:</span></div>
<div class="comment-metadata"><time datetime="2024-03-03T10:12:00+00:00">3 March 2024 at 10:12 am</time></div></footer>
<div class="comment-content"><p>Great write-up. I do 9 km each way and I'm on puncture number eleven this year, so
you got off lightly! Tubeless tyres changed my life.</p></div>
<div class="reply"><a rel="nofollow" class="comment-reply-link" href="#">Reply</a></div>
</article>
</li>
<li id="comment-1034" class="comment odd alt thread-odd depth-1">
<article class="comment-body">
<footer class="comment-meta"><div class="comment-author vcard"><b class="fn">Jo Pickering</b> <span class="says">says:</span></div>
<div class="comment-metadata"><time datetime="2024-03-04T19:40:00+00:00">4 March 2024 at 7:40 pm</time></div></footer>
<div class="comment-content"><p>The dynamo lights point is so true. Which route do you take through Kirkstall?</p></div>
<div class="reply"><a rel="nofollow" class="comment-reply-link" href="#">Reply</a></div>
</article>
<ol class="children">
<li id="comment-1035" class="comment byuser bypostauthor even depth-2">
<article class="comment-body">
<footer class="comment-meta"><div class="comment-author vcard"><b class="fn">Ellen Firth</b> <span class="says">says:</span></div>
<div class="comment-metadata"><time datetime="2024-03-04T21:05:00+00:00">4 March 2024 at 9:05 pm</time></div></footer>
<div class="comment-content"><p>Jo, I go along the canal from Armley and come off at the lock. I will post a route
map next month.</p></div>
</article>
</li>
</ol>
</li>
</ol>
<div id="respond" class="comment-respond">
<h3 id="reply-title" class="comment-reply-title">Leave a Reply</h3>
<form action="/wp-comments-post.php" method="post" id="commentform" class="comment-form">
<p class="comment-notes">Your email address will not be published. Required fields are marked *</p>
<p class="comment-form-comment"><label for="comment">Comment *</label> <textarea id="comment" name="comment" cols="45" rows="8" required></textarea></p>
<p class="comment-form-author"><label for="author">Name *</label> <input id="author" name="author" type="text" size="30" required></p>
<p class="comment-form-email"><label for="email">Email *</label> <input id="email" name="email" type="email" size="30" required></p>
<p class="form-submit"><input name="submit" type="submit" id="submit" class="submit" value="Post Comment"></p>
</form>
</div>
</div>
</main>

<aside id="secondary" class="widget-area">
<section id="search-2" class="widget widget_search"><form role="search" method="get" class="search-form" action="/">
<label><span class="screen-reader-text">Search for:</span><input type="search" class="search-field" placeholder="Search …" name="s"></label>
<input type="submit" class="search-submit" value="Search"></form></section>
<section id="recent-posts-2" class="widget widget_recent_entries">
<h2 class="widget-title">Recent posts</h2>
<ul>
<li><a href="/2024/03/towpath-etiquette/">Towpath etiquette for beginners</a></li>
<li><a href="/2024/03/year-of-cycling/" aria-current="page">What a year of cycling to work taught me</a></li>
<li><a href="/2024/02/winter-tyres/">Are winter tyres worth it?</a></li>
<li><a href="/2024/01/panniers-reviewed/">Four panniers, reviewed in the rain</a></li>
</ul></section>
<section id="archives-2" class="widget widget_archive">
<h2 class="widget-title">Archives</h2>
<ul><li><a href="/2024/03/">March 2024</a></li><li><a href="/2024/02/">February 2024</a></li><li><a href="/2024/01/">January 2024</a></li><li><a href="/2023/12/">December 2023</a></li></ul>
</section>
</aside>
</div>

<footer id="colophon" class="site-footer">
<div class="site-info">© 2024 Ellen Firth · The Slow Commute · <a href="/privacy/">Privacy</a> · Proudly powered by WordPress</div>
</footer>
</div>
<script src="/wp-content/themes/quietpress/js/navigation.js?ver=2.4.1" id="quietpress-navigation-js"></script>
</body>
</html>
"""


def main():
    CORPUS.mkdir(parents=True, exist_ok=True)
    (CORPUS / "calderbrook-viaduct-wiki.html").write_text(wiki_page(), encoding="utf-8")
    (CORPUS / "slow-commute-blog.html").write_text(BLOG, encoding="utf-8")
    print(CORPUS / "calderbrook-viaduct-wiki.html", CORPUS / "slow-commute-blog.html", len(LANGUAGES), "languages")


if __name__ == "__main__":
    main()
