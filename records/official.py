"""Which sources are primary: a government's own site, or a source of an official kind. One rule for the alerts
(primary sources listed first) and the events' evidence levels (a primary source confirms)."""

from __future__ import annotations

from urllib.parse import urlsplit

OFFICIAL_SOURCE_KINDS = frozenset({"ustr", "federal_register"})
# official hosts: the host itself or any subdomain counts
OFFICIAL_HOSTS = (
    "asean.org", "beehive.govt.nz", "canada.ca", "cbp.gov", "commerce.gov", "commerce.gov.in",
    "consilium.europa.eu", "dfat.gov.au", "ec.europa.eu", "efta.int", "federalregister.gov", "gcc-sg.org",
    "gob.mx", "gov.uk", "govinfo.gov", "international.gc.ca", "kantei.go.jp", "korea.kr", "meti.go.jp",
    "mfat.govt.nz", "moef.go.kr", "mofa.go.jp", "mofa.go.kr", "mofcom.gov.cn", "moit.gov.vn", "motie.go.kr",
    "mti.gov.sg", "pib.gov.in", "policy.trade.ec.europa.eu", "state.gov", "trade.ec.europa.eu", "trade.gov",
    "treasury.gov", "usitc.gov", "ustr.gov", "whitehouse.gov",
)  # fmt: skip
# domains only governments (and bodies of governments) can register under
GOVERNMENT_SUFFIXES = (
    "admin.ch", "asean.org", "bund.de", "canada.ca", "efta.int", "europa.eu", "gc.ca", "gcc-sg.org", "go.id",
    "go.jp", "go.ke", "go.kr", "go.th", "gob.ar", "gob.cl", "gob.ec", "gob.es", "gob.mx", "gob.pe", "gouv.fr",
    "gov", "gov.ae", "gov.au", "gov.bd", "gov.br", "gov.cn", "gov.co", "gov.eg", "gov.hk", "gov.il", "gov.in",
    "gov.it", "gov.my", "gov.ng", "gov.om", "gov.ph", "gov.pk", "gov.qa", "gov.sa", "gov.sg", "gov.tr",
    "gov.tw", "gov.uk", "gov.vn", "gov.za", "government.nl", "govt.nz", "llv.li", "mil", "mofa.go.jp",
    "nic.in", "regjeringen.no", "stjornarradid.is", "wto.org",
)  # fmt: skip


def host_of(url: object) -> str | None:
    if not isinstance(url, str):
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host.lower().rstrip(".") if host else None


def is_official(url: str | None, source_kind: str | None = None, source_url: str | None = None) -> bool:
    """A primary source: an official source kind, or the item's (or its source's) host is a government site."""
    if source_kind in OFFICIAL_SOURCE_KINDS:
        return True
    for candidate in (url, source_url):
        host = host_of(candidate)
        if host and any(host == h or host.endswith("." + h) for h in (*OFFICIAL_HOSTS, *GOVERNMENT_SUFFIXES)):
            return True
    return False
