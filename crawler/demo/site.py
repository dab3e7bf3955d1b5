"""The bundled sample outlets: articles from articles.yaml served as real little news sites.

Each outlet announces its articles the way its `discovery` says: an RSS feed, an Atom feed,
a sitemap index with a Google News sitemap, or a paginated section page. Pages carry the
boilerplate real sites have (navigation, newsletter box, "Hot Stories", footer) so the demo
shows extraction at work. Publication dates are relative to the moment the demo runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from importlib import resources
from typing import Any
from xml.sax.saxutils import escape

import yaml
from jinja2 import Environment, PackageLoader, select_autoescape

from newsalert.crawler.demo.server import Route, SiteServer

LISTING_PAGE_SIZE = 3
ARTICLE_PATTERN = r"/\d{4}/\d{2}/[a-z0-9-]+\.html$"

UI = {
    "en": {
        "home": "Home",
        "by": "By",
        "share": "Share on",
        "related": "Related stories",
        "newsletter": "Enter your email below to get the day's headlines every morning.",
        "subscribe": "Sign up",
        "cookies": "We use cookies to improve your experience.",
        "accept": "Accept",
        "about": "About us",
        "contact": "Contact",
        "advertise": "Advertise",
        "rights": "All rights reserved.",
        "next": "Next",
        "previous": "Previous",
        "latest": "Latest news",
    },
    "es": {
        "home": "Inicio",
        "by": "Por",
        "share": "Compartir en",
        "related": "Notas relacionadas",
        "newsletter": "Ingrese su correo para recibir los titulares cada mañana.",
        "subscribe": "Suscribirse",
        "cookies": "Usamos cookies para mejorar su experiencia.",
        "accept": "Aceptar",
        "about": "Quiénes somos",
        "contact": "Contacto",
        "advertise": "Publicidad",
        "rights": "Todos los derechos reservados.",
        "next": "Siguiente",
        "previous": "Anterior",
        "latest": "Últimas noticias",
    },
    "fr": {
        "home": "Accueil",
        "by": "Par",
        "share": "Partager sur",
        "related": "À lire aussi",
        "newsletter": "Entrez votre adresse pour recevoir les titres chaque matin.",
        "subscribe": "S'inscrire",
        "cookies": "Nous utilisons des cookies pour améliorer votre expérience.",
        "accept": "Accepter",
        "about": "Qui sommes-nous",
        "contact": "Contact",
        "advertise": "Publicité",
        "rights": "Tous droits réservés.",
        "next": "Suivant",
        "previous": "Précédent",
        "latest": "Dernières nouvelles",
    },
}


@dataclass(frozen=True)
class DemoArticle:
    outlet: str
    slug: str
    section: str
    title: str
    author: str
    description: str
    paragraphs: list[str]
    published: datetime
    on_topic: bool
    syndicated_from: str | None

    @property
    def path(self) -> str:
        return f"/{self.published:%Y/%m}/{self.slug}.html"


@dataclass
class DemoSite:
    key: str
    name: str
    language: str
    country: str
    discovery: str
    server: SiteServer
    articles: list[DemoArticle]

    def outlet_entry(self) -> dict[str, Any]:
        """The outlets.yaml entry that points newsalert at this site."""
        base = self.server.base_url
        entry: dict[str, Any] = {
            "name": self.name,
            "url": base + "/",
            "language": self.language,
            "country": self.country,
        }
        if self.discovery == "feed":
            entry["feeds"] = [base + "/rss.xml"]
        elif self.discovery == "atom":
            entry["feeds"] = [base + "/atom.xml"]
        elif self.discovery == "sitemap":
            entry["sitemaps"] = [base + "/sitemap_index.xml"]
        else:
            entry.update(
                listings=[base + "/seccion/economia/"], article_url_pattern=ARTICLE_PATTERN, max_listing_pages=5
            )
        return entry


def load_demo_data() -> dict[str, Any]:
    text = (resources.files("newsalert.crawler.demo") / "articles.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def start_demo_sites(now: datetime | None = None) -> list[DemoSite]:
    """Start one local server per sample outlet; stop them with `stop_demo_sites`."""
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    data = load_demo_data()
    env = Environment(
        loader=PackageLoader("newsalert.crawler.demo", "templates"), autoescape=select_autoescape(["html"])
    )
    sites = []
    for outlet in data["outlets"]:
        articles = sorted(
            (_article(entry, now) for entry in data["articles"] if entry["outlet"] == outlet["key"]),
            key=lambda a: a.published,
            reverse=True,
        )
        server = SiteServer().start()
        site = DemoSite(
            outlet["key"], outlet["name"], outlet["language"], outlet["country"], outlet["discovery"], server, articles
        )
        server.routes.update(_routes(env, outlet, site, now))
        sites.append(site)
    return sites


def stop_demo_sites(sites: list[DemoSite]) -> None:
    for site in sites:
        site.server.stop()


def _article(entry: dict[str, Any], now: datetime) -> DemoArticle:
    published = (now - timedelta(days=entry["days_ago"])).replace(hour=entry["hour"], minute=15)
    return DemoArticle(
        outlet=entry["outlet"],
        slug=entry["slug"],
        section=entry["section"],
        title=entry["title"],
        author=entry["author"],
        description=entry["description"],
        paragraphs=entry["paragraphs"],
        published=published,
        on_topic=entry["on_topic"],
        syndicated_from=entry.get("syndicated_from"),
    )


def _routes(env: Environment, outlet: dict[str, Any], site: DemoSite, now: datetime) -> dict[str, Route]:
    base = site.server.base_url
    ui = UI.get(outlet["language"], UI["en"])
    articles = site.articles
    common = {
        "outlet": outlet,
        "ui": ui,
        "year": now.year,
        "base_url": base,
        "hot": articles[:4],
        "recent": articles[4:8],
    }
    routes: dict[str, Route] = {
        "/robots.txt": Route(
            f"User-agent: *\nDisallow: /subscribe\nSitemap: {base}/sitemap_index.xml\n".encode(),
            content_type="text/plain",
        ),
        "/": _html(
            env.get_template("listing.html").render(
                **common, heading=ui["latest"], articles=articles[:6], next=None, previous=None
            )
        ),
    }
    for index, article in enumerate(articles):
        related = [other for other in articles if other is not article][index % 3 : index % 3 + 3]
        routes[article.path] = _html(
            env.get_template("article.html").render(**common, article=article, related=related)
        )
    if site.discovery == "feed":
        routes["/rss.xml"] = Route(_rss(outlet, base, articles).encode(), content_type="application/rss+xml")
    elif site.discovery == "atom":
        routes["/atom.xml"] = Route(_atom(outlet, base, articles, now).encode(), content_type="application/atom+xml")
    elif site.discovery == "sitemap":
        routes["/sitemap_index.xml"] = Route(_sitemap_index(base, now).encode(), content_type="application/xml")
        routes["/sitemap-news.xml"] = Route(
            _news_sitemap(outlet, base, articles).encode(), content_type="application/xml"
        )
    else:
        pages = [articles[i : i + LISTING_PAGE_SIZE] for i in range(0, len(articles), LISTING_PAGE_SIZE)]
        for number, page in enumerate(pages, start=1):
            path = "/seccion/economia/" + ("" if number == 1 else f"?pagina={number}")
            routes[path] = _html(
                env.get_template("listing.html").render(
                    **common,
                    heading=outlet["sections"][0],
                    articles=page,
                    next=f"/seccion/economia/?pagina={number + 1}" if number < len(pages) else None,
                    previous=None if number == 1 else "/seccion/economia/",
                )
            )
    return routes


def _html(text: str) -> Route:
    return Route(text.encode("utf-8"))


def _rss(outlet: dict[str, Any], base: str, articles: list[DemoArticle]) -> str:
    items = "".join(
        f"<item><title>{escape(a.title)}</title><link>{base}{a.path}?utm_source=rss&amp;utm_medium=feed</link>"
        f'<guid isPermaLink="false">{a.slug}</guid><pubDate>{format_datetime(a.published)}</pubDate>'
        f"<dc:creator>{escape(a.author)}</dc:creator><description>{escape(a.description)}</description></item>"
        for a in articles
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{escape(outlet['name'])}</title><link>{base}/</link>"
        f"<description>{escape(outlet['tagline'])}</description><language>{outlet['language']}</language>"
        f"{items}</channel></rss>"
    )


def _atom(outlet: dict[str, Any], base: str, articles: list[DemoArticle], now: datetime) -> str:
    entries = "".join(
        f'<entry><title>{escape(a.title)}</title><link rel="alternate" href="{base}{a.path}"/>'
        f"<id>{base}{a.path}</id><published>{a.published.isoformat()}</published>"
        f"<updated>{a.published.isoformat()}</updated><author><name>{escape(a.author)}</name></author>"
        f"<summary>{escape(a.description)}</summary></entry>"
        for a in articles
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        f'xml:lang="{outlet["language"]}"><title>{escape(outlet["name"])}</title>'
        f'<link href="{base}/"/><id>{base}/</id><updated>{now.isoformat()}</updated>{entries}</feed>'
    )


def _sitemap_index(base: str, now: datetime) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{base}/sitemap-news.xml</loc><lastmod>{now.isoformat()}</lastmod></sitemap>"
        "</sitemapindex>"
    )


def _news_sitemap(outlet: dict[str, Any], base: str, articles: list[DemoArticle]) -> str:
    urls = "".join(
        f"<url><loc>{base}{a.path}</loc><news:news><news:publication><news:name>{escape(outlet['name'])}"
        f"</news:name><news:language>{outlet['language']}</news:language></news:publication>"
        f"<news:publication_date>{a.published.isoformat()}</news:publication_date>"
        f"<news:title>{escape(a.title)}</news:title></news:news></url>"
        for a in articles
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>'
    )
