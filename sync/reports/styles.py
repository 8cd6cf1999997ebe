"""The report's stylesheet: readable sizes (nothing under 12.8 px), phone layout, A4 print, status colours.

Sorting without script: the KR table is rendered in several orders; all but the default are hidden
until their anchor is the URL's target (``:target``), so a link switches the order.
"""

from __future__ import annotations

from okr_sync.reports.statuses import STATUSES


def _status_rules() -> str:
    return "".join(f".st-{value}{{background:{look.colour}}}.bar .f-{value}{{background:{look.colour}}}"
                   for value, look in STATUSES.items())


CSS = """
:root{--ink:#1d2430;--muted:#4b5563;--line:#cfd5de;--bg:#f6f7f9;--link:#1a4f8f}
*{box-sizing:border-box}html{font-size:16px}
body{margin:0;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
main{max-width:1200px;margin:0 auto;padding:16px}a{color:var(--link)}
h1{font-size:1.6rem;margin:.2em 0}h2{font-size:1.3rem;margin:0 0 .5em;break-after:avoid}
h3{font-size:1.05rem;margin:0 0 .3em;break-after:avoid}
.muted,.note{color:var(--muted)}.note,figcaption,.small{font-size:.85rem}.why{font-style:italic;color:var(--muted)}
nav.toc{display:flex;flex-wrap:wrap;gap:4px 14px;margin:6px 0 12px}
section.panel{background:#fff;border:1px solid var(--line);border-radius:10px;padding:14px;margin:16px 0}
.st{display:inline-block;padding:0 8px;border-radius:10px;color:#fff;font-size:.85rem;font-weight:600;
white-space:nowrap}
ul.counts{list-style:none;padding:0;margin:0 0 10px;display:flex;flex-wrap:wrap;gap:8px}
ul.counts li{font-size:1rem}.summary{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:16px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.9rem;background:#fff}
th,td{border-bottom:1px solid var(--line);padding:5px 6px;text-align:left;vertical-align:top}
th{font-weight:600;color:var(--ink);background:#eef1f5}td.num,th.num{text-align:right;white-space:nowrap}
tr.group th{background:#e3e8ef}
.bar{height:10px;background:#e3e7ed;border-radius:5px;overflow:hidden;margin:4px 0;min-width:60px}
.bar span{display:block;height:100%}
.ordering{display:none}.ordering.default{display:block}.orderings:has(.ordering:target) .ordering.default{display:none}
.ordering:target{display:block}
.objective-head{display:grid;grid-template-columns:minmax(0,1fr) minmax(280px,400px);gap:16px;align-items:start}
.krs{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:12px;margin-top:12px}
article.kr{border:1px solid var(--line);border-radius:8px;padding:10px;background:#fff;break-inside:avoid}
dl{display:grid;grid-template-columns:auto 1fr;gap:0 10px;margin:6px 0}dt{color:var(--muted)}dd{margin:0}
figure.burnup{margin:6px 0}figure.burnup svg{width:100%;height:auto;display:block;min-width:280px}
.legend i{display:inline-block;width:18px;height:0;vertical-align:middle;margin:0 4px 0 8px;border-top:2px solid}
.l-exp{border-color:#4b5563!important;border-top-style:dashed!important}.l-act{border-color:#1d5fa8!important}
.l-fc{border-color:#1d5fa8!important;border-top-style:dotted!important}
ul.findings{padding-left:18px;margin:6px 0}ul.findings li{margin:2px 0}.advice{margin:2px 0 8px}
.agencies{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:12px}
.agency{border:1px solid var(--line);border-radius:8px;padding:10px}.agency ul{list-style:none;padding:0;margin:0}
.agency li{margin:4px 0}
.r-good{background:#dbe9f6}.r-mid{background:#fde8d2}.r-low{background:#f6d5d5}
details summary{cursor:pointer;color:var(--link)}
@media (max-width:640px){main{padding:8px}.objective-head{grid-template-columns:1fr}.krs{grid-template-columns:1fr}
.wide{display:none}section.panel{padding:10px}.summary{grid-template-columns:1fr}.agencies{grid-template-columns:1fr}
figure.burnup svg{min-width:0}article.kr figcaption{display:none}
.kr-table thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.kr-table tr{display:grid;grid-template-columns:auto 1fr 1fr;gap:2px 8px;padding:6px 0;
border-bottom:1px solid var(--line)}.kr-table td{border:0;padding:0;text-align:left}
.kr-table .c-title{grid-column:2/-1}.kr-table .c-progress{grid-column:1/-1}
.kr-table td[data-label]::before{content:attr(data-label) " ";color:var(--muted)}
.kr-table tr.group{display:block}}
@page{size:A4;margin:12mm}
@media print{html{font-size:13px}body{background:#fff}main{max-width:none;padding:0}nav.toc,.sorts,details{display:none}
section.panel{border:0;padding:0;margin:0 0 10px}.ordering:not(.default){display:none!important}
.ordering.default{display:block!important}.krs{grid-template-columns:1fr 1fr}
.objective-head{grid-template-columns:1fr 1fr}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}a{color:inherit;text-decoration:none}
.scroll{overflow:visible}tr{break-inside:avoid}figure.burnup svg{min-width:0}}
""" + _status_rules()
