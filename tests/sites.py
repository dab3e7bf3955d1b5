"""Realistic news sites served from 127.0.0.1 for offline crawl tests.

Each builder returns a started `NewsSite`: a `SiteServer` plus the articles a correct crawl
must store and the boilerplate strings that must never reach the extracted text. All outlets,
people, quotes and stories are invented; dates are relative to `now`, so an age filter of
seven days keeps every current article and drops the old ones.
"""

from __future__ import annotations

import gzip
import html
import json
import random
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

from newsalert.crawler.demo.server import Route, SiteServer

EAT = timezone(timedelta(hours=3), "EAT")  # Kenyan local time, as the outlets declare it

ARTICLE_PATH_PATTERN = r"/\d{4}/\d{2}/[a-z0-9-]+\.html$"

_BOMB_BODY: bytes | None = None


@dataclass(frozen=True)
class ExpectedArticle:
    """A current article that a correct crawl stores exactly once."""

    path: str
    title: str
    author: str
    published: datetime
    marker: str
    language: str
    discovered_by: str  # "feed" | "news-sitemap" | "sitemap" | "listing"


@dataclass
class NewsSite:
    """A started outlet server and what a crawl of it should (and should not) produce."""

    server: SiteServer
    articles: list[ExpectedArticle]
    boilerplate: list[str]
    feed_url: str
    sitemap_url: str = ""
    listing_url: str = ""
    bad_paths: dict[str, str] = field(default_factory=dict)
    old_paths: list[str] = field(default_factory=list)
    robots_blocked_path: str = ""
    redirect_path: str = ""
    utm_url: str = ""
    fragment_url: str = ""  # a feed link to a current article with "#comments" appended

    def url(self, path: str) -> str:
        """Absolute URL of `path` on this site."""
        return self.server.url(path)


@dataclass(frozen=True)
class _Outlet:
    """The parts of an outlet's page template that repeat on every page."""

    name: str
    tagline: str
    sections: tuple[tuple[str, str], ...]  # (label, path) for the top navigation
    hot: tuple[str, ...]
    recent: tuple[str, ...]
    top: tuple[str, ...]
    related: tuple[str, ...]
    newsletter_heading: str
    newsletter_text: str
    cookie_text: str
    owner: str  # the company named in the footer copyright line
    feed_path: str

    def copyright(self, year: int) -> str:
        """The footer copyright line."""
        return f"Copyright © {year} {self.owner}. All rights reserved."


@dataclass(frozen=True)
class _Story:
    """The text of one article page."""

    slug: str
    title: str
    author: str
    section: str
    summary: str
    paragraphs: tuple[str, ...]
    marker: str
    language: str = "en"
    author_slug: str = ""  # defaults to the author's name, lower-cased and hyphenated


@dataclass(frozen=True)
class _FeedItem:
    """One RSS <item>."""

    title: str
    link: str
    published: datetime
    author: str
    description: str


FOOTER_LINKS = "About us | Contact | Advertise"
SHARE_LABELS = ("Share on X", "Share on Facebook", "Share on WhatsApp")

HERALD = _Outlet(
    name="The Harbour Herald",
    tagline="Mombasa's independent daily since 1998",
    sections=(
        ("Home", "/"),
        ("News", "/news/"),
        ("World", "/world/"),
        ("Business", "/business/"),
        ("Counties", "/counties/"),
        ("Sport", "/sport/"),
        ("Opinion", "/opinion/"),
        ("Lifestyle", "/lifestyle/"),
    ),
    hot=(
        "Tuskers Stun Gor Mahia in Late Coastal Derby Comeback",
        "Diani Beach Hotel Fire Forces Evacuation of 200 Guests",
        "Matatu Fare Hike Sparks Protest Along Moi Avenue",
        "Fort Jesus Museum Unveils Restored Portuguese Cannon",
        "Heavy Rains Flood Kongowea Market for Second Week",
    ),
    recent=(
        "Kisauni Youth Football League Crowns New Champions",
        "Bamburi Cement Plant Announces New Shift Pattern",
        "Old Town Heritage Walk Returns After Two-Year Break",
    ),
    top=(
        "Governor Pledges Faster Approvals for Beach Plots",
        "Coast Region Exam Centres Ready, Says Education Officer",
        "Mtwapa Creek Toll Plan Shelved After Public Outcry",
    ),
    related=(
        "Inside the Workshops That Keep Coastal Trains Running",
        "How Container Traffic Reshaped Port Reitz Road",
        "Five Things to Know About the Dongo Kundu Economic Zone",
    ),
    newsletter_heading="Daily News Alert — Enter your email below",
    newsletter_text="Get the morning's top coastal headlines delivered to your inbox before 7 a.m. every weekday.",
    cookie_text="We use cookies to improve your reading experience and to show you relevant advertising.",
    owner="Harbour Herald Media Group Ltd",
    feed_path="/rss.xml",
)

WIRE = _Outlet(
    name="Coast Daily Wire",
    tagline="News from Lamu to Vanga, every morning",
    sections=(
        ("Home", "/"),
        ("Coast", "/coast/"),
        ("Nation", "/nation/"),
        ("Business", "/business/"),
        ("Tourism", "/tourism/"),
        ("Sport", "/sport/"),
        ("Opinion", "/opinion/"),
        ("Video", "/video/"),
    ),
    hot=(
        "Watamu Turtle Hatchlings Return in Record Numbers",
        "Bofa Road Tarmac Works Stall Over Unpaid Contractors",
        "Lamu Dhow Race Postponed as Winds Drop",
        "Voi Traders Petition County Over Market Levies",
        "Kaloleni Dispensary Gets Its First Resident Doctor",
    ),
    recent=(
        "Taita Sisal Farmers Form Marketing Union",
        "Msambweni Referral Hospital Adds Dialysis Beds",
        "Gede Ruins Visitor Centre Reopens After Renovation",
    ),
    top=(
        "Senator Demands Audit of Coastal Land Titles",
        "Kilifi Cashew Prices Climb on Export Demand",
        "Mariakani Milk Cooler Plan Wins County Funding",
    ),
    related=(
        "Why Coastal Hotels Are Betting on Domestic Tourists",
        "The Long Road to Fixing Coast Bursary Funds",
        "What the New Mining Royalty Rules Mean for Kwale",
    ),
    newsletter_heading="Morning Wire Briefing — Enter your email below",
    newsletter_text="One short email with the coast's essential stories, every day at dawn.",
    cookie_text="This site uses cookies to remember your preferences and measure our audience.",
    owner="Coast Daily Wire Publications",
    feed_path="/feed.xml",
)

# --- The Harbour Herald: current articles -------------------------------------------------

RAIL_TRAINING = _Story(
    slug="kenya-china-rail-training",
    title="Kenyan Rail Technicians Begin Advanced Training With Chinese Engineers",
    author="Amina Wanjiru",
    section="World",
    summary="Forty-two technicians from Kenya Railways started a six-month course at the "
    "Port Reitz depot, taught jointly by Kenyan and Chinese instructors.",
    paragraphs=(
        "Forty-two technicians from Kenya Railways on Monday began a six-month advanced "
        "maintenance course at the Port Reitz locomotive depot, in a programme run jointly by "
        "Kenyan instructors and engineers seconded from a Chinese rolling-stock manufacturer. "
        "The course covers diesel traction systems, signalling diagnostics and the electronic "
        "braking units fitted to the passenger coaches that run between Mombasa and Nairobi.",
        "Officials at the opening ceremony described the programme as a practical example of "
        "South-South cooperation, in which two developing economies share skills rather than "
        "simply trading equipment. Grace Mutua, the depot's training coordinator, said the aim "
        "was to reduce the railway's dependence on foreign specialists within three years.",
        "“Every time a traction motor failed, we used to wait for a specialist to fly in,” "
        "Mutua told the Herald. “By the end of this course our own people will be able to "
        "strip, test and rebuild those motors here in Mombasa.”",
        "The trainees will spend mornings in classrooms and afternoons on the workshop floor, "
        "where a decommissioned locomotive has been cut open so that its cooling circuits can "
        "be traced by hand. Each participant must log at least two hundred supervised repair "
        "hours before receiving a certificate recognised by both national rail authorities.",
        "Liu Wenhao, one of the visiting engineers, said the exchange worked in both "
        "directions. His team had learned how Kenyan crews adapted maintenance schedules to "
        "the humid coastal climate, where salt air corrodes connectors far faster than on "
        "inland lines. Those notes, he said, would be shared with depots in other countries "
        "that operate the same fleet.",
        "The programme is funded through a bilateral skills agreement signed last year under "
        "the Belt and Road framework. A second intake, open to technicians from Uganda and "
        "Tanzania, is planned for the middle of next year, and the depot is already converting "
        "a storage hall into two additional classrooms.",
        "Union representatives welcomed the course but asked that graduates be given pay "
        "grades matching their new qualifications. Kenya Railways said a review of technical "
        "job grades was under way and would be completed before the first cohort finishes "
        "in May.",
    ),
    marker="Each participant must log at least two hundred supervised repair hours before "
    "receiving a certificate recognised by both national rail authorities.",
)

PORT_DWELL = _Story(
    slug="port-container-dwell-time",
    title="Mombasa Port Cuts Average Container Dwell Time to Under Four Days",
    author="Daniel Otieno",
    section="Business",
    summary="New scanning lanes and round-the-clock customs clearance have shortened the time "
    "import boxes spend at the port, the Kenya Ports Authority says.",
    paragraphs=(
        "Import containers are now leaving the Port of Mombasa in an average of three and a "
        "half days, down from nearly six days at the start of the year, according to figures "
        "released by the Kenya Ports Authority on Tuesday. The authority credited the "
        "improvement to four new drive-through scanning lanes and a decision to keep customs "
        "verification desks open through the night.",
        "Shipping agents said the change was visible on the ground. Queues of trucks that once "
        "stretched along the road to the Kipevu gate in the early morning have thinned, and "
        "yard space that had been packed three boxes high is beginning to open up.",
        "“Last year a client would call me on day five asking where his cargo was,” said "
        "Hussein Abdalla, who runs a clearing and forwarding firm near the Kilindini gate. "
        "“Now most of my files close on day three, sometimes day two if the paperwork is "
        "clean.”",
        "Port managers say the biggest single gain came from linking the scanners directly to "
        "the customs risk system. Containers flagged as low risk are now released "
        "automatically once the scan image has been reviewed, without a second physical "
        "inspection. High-risk boxes still go to the inspection bay, but officers there now "
        "handle fewer of them and clear them faster.",
        "Not everyone is satisfied. Transporters complain that the inland container depot at "
        "Nairobi has not kept pace, so cargo that moves quickly out of Mombasa can still sit "
        "for days at the other end of the railway. The Kenya Shippers Council has asked for "
        "the night-shift model to be copied at inland depots.",
        "The authority said it would publish dwell-time figures every month from January and "
        "set a target of three days by the end of next year. It also plans to extend the "
        "automatic release system to export boxes, which currently spend longer in the yard "
        "than imports because farm produce tends to arrive in large seasonal batches.",
    ),
    marker="Containers flagged as low risk are now released automatically once the scan image "
    "has been reviewed, without a second physical inspection.",
)

LIKONI_FERRY = _Story(
    slug="likoni-ferry-night-crossings",
    title="Likoni Ferry Adds Night Crossings After Commuter Complaints",
    author="Fatuma Said",
    section="News",
    summary="The Kenya Ferry Services will run two vessels between midnight and 4 a.m. from "
    "next week, responding to complaints from shift workers.",
    paragraphs=(
        "The Kenya Ferry Services will keep two vessels running across the Likoni channel "
        "between midnight and four in the morning from next Monday, ending a schedule under "
        "which a single ferry made the crossing roughly once an hour during the night.",
        "The change follows months of complaints from hotel staff, hospital workers and port "
        "labourers who finish late shifts on the island and live on the south coast. Many said "
        "they had waited more than ninety minutes at the Likoni landing, sometimes in heavy "
        "rain, for a crossing that takes less than ten.",
        "“When you finish at the hospital at midnight, you are not thinking about a timetable, "
        "you are thinking about your children,” said Mwanaisha Juma, a nurse who lives in "
        "Ukunda. “Standing at the jetty until two o'clock was wearing everybody down.”",
        "Ferry managers said the night service had been cut two years ago to allow engine "
        "overhauls, and that the fleet is now large enough to restore it. The MV Safari and "
        "the MV Harambee will alternate so that a vessel leaves each side of the channel every "
        "twenty minutes.",
        "Pedestrians will continue to cross free of charge, while vehicle fares will stay at "
        "daytime rates. The company said additional security officers and brighter lighting "
        "would be installed at both landings before the new schedule begins.",
        "Commuter groups welcomed the announcement but said the longer-term answer remained the "
        "planned floating pedestrian bridge, whose second phase has been delayed by funding "
        "disputes. County officials told the Herald that talks with the national government "
        "on that project would resume in January.",
        "Traffic police will also be deployed to manage the vehicle queue on the island side, "
        "where drivers have complained of touts selling places in the line.",
        "Until then, the ferry company has asked night travellers to use its new text message "
        "service, which sends the departure time of the next vessel to any phone that requests "
        "it. The service is free and works on basic handsets as well as smartphones.",
    ),
    marker="The MV Safari and the MV Harambee will alternate so that a vessel leaves each side "
    "of the channel every twenty minutes.",
)

WATER_TARIFF = _Story(
    slug="mombasa-water-tariff-freeze",
    title="Mombasa County Freezes Water Tariff Increase Until June",
    author="Joseph Kariuki",
    section="Counties",
    summary="County officials shelved a planned 18 per cent rise after residents in Kisauni "
    "and Changamwe protested against irregular supply.",
    paragraphs=(
        "Mombasa County has suspended a planned increase in domestic water tariffs until at "
        "least next June, after residents argued that they should not pay more for a service "
        "that reaches many homes only two or three days a week.",
        "The rise, approved by the water regulator in September, would have added about "
        "eighteen per cent to the average household bill. The county water company had said "
        "the extra revenue was needed to replace ageing pipes that lose almost half of the "
        "water pumped into the network before it reaches a tap.",
        "At public hearings in Kisauni and Changamwe last week, residents held up empty "
        "jerrycans and receipts from water vendors, who sell twenty-litre containers at several "
        "times the piped price. Several speakers said they were already paying twice: once for "
        "a connection that rarely runs and again for water delivered by handcart.",
        "County executive for water Halima Bakari said the freeze would be used to prove that "
        "supply can improve before prices rise. Her department will publish a weekly rationing "
        "timetable for every ward and will install meters on the main trunk lines so that "
        "leaks can be located within hours rather than weeks.",
        "The water company's managing director, Samuel Kiprono, warned that the delay would "
        "leave a funding gap of around two hundred million shillings. He said the company would "
        "seek a short-term loan rather than cut maintenance work, and that the tariff case "
        "would be reviewed in May.",
        "In Changamwe, the ward administrator said some estates had received no piped water for "
        "eleven days in October. Residents there have formed a committee to record supply days "
        "and will present their log to the county assembly's water committee next month.",
        "Consumer groups called the decision a victory but urged the county to move faster on "
        "the Mwache dam, which is expected to double the supply available to the coast when it "
        "is completed. Construction is currently about forty per cent complete, and the "
        "contractor has blamed late payments for a slower pace of work this year.",
    ),
    marker="Her department will publish a weekly rationing timetable for every ward and will "
    "install meters on the main trunk lines so that leaks can be located within hours "
    "rather than weeks.",
)

SOLAR_MINIGRIDS = _Story(
    slug="kilifi-solar-minigrids",
    title="Solar Mini-Grids Built With Chinese Partners Light Up Fourteen Kilifi Villages",
    author="Esther Nyambura",
    section="World",
    summary="A rural electrification project co-financed by Kenya and China has connected "
    "3,200 homes in Ganze and Magarini to solar power.",
    paragraphs=(
        "Fourteen villages in Ganze and Magarini sub-counties were connected to electricity "
        "for the first time this month, after solar mini-grids built by a Kenyan contractor "
        "with Chinese technical partners were switched on. About three thousand two hundred "
        "households and sixty small businesses now have power through prepaid meters.",
        "The project was co-financed by the Kenyan rural electrification agency and a Chinese "
        "development fund, and is presented by both governments as a model for South-South "
        "cooperation in clean energy. Panels and batteries were supplied from China, while "
        "installation, wiring and meter management were handled by Kenyan firms.",
        "In Bamba market, the change was immediate. Tailors who used to work only by daylight "
        "now run electric sewing machines into the evening, and a barber who previously paid "
        "for a diesel generator said his monthly costs had fallen by more than half.",
        "Each mini-grid is monitored remotely from a control room in Kilifi town, where "
        "technicians can see battery levels and faults on a single screen. Engineers say the "
        "system can detect a damaged cable within minutes and dispatch a repair team from the "
        "nearest village.",
        "Zhang Lei, who led the Chinese technical team, said the project had been designed so "
        "that local staff could run it without outside help. Twenty-six young people from the "
        "area have been trained as meter agents and line technicians, and four of them now "
        "supervise the sites.",
        "Critics have questioned whether prepaid tariffs are affordable for the poorest "
        "families, many of whom earn less than three hundred shillings a day. The operators say "
        "a lifeline rate covering lighting and phone charging has been set at twenty shillings "
        "a week.",
        "Health workers at the Jaribuni dispensary said the clinic could now store vaccines on "
        "site for the first time, instead of collecting them each morning from a facility forty "
        "kilometres away.",
        "A second phase, covering another twenty villages in Tana River County, is due to "
        "begin in March, once surveyors have agreed the routes of the distribution lines with "
        "local landowners.",
    ),
    marker="Engineers say the system can detect a damaged cable within minutes and dispatch a "
    "repair team from the nearest village.",
)

AGRI_COOPERATION_ZH = _Story(
    slug="china-kenya-agri-cooperation",
    title="中肯农业合作项目在蒙巴萨启动 助力沿海粮食安全",
    author="陈思远",
    section="中文",
    summary="中国与肯尼亚联合开展的农业技术合作项目在蒙巴萨启动，计划三年内为沿海地区培训两千名农民。",
    paragraphs=(
        "本月中旬，中国与肯尼亚联合开展的农业技术合作项目在蒙巴萨正式启动。该项目由两国农业部门"
        "共同出资，计划在三年内为肯尼亚沿海地区培训两千名农民，推广节水灌溉和耐旱作物种植技术。",
        "项目负责人表示，这是南南合作框架下的又一务实成果。与单纯提供设备不同，项目更注重技术转移"
        "和人才培养，中方专家将与肯尼亚农技人员一起深入田间，手把手传授种植经验。",
        "首批参加培训的农民来自夸勒、基利菲和拉穆三个郡。他们将在示范农场学习滴灌系统的安装与维护，"
        "并尝试种植适合当地气候的玉米和木薯新品种。",
        "基利菲郡农民穆瓦卡表示，过去几年干旱频发，家里的玉米产量不断下降。“如果能学会节水灌溉，"
        "我们就不用完全靠天吃饭了。”她说。",
        "肯尼亚农业官员指出，近年来中肯两国在“一带一路”倡议下的合作已从基础设施扩展到农业、卫生"
        "和教育等领域。蒙巴萨至内罗毕标轨铁路建成后，沿海农产品运往内陆市场的时间大大缩短，"
        "也为农民增收创造了条件。",
        "据介绍，项目还将在蒙巴萨建立一个农产品加工和冷链物流示范中心，帮助农民减少收获后的损失。"
        "双方计划明年将项目扩展到塔纳河郡，并邀请乌干达和坦桑尼亚的农业技术人员参加交流培训。",
        "分析人士认为，发展中国家之间分享适用技术和发展经验，是推动粮食安全和减贫的重要途径。"
        "这一项目的实施效果，将为南南合作在非洲农业领域的进一步深化提供有益参考。",
    ),
    marker="他们将在示范农场学习滴灌系统的安装与维护，并尝试种植适合当地气候的玉米和木薯新品种。",
    language="zh",
    author_slug="chen-siyuan",
)

NYALI_BRIDGE = _Story(
    slug="nyali-bridge-lane-closure",
    title="Nyali Bridge Repairs to Close One Lane for Six Weeks",
    author="Brian Ochieng",
    section="News",
    summary="Motorists crossing between Mombasa island and the north coast face delays as "
    "engineers replace worn expansion joints.",
    paragraphs=(
        "One lane of the Nyali Bridge will be closed for six weeks from Saturday while "
        "engineers replace expansion joints and resurface the deck, the Kenya National Highways "
        "Authority said on Wednesday. Traffic in both directions will share the remaining lanes "
        "under a contraflow system controlled by traffic police.",
        "The bridge carries most of the traffic between Mombasa island and the north coast, "
        "including buses to Mtwapa and Kilifi and trucks serving the hotels along Nyali and "
        "Bamburi beaches. Engineers said the joints, installed more than twenty years ago, had "
        "worn to the point where heavy vehicles were producing a loud bang as they crossed.",
        "Work will take place mainly at night, between nine in the evening and five in the "
        "morning, to limit disruption during peak hours. The authority said the full width of "
        "the bridge would be reopened each morning before the rush hour, except on the three "
        "weekends when the new deck surface is laid.",
        "Matatu operators warned that fares could rise if journeys took longer. “If a trip "
        "that used to take twenty minutes now takes an hour, the owners will want more money,” "
        "said Kassim Mohamed, an official of a Nyali route association. The highways authority "
        "urged operators not to raise fares for a temporary inconvenience.",
        "Motorists have been advised to use the Makupa causeway and the Dongo Kundu bypass "
        "where possible, and to allow extra time for trips to the airport. Schools on the north "
        "coast said they would adjust pick-up times for the closing weeks of term.",
        "Businesses near the Nyali end of the bridge, including a shopping centre and several "
        "petrol stations, said they expected fewer customers during the works. One restaurant "
        "owner said she would extend her opening hours so that customers stuck in evening "
        "traffic could stop for a meal instead.",
        "The repairs are part of a wider programme to inspect every major bridge in the coast "
        "region, launched after cracks were found on a smaller crossing in Kwale last year. "
        "Inspection reports for the Mtwapa and Kilifi bridges are expected before the end of "
        "the month.",
    ),
    marker="The authority said the full width of the bridge would be reopened each morning "
    "before the rush hour, except on the three weekends when the new deck surface is "
    "laid.",
)

CORAL_SURVEY = _Story(
    slug="watamu-coral-reef-survey",
    title="Kenyan and Chinese Marine Scientists Map Coral Reef Health Off Watamu",
    author="Mercy Achieng",
    section="World",
    summary="A joint research cruise found signs of recovery on reefs damaged by the 2016 "
    "bleaching event, but warned of new stress from warmer seas.",
    paragraphs=(
        "Marine scientists from the Kenya Marine and Fisheries Research Institute and a "
        "Chinese oceanography institute have completed a three-week survey of the reefs off "
        "Watamu, producing the most detailed map yet of coral health along that stretch of "
        "the coast.",
        "Divers photographed more than four thousand square metres of reef, and an underwater "
        "drone recorded water temperature and acidity at depths of up to thirty metres. The "
        "data will be shared openly between the two institutes and with the Kenya Wildlife "
        "Service, which manages the Watamu marine park.",
        "The survey found that live coral cover has recovered to roughly a third of the reef "
        "area, up from about one fifth after the severe bleaching event of 2016. Branching "
        "corals close to the park boundary showed the strongest regrowth, which researchers "
        "attribute to the ban on fishing inside the protected zone.",
        "But the scientists warned that sea temperatures in the area have risen in each of the "
        "past five years. Dr Nuru Hassan, who led the Kenyan team, said another strong marine "
        "heatwave could undo a decade of recovery in a single season.",
        "The collaboration is one of several marine projects launched under a science and "
        "technology agreement between Kenya and China, which both countries describe as "
        "South-South cooperation. Chinese researchers brought the drone and laboratory "
        "equipment, while Kenyan scientists contributed long-term monitoring records stretching "
        "back to the 1990s.",
        "“Our colleagues have twenty-five years of observations from this reef,” said Wang "
        "Fang, a coral ecologist on the Chinese team. “No instrument can replace that kind of "
        "memory.”",
        "Local dive operators have welcomed the findings, which they say confirm what visitors "
        "have noticed on recent trips. Several operators have offered boats and guides for "
        "future surveys at no charge, arguing that healthy reefs are the foundation of the "
        "tourism economy in Watamu.",
        "The institutes plan to repeat the survey every two years and to train local dive "
        "operators to collect simple monitoring data between expeditions.",
    ),
    marker="Branching corals close to the park boundary showed the strongest regrowth, which "
    "researchers attribute to the ban on fishing inside the protected zone.",
)

SHIMONI_COLD_ROOMS = _Story(
    slug="shimoni-fish-cold-storage",
    title="Shimoni Fishermen Receive Solar Cold Rooms Under Cooperative Scheme",
    author="Salim Mwamba",
    section="Counties",
    summary="Two solar-powered cold rooms will let the Shimoni fishing cooperative store "
    "catches for up to a week and sell in Mombasa at better prices.",
    paragraphs=(
        "Fishermen in Shimoni, on the south coast near the Tanzanian border, have taken "
        "delivery of two solar-powered cold rooms that will allow them to store their catch "
        "for up to a week instead of selling it on the beach within hours of landing.",
        "The units were bought by the Shimoni Fishermen's Cooperative with a grant from Kwale "
        "County and a loan from a regional development bank. Each room can hold about three "
        "tonnes of fish and runs entirely on rooftop panels, with a battery bank for the night.",
        "Until now, most boats sold their catch directly to traders waiting at the landing "
        "site, who set prices knowing the fish would spoil by evening. Cooperative chairman "
        "Omar Rashid said members had often accepted half the Mombasa market price because "
        "they had no alternative.",
        "With the cold rooms, the cooperative plans to send a refrigerated van to Mombasa three "
        "times a week and sell directly to hotels and restaurants. Members will be paid within "
        "seven days through mobile money, and the cooperative will keep a small margin to cover "
        "maintenance of the rooms and the van.",
        "Women who dry and fry fish along the shore said they hoped to rent space in the rooms "
        "during the rainy season, when drying is difficult. The cooperative said it would set "
        "aside one shelf for small processors at a reduced fee.",
        "County fisheries officer Rehema Ali said similar units would be considered for Vanga "
        "and Gazi if the Shimoni scheme shows results within a year. She warned, however, that "
        "cold storage alone would not solve the problem of declining catches, which fishermen "
        "blame on foreign trawlers and damaged breeding grounds.",
        "The county has also promised to repair the access road to the landing site, which "
        "becomes impassable for vehicles during heavy rain and has in the past forced traders to "
        "carry fish boxes on their heads.",
        "The cooperative will hold a training session next week on hygiene and record-keeping "
        "before the first van leaves for Mombasa.",
    ),
    marker="Members will be paid within seven days through mobile money, and the cooperative "
    "will keep a small margin to cover maintenance of the rooms and the van.",
)

ENGINEERING_EXCHANGE = _Story(
    slug="tum-engineering-exchange",
    title="Technical University of Mombasa Launches Engineering Exchange With Chinese Universities",
    author="Lydia Chebet",
    section="World",
    summary="Students in marine and electrical engineering will be able to spend a semester "
    "in China under a new agreement signed on Thursday.",
    paragraphs=(
        "The Technical University of Mombasa signed an exchange agreement on Thursday with "
        "three Chinese universities that will allow students in marine, electrical and civil "
        "engineering to spend a semester studying in China, with Chinese students spending "
        "equivalent time at the Mombasa campus.",
        "Vice-chancellor Joyce Kamau said the agreement went beyond scholarships. Lecturers "
        "from both sides will design joint courses, supervise research projects together and "
        "share laboratory time, particularly in port engineering and renewable energy.",
        "Under the agreement, thirty Kenyan students will travel to China each year, and their "
        "tuition and accommodation will be covered by the host universities. In return, the "
        "Mombasa campus will receive visiting students for field courses on coastal "
        "engineering, using the port and the Dongo Kundu economic zone as case studies.",
        "The university will also expand its Mandarin language centre, which opened four years "
        "ago with a single classroom. Students selected for the exchange will take an intensive "
        "language course before departure, though most engineering teaching in the partner "
        "universities is offered in English for international students.",
        "Education officials described the deal as part of a broader shift in South-South "
        "cooperation from building infrastructure to building skills. Kenya has signed similar "
        "agreements with universities in India and Brazil over the past two years.",
        "Student leaders welcomed the opportunity but asked for transparency in how "
        "participants would be chosen. “We want to see the criteria published before "
        "applications open, so no one feels the places were given through connections,” said "
        "Brian Were, the student union president.",
        "Industry groups in Mombasa said they would offer internships to returning students. "
        "Shipping lines and engineering firms at the port have long complained that they "
        "struggle to find graduates with hands-on experience of modern cargo-handling equipment, "
        "and several have agreed to host exchange students during their vacations.",
        "Applications for the first cohort open in February, and the first group is expected "
        "to travel in September after completing the language course and a short orientation "
        "programme on campus.",
    ),
    marker="In return, the Mombasa campus will receive visiting students for field courses on "
    "coastal engineering, using the port and the Dongo Kundu economic zone as case "
    "studies.",
)

TRADE_FORUM = _Story(
    slug="south-south-trade-forum",
    title="South-South Trade Forum in Mombasa Draws Delegates From Thirty Countries",
    author="Caroline Atieno",
    section="Business",
    summary="Ministers and business leaders from Africa, Asia and Latin America met to discuss "
    "shipping links, tariffs and payment systems.",
    paragraphs=(
        "Delegates from more than thirty countries in Africa, Asia and Latin America gathered "
        "in Mombasa on Wednesday for a two-day trade forum focused on cutting the cost of doing "
        "business between developing economies.",
        "Opening the meeting, Kenya's trade minister said that trade among countries of the "
        "global South had grown faster than world trade for most of the past two decades, but "
        "that shipping costs, slow customs procedures and expensive currency conversions still "
        "held it back.",
        "A central proposal discussed on the first day was a regional payment platform that "
        "would let importers settle invoices in local currencies rather than converting "
        "through the US dollar. Supporters said the system could save small traders as much as "
        "four per cent on every transaction.",
        "Delegates from China, India and Brazil described their experience with development "
        "finance and technical cooperation, while African ministers pressed for more processing "
        "of raw materials on the continent rather than exporting them unfinished. Several "
        "speakers pointed to the African Continental Free Trade Area as a foundation for wider "
        "South-South agreements.",
        "Business owners attending the forum were more concerned with practical obstacles. A "
        "cashew exporter from Kilifi said it took longer to clear a container for Vietnam than "
        "for Europe because of inspection requirements at both ends. A spice trader from "
        "Zanzibar asked for direct shipping lines to South-East Asia.",
        "Organisers said the forum would produce a short list of recommendations for "
        "governments, including common digital customs documents and a shared register of "
        "certified exporters. The next meeting is scheduled to take place in Dhaka in the "
        "second half of next year.",
        "Security was tight around the conference venue in Nyali, and some roads near the hotel "
        "strip were closed to traffic for several hours as ministers arrived for the opening "
        "session.",
        "Hotels in Mombasa reported full occupancy for the week, and the county government said "
        "it hoped the city would become a regular venue for international trade meetings.",
    ),
    marker="Supporters said the system could save small traders as much as four per cent on every transaction.",
)

# --- The Harbour Herald: pages that exist but must not be stored --------------------------

OLD_BERTH_CLOSURE = _Story(
    slug="old-story",
    title="Kenya Ports Authority Announces Maintenance Closure at Berth Eleven",
    author="Ruth Njeri",
    section="Business",
    summary="Bulk grain vessels will move to neighbouring berths for three weeks while the quay wall is inspected.",
    paragraphs=(
        "The Kenya Ports Authority will close berth eleven at the Port of Mombasa for three "
        "weeks of scheduled maintenance, shifting bulk grain vessels to neighbouring berths "
        "while divers and engineers inspect the quay wall.",
        "The authority said the closure was part of an annual programme agreed with shipping "
        "lines at the start of the year, and that no delays were expected for container "
        "traffic. Grain importers were told to expect minor changes to discharge schedules.",
        "Engineers will use the closure to replace rubber fenders along the full length of the "
        "berth and repair sections of the crane rail damaged by heavy equipment. Divers will "
        "also survey the foundations of the quay for signs of erosion caused by strong currents "
        "during the monsoon season.",
        "Millers in Mombasa said they had increased their stocks in anticipation of the "
        "closure. “We have enough wheat in our silos for a month, so the bakeries will not feel "
        "it,” said a manager at one of the larger mills on the industrial estate.",
        "Port officials said the maintenance programme had reduced unplanned breakdowns by "
        "almost a third since it was introduced. Similar closures will be scheduled for the "
        "older conventional berths over the coming year, each announced at least six weeks in "
        "advance so that importers can plan their shipments.",
        "Shipping lines were broadly supportive. A representative of one grain carrier said "
        "predictable closures were far easier to manage than sudden breakdowns, which in the "
        "past had left vessels waiting for days while repairs were carried out at short notice.",
        "The authority has asked shipping agents to confirm vessel arrival times with its "
        "planning office so that berth allocations can be adjusted in good time. Agents who "
        "miss the deadline may see their vessels wait at anchor outside the harbour until a "
        "berth becomes free. The planning office will stay open around the clock while the "
        "closure lasts.",
    ),
    marker="Divers will also survey the foundations of the quay for signs of erosion caused by "
    "strong currents during the monsoon season.",
)

EMBARGOED_BUDGET = _Story(
    slug="embargoed-story",
    title="County Budget Statement Details Held Under Embargo",
    author="Abdi Noor",
    section="Counties",
    summary="Draft figures from the county budget statement, held until the finance executive speaks on Thursday.",
    paragraphs=(
        "This report is held under embargo until the county finance executive delivers the "
        "budget statement on Thursday morning. Editors must not publish any of the figures "
        "below before the embargo lifts.",
        "The draft statement seen by the Herald proposes total spending of just over forty "
        "billion shillings for the coming financial year, a modest increase on the current "
        "budget. Most of the increase would go to health, where the county plans to hire "
        "additional nurses for its sub-county hospitals.",
        "The draft allocates the largest single share of development spending to rebuilding "
        "market drainage, after repeated flooding damaged stalls and stock during the long "
        "rains. Smaller amounts are set aside for street lighting, early childhood classrooms "
        "and a revolving fund for small traders.",
        "Revenue projections assume that the county will collect more from parking fees and "
        "business permits through a new digital payment system. Officials expect the system to "
        "close loopholes that allowed some traders to avoid paying for years.",
        "Members of the county assembly's budget committee are expected to question the revenue "
        "targets, which have been missed in each of the past three years. Committee members "
        "have said privately that they will ask for a clear plan to clear pending bills owed to "
        "local suppliers before approving new projects.",
        "The draft also proposes a freeze on new vehicle purchases for county officials and a "
        "cut in foreign travel budgets, measures that the finance department describes as a "
        "signal of restraint at a time when many households are struggling with high prices.",
        "Ward representatives are expected to push for more money for bursaries and for the "
        "repair of feeder roads in the outlying wards, which they say have been neglected in "
        "favour of projects in the central business district.",
        "The final figures may change before Thursday, and the Herald will publish a full "
        "analysis once the statement has been read in the assembly.",
    ),
    marker="The draft allocates the largest single share of development spending to rebuilding "
    "market drainage, after repeated flooding damaged stalls and stock during the long "
    "rains.",
)

OLD_LAMU_SHIP = _Story(
    slug="lamu-port-largest-ship",
    title="Lamu Port Handles Its Largest Cargo Ship Yet",
    author="Ahmed Lali",
    section="Business",
    summary="A 300-metre container vessel called at Lamu on a trial rotation, the biggest "
    "ship to use the port since it opened.",
    paragraphs=(
        "A three-hundred-metre container vessel docked at Lamu port on Sunday, the largest ship "
        "to call there since the first berth opened. The vessel discharged about nine hundred "
        "containers bound for Ethiopia and South Sudan before sailing on to the Gulf.",
        "Port officials said the call was a trial for a regular rotation that a major shipping "
        "line is considering. If the trial is successful, the line would stop at Lamu every "
        "two weeks, giving the port the steady traffic it has struggled to attract.",
        "The port has three completed berths but has handled far fewer ships than planned, "
        "partly because the road and rail links to the interior are unfinished. Most cargo "
        "for landlocked neighbours still travels through Mombasa.",
        "Harbour master Fatma Shee said the deep channel allowed the vessel to berth at any "
        "tide, an advantage over older ports along the coast. Pilots practised the approach "
        "on a simulator for several weeks before the ship arrived.",
        "Local traders hope that more ships will bring jobs to Lamu, where unemployment among "
        "young people is high. Fishermen, however, have long complained that dredging for the "
        "port damaged mangroves and breeding grounds, and they want compensation promised "
        "years ago to be paid in full.",
        "Environmental groups said they would monitor the effect of larger ships on the Lamu "
        "archipelago, a world heritage site known for its old stone town and traditional dhow "
        "building. They have asked the port to publish data on water quality and on the volume "
        "of sediment moved by dredging each year.",
        "The Kenya Ports Authority said it would offer discounted tariffs for the first year of "
        "any regular service, and that the road link to Garissa would be completed before the "
        "end of next year, allowing trucks to reach the north of the country without passing "
        "through Nairobi.",
    ),
    marker="Pilots practised the approach on a simulator for several weeks before the ship arrived.",
)

OLD_MARATHON = _Story(
    slug="mombasa-marathon-route-changes",
    title="Mombasa Marathon Route Moved Inland to Avoid Road Works",
    author="Janet Kerubo",
    section="Sport",
    summary="Organisers have redrawn the course around Mombasa island because of repairs on the coastal road.",
    paragraphs=(
        "Organisers of the Mombasa marathon have moved the race away from the coastal road for "
        "this year's edition because of major repairs planned along the seafront. The new "
        "course starts and finishes at the Mombasa Sports Club and loops twice around the "
        "island.",
        "Race director Peter Mwakio said the change would make the course slightly hillier but "
        "no slower for elite runners. The route was measured twice by certified officials so "
        "that times would still count for national rankings.",
        "Runners will pass Fort Jesus, the old harbour and the Makadara grounds, and water "
        "stations will be set up every two and a half kilometres. Organisers have asked "
        "residents along the route to avoid parking on the roadside from the night before.",
        "The elite field includes several runners who have won major races in Europe and Asia, "
        "and organisers hope the new course will attract more spectators than the old seafront "
        "route, which passed long stretches with few houses.",
        "Recreational runners can choose between the full marathon, a half marathon and a ten "
        "kilometre fun run. Registration fees will be used to support athletics programmes in "
        "primary schools across the county.",
        "The race has grown steadily since its first edition, when fewer than five hundred "
        "runners took part. Last year more than six thousand people registered across the three "
        "distances, many of them travelling from Nairobi and neighbouring countries.",
        "Hotels near the start and finish area are offering discounted rates for registered "
        "runners, and the county health department will station ambulances and first aid tents "
        "at several points along the course.",
        "Police said roads on the island would be closed from five in the morning until early "
        "afternoon on race day, and that buses from the mainland would terminate at the Makupa "
        "roundabout. Motorists were advised to plan their journeys in advance.",
    ),
    marker="The route was measured twice by certified officials so that times would still count for national rankings.",
)

# --- Coast Daily Wire ------------------------------------------------------------------------

MALINDI_BOOKINGS = _Story(
    slug="malindi-festive-bookings",
    title="Malindi Hotels Report Strong Festive Season Bookings",
    author="Yusuf Barasa",
    section="Tourism",
    summary="Hoteliers say December occupancy is running ahead of last year, driven by "
    "domestic travellers and new direct flights.",
    paragraphs=(
        "Hotels in Malindi say bookings for the December holidays are running well ahead of "
        "last year, with several beachfront properties already reporting occupancy above "
        "eighty per cent for the week around Christmas.",
        "The local hoteliers' association credited two new direct flights from Nairobi and a "
        "surge in bookings by Kenyan families, who now make up the majority of guests at many "
        "smaller hotels. Foreign arrivals have also recovered, led by visitors from Italy and "
        "Germany.",
        "Hotel owner Lucy Kahindi said her staff had been asked to postpone leave until "
        "January. She has hired twelve seasonal workers, mostly young people from the town, to "
        "help in the kitchen and with housekeeping.",
        "Tour operators said excursions to the Malindi marine park and the Gede ruins were "
        "selling out days in advance. Boat owners who take visitors to see dolphins have "
        "added early morning trips to meet demand. Operators of a new glass-bottomed boat said "
        "they had doubled their daily departures and were training two additional guides.",
        "Not all businesses share the optimism. Curio traders on the beach front said visitors "
        "were spending less than before, preferring to eat and shop inside their hotels. They "
        "have asked the county to improve lighting and security on the seafront so that "
        "tourists feel safe walking in the evening.",
        "Airline officials said the new flights, which operate daily during the peak season, had "
        "been almost full since they were launched in October. They are considering a third "
        "daily service if demand holds through the Easter holidays next year, which would make "
        "Malindi easier to reach for weekend visitors.",
        "County tourism officials said they would host a cultural festival in the old town "
        "during the last week of December, with music, dhow sailing and food stalls run by "
        "local women's groups, to spread the benefits of the season more widely.",
    ),
    marker="Operators of a new glass-bottomed boat said they had doubled their daily departures "
    "and were training two additional guides.",
)

KWALE_BURSARIES = _Story(
    slug="kwale-mining-bursaries",
    title="Kwale Mining Community Fund Pays Out First Bursaries",
    author="Neema Wafula",
    section="Coast",
    summary="Four hundred secondary school students will have their fees paid from royalties "
    "earned by a mineral sands mine.",
    paragraphs=(
        "Four hundred secondary school students from villages near the Kwale mineral sands mine "
        "have received bursaries from a community fund financed by mining royalties, the "
        "first payments since the fund was set up under the new mining law.",
        "Under the law, a share of the royalties paid to the national government is passed on "
        "to the county and to the communities living closest to a mine. Residents had waited "
        "almost three years for the money to arrive, and several public meetings were held to "
        "agree how it should be spent.",
        "The fund's committee, which includes elders, women's representatives and youth "
        "leaders, decided that education should come first. Each bursary covers a full year of "
        "fees, and students were chosen according to need and exam results.",
        "Committee chair Mwanajuma Chiponda said every application had been read aloud at a "
        "public meeting so that residents could object if they believed a family was not "
        "deserving. Three applications were withdrawn after objections were raised by "
        "neighbours.",
        "Parents at the handover ceremony said the bursaries would allow children who had "
        "dropped out to return to school in January. One father said he had sold two goats "
        "last year to keep his daughter in form three and had nothing left to sell.",
        "The mining company said it had no role in choosing the beneficiaries but would publish "
        "the amount of royalties it pays each quarter so that residents can check the figures. "
        "Civil society groups in Kwale welcomed that promise, saying communities near other "
        "mines in the country have struggled to find out how much money is owed to them.",
        "The committee plans to use the next payment on a water project and a health "
        "dispensary. Mining company officials said royalty payments would continue for at "
        "least eight more years, the expected remaining life of the mine.",
    ),
    marker="Committee chair Mwanajuma Chiponda said every application had been read aloud at a "
    "public meeting so that residents could object if they believed a family was not "
    "deserving.",
)


# --- Page templates ------------------------------------------------------------------------


def _esc(text: str) -> str:
    """HTML-escape text for an element or a double-quoted attribute."""
    return html.escape(text, quote=True)


def _shortlink(headline: str) -> str:
    """A WordPress-style shortlink for a sidebar headline (never an article-pattern URL)."""
    return f"/?p={sum(map(ord, headline)) * 7}"


def _headline_list(headlines: tuple[str, ...], *, ordered: bool = False) -> str:
    """<li> links for sidebar and related-story lists."""
    tag = "ol" if ordered else "ul"
    items = "\n".join(f'      <li><a href="{_shortlink(h)}">{_esc(h)}</a></li>' for h in headlines)
    return f"<{tag}>\n{items}\n    </{tag}>"


def _head_common(outlet: _Outlet) -> str:
    """The <head> lines every page of an outlet shares."""
    return (
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta property="og:site_name" content="{_esc(outlet.name)}">\n'
        f'<link rel="alternate" type="application/rss+xml" title="{_esc(outlet.name)}" '
        f'href="{outlet.feed_path}">\n'
        '<link rel="stylesheet" href="/wp-content/themes/coastline/style.css?ver=4.2.1">\n'
        '<script async src="/wp-content/plugins/ads/loader.js"></script>'
    )


def _page_top(outlet: _Outlet) -> str:
    """Cookie notice, masthead and section navigation."""
    nav = "\n".join(
        f'      <li class="menu-item"><a href="{path}">{_esc(label)}</a></li>' for label, path in outlet.sections
    )
    return f"""<div id="cookie-notice" class="cookie-notice" role="dialog" aria-live="polite">
  <p class="cookie-notice__text">{_esc(outlet.cookie_text)}</p>
  <button type="button" class="cookie-accept">Accept all</button>
  <button type="button" class="cookie-settings">Manage preferences</button>
</div>
<header id="masthead" class="site-header">
  <div class="site-branding">
    <a class="site-title" href="/" rel="home">{_esc(outlet.name)}</a>
    <p class="site-description">{_esc(outlet.tagline)}</p>
  </div>
  <nav id="site-navigation" class="main-navigation" aria-label="Sections">
    <ul id="primary-menu" class="menu">
{nav}
    </ul>
  </nav>
</header>"""


def _sidebar(outlet: _Outlet) -> str:
    """The right-hand column: Hot, Recent and Top Stories widgets plus an advert slot."""
    return f"""<aside id="secondary" class="widget-area sidebar" role="complementary">
    <section class="widget widget-hot-stories">
      <h3 class="widget-title">Hot Stories</h3>
      {_headline_list(outlet.hot, ordered=True)}
    </section>
    <div class="ad-slot ad-300x250" data-slot="sidebar-1">Advertisement</div>
    <section class="widget widget-recent-posts">
      <h3 class="widget-title">Recent Stories</h3>
      {_headline_list(outlet.recent)}
    </section>
    <section class="widget widget-top-stories">
      <h3 class="widget-title">Top Stories</h3>
      {_headline_list(outlet.top)}
    </section>
  </aside>"""


def _newsletter_box(outlet: _Outlet) -> str:
    """The 'Daily News Alert' e-mail subscription box with its form."""
    return f"""<div class="newsletter-signup">
      <h3>{_esc(outlet.newsletter_heading)}</h3>
      <p>{_esc(outlet.newsletter_text)}</p>
      <form action="/subscribe" method="post" class="newsletter-form">
        <input type="email" name="email" placeholder="Your email address" required>
        <button type="submit">Subscribe</button>
      </form>
    </div>"""


def _footer(outlet: _Outlet, year: int) -> str:
    """Site footer with the copyright line and the About/Contact/Advertise links."""
    return f"""<footer id="colophon" class="site-footer">
  <div class="footer-links"><a href="/about">About us</a> | <a href="/contact">Contact</a> | \
<a href="/advertise">Advertise</a></div>
  <p class="copyright">{_esc(outlet.copyright(year))}</p>
</footer>"""


def _article_page(
    outlet: _Outlet, story: _Story, *, canonical: str, published: datetime, year: int, charset: str = "utf-8"
) -> str:
    """A full HTML5 article page: metadata, byline, body and all the outlet's boilerplate."""
    local = published.astimezone(EAT)
    iso = local.isoformat()
    if story.language == "zh":
        html_lang, byline = "zh-CN", "作者："
        shown_date = f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    else:
        html_lang, byline = "en", "By "
        shown_date = f"{local.day} {local:%B %Y, %H:%M} EAT"
    json_ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": story.title,
            "description": story.summary,
            "datePublished": iso,
            "dateModified": iso,
            "inLanguage": html_lang,
            "articleSection": story.section,
            "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
            "author": [{"@type": "Person", "name": story.author}],
            "publisher": {"@type": "Organization", "name": outlet.name},
        },
        ensure_ascii=False,
        indent=2,
    )
    charset_meta = (
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        if charset != "utf-8"
        else '<meta charset="utf-8">'
    )
    body = "\n".join(f"      <p>{_esc(p)}</p>" for p in story.paragraphs)
    share = " ".join(f'<a class="share-btn" href="#" rel="nofollow">{_esc(label)}</a>' for label in SHARE_LABELS)
    author_slug = story.author_slug or "-".join(story.author.lower().split())
    section_path = dict(outlet.sections).get(story.section, "/")
    return f"""<!DOCTYPE html>
<html lang="{html_lang}">
<head>
{charset_meta}
<title>{_esc(story.title)} | {_esc(outlet.name)}</title>
<meta name="description" content="{_esc(story.summary)}">
<meta name="author" content="{_esc(story.author)}">
<meta property="og:title" content="{_esc(story.title)}">
<meta property="og:type" content="article">
<meta property="og:url" content="{_esc(canonical)}">
<meta property="og:description" content="{_esc(story.summary)}">
<meta property="article:published_time" content="{iso}">
<meta property="article:section" content="{_esc(story.section)}">
<link rel="canonical" href="{_esc(canonical)}">
{_head_common(outlet)}
<script type="application/ld+json">
{json_ld}
</script>
</head>
<body class="post-template-default single single-post">
{_page_top(outlet)}
<div id="page" class="site-content container">
  <main id="primary" class="content-area">
    <article class="post type-post status-publish hentry">
      <header class="entry-header">
        <span class="cat-links"><a href="{section_path}" rel="category tag">\
{_esc(story.section)}</a></span>
        <h1 class="entry-title">{_esc(story.title)}</h1>
        <div class="entry-meta">
          <span class="byline">{byline}<a class="url fn n" rel="author" \
href="/author/{author_slug}/">{_esc(story.author)}</a></span>
          <time class="entry-date published" datetime="{iso}">{shown_date}</time>
        </div>
      </header>
      <div class="share-buttons">{share}</div>
      <div class="entry-content">
{body}
      </div>
      {_newsletter_box(outlet)}
      <footer class="entry-footer">
        <span class="tags-links">Tags: <a href="/tag/kenya" rel="tag">Kenya</a>, \
<a href="/tag/mombasa" rel="tag">Mombasa</a></span>
      </footer>
      <section class="related-posts">
        <h3>Related stories</h3>
        {_headline_list(outlet.related)}
      </section>
    </article>
  </main>
  {_sidebar(outlet)}
</div>
{_footer(outlet, year)}
</body>
</html>
"""


def _listing_page(
    outlet: _Outlet,
    *,
    heading: str,
    teasers: list[tuple[str, _Story]],
    canonical: str,
    page: int,
    next_path: str | None,
    year: int,
) -> str:
    """A section front with article teasers, non-article links and rel=next pagination."""
    cards = "\n".join(
        f"""    <article class="teaser">
      <h2 class="teaser-title"><a href="{_esc(path)}">{_esc(story.title)}</a></h2>
      <p class="teaser-excerpt">{_esc(story.summary)}</p>
      <span class="teaser-byline">By {_esc(story.author)}</span>
    </article>"""
        for path, story in teasers
    )
    prev = (
        f'<a rel="prev" href="/world/{"" if page == 2 else f"?page={page - 1}"}">&laquo; Previous</a>'
        if page > 1
        else ""
    )
    nxt = f'<a rel="next" href="{_esc(next_path)}">Next &raquo;</a>' if next_path else ""
    title = heading if page == 1 else f"{heading} – Page {page}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{_esc(title)} | {_esc(outlet.name)}</title>
<meta name="description" content="The latest {_esc(heading.lower())} news from \
{_esc(outlet.name)}.">
<link rel="canonical" href="{_esc(canonical)}">
{_head_common(outlet)}
</head>
<body class="archive category">
{_page_top(outlet)}
<div id="page" class="site-content container">
  <main id="primary" class="content-area">
    <header class="page-header"><h1 class="page-title">{_esc(heading)}</h1>
      <p class="topic-links">Topics: <a href="/tag/kenya">Kenya</a> · \
<a href="/tag/china">China</a> · <a href="/world/">All world news</a></p>
    </header>
{cards}
    <nav class="pagination">{prev} <span class="current">Page {page}</span> {nxt}</nav>
    {_newsletter_box(outlet)}
  </main>
  {_sidebar(outlet)}
</div>
{_footer(outlet, year)}
</body>
</html>
"""


def _boilerplate(outlet: _Outlet, year: int) -> list[str]:
    """Strings on every article page of `outlet` that lie outside the article body."""
    return [
        *outlet.hot,
        *outlet.recent,
        *outlet.top,
        *outlet.related,
        outlet.newsletter_heading,
        outlet.newsletter_text,
        outlet.cookie_text,
        outlet.copyright(year),
        FOOTER_LINKS,
        "Share on X",
        "Share on Facebook",
    ]


# --- Feeds and sitemaps ----------------------------------------------------------------------


def _rss(outlet: _Outlet, *, site_url: str, feed_url: str, items: list[_FeedItem], built: datetime) -> bytes:
    """An RSS 2.0 feed with dc:creator authors and RFC 822 dates in local time."""
    entries = "\n".join(
        f"""    <item>
      <title>{_esc(item.title)}</title>
      <link>{_esc(item.link)}</link>
      <guid isPermaLink="false">{_esc(site_url)}/?p={1000 + n}</guid>
      <pubDate>{format_datetime(item.published.astimezone(EAT))}</pubDate>
      <dc:creator><![CDATA[{item.author}]]></dc:creator>
      <description>{_esc(item.description)}</description>
    </item>"""
        for n, item in enumerate(items)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" \
xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>{_esc(outlet.name)}</title>
    <link>{_esc(site_url)}/</link>
    <atom:link href="{_esc(feed_url)}" rel="self" type="application/rss+xml"/>
    <description>{_esc(outlet.tagline)}</description>
    <language>en-KE</language>
    <lastBuildDate>{format_datetime(built.astimezone(EAT))}</lastBuildDate>
{entries}
  </channel>
</rss>
""".encode()


def _news_sitemap(publication: str, entries: list[tuple[str, str, datetime, str]]) -> bytes:
    """A Google News sitemap from (loc, title, published, language) tuples."""
    urls = "\n".join(
        f"""  <url>
    <loc>{_esc(loc)}</loc>
    <news:news>
      <news:publication>
        <news:name>{_esc(publication)}</news:name>
        <news:language>{lang}</news:language>
      </news:publication>
      <news:publication_date>{published.astimezone(EAT).isoformat()}</news:publication_date>
      <news:title>{_esc(title)}</news:title>
    </news:news>
  </url>"""
        for loc, title, published, lang in entries
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" \
xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
{urls}
</urlset>
""".encode()


def _urlset(entries: list[tuple[str, datetime]]) -> bytes:
    """A plain <urlset> sitemap from (loc, lastmod) pairs."""
    urls = "\n".join(
        f"""  <url>
    <loc>{_esc(loc)}</loc>
    <lastmod>{lastmod.astimezone(EAT).isoformat()}</lastmod>
    <changefreq>monthly</changefreq>
  </url>"""
        for loc, lastmod in entries
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{urls}
</urlset>
""".encode()


def _sitemap_index(locs: list[str], lastmod: datetime) -> bytes:
    """A <sitemapindex> pointing at child sitemaps."""
    maps = "\n".join(
        f"""  <sitemap>
    <loc>{_esc(loc)}</loc>
    <lastmod>{lastmod.astimezone(EAT).isoformat()}</lastmod>
  </sitemap>"""
        for loc in locs
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{maps}
</sitemapindex>
""".encode()


def _bomb_body() -> bytes:
    """~60 KB of gzip that inflates to 60 MB of <p> tags, built once and cached."""
    global _BOMB_BODY
    if _BOMB_BODY is None:
        _BOMB_BODY = gzip.compress(b"<p>" * 20_000_000, 9)
    return _BOMB_BODY


def _html_route(page: str) -> Route:
    """A UTF-8 HTML response."""
    return Route(page.encode("utf-8"))


def _start_now(now: datetime | None) -> datetime:
    """`now` as an aware UTC datetime in whole seconds, defaulting to the current time."""
    now = datetime.now(UTC) if now is None else now
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    return now.replace(microsecond=0)


def _ago(now: datetime, hours: int, minutes: int = 0) -> datetime:
    """A publication time `hours:minutes` before `now`, whole minutes, in UTC."""
    return (now - timedelta(hours=hours, minutes=minutes)).replace(second=0, microsecond=0)


# --- Builders --------------------------------------------------------------------------------


def build_harbour_herald(now: datetime | None = None) -> NewsSite:
    """Start "The Harbour Herald": feed, sitemaps, paginated listing and every trap page.

    Discovery paths: 3 articles via /rss.xml, 3 via /sitemap-news.xml (one of them a GBK
    Chinese page), 1 via the gzipped archive sitemap and 4 via /world/ and its pages 2-3.
    The feed also carries an over-age item, a robots-blocked item, a utm-tracked duplicate,
    a "#comments" link and five bad pages; the news sitemap also lists /go/<slug>, a 301 to a
    feed article, so the redirect and the clean URL must end up as one stored article.
    """
    now = _start_now(now)
    server = SiteServer()
    url = server.url
    ym = f"/{now:%Y}/{now:%m}"
    year = now.year
    routes = server.routes

    def current(story: _Story) -> str:
        return f"{ym}/{story.slug}.html"

    articles: list[ExpectedArticle] = []

    def publish(story: _Story, published: datetime, discovered_by: str) -> str:
        path = current(story)
        charset = "gbk" if story.language == "zh" else "utf-8"
        page = _article_page(HERALD, story, canonical=url(path), published=published, year=year, charset=charset)
        if story.language == "zh":
            # GBK bytes and no charset in the Content-Type: only the <meta> tells the encoding.
            routes[path] = Route(page.encode("gbk", errors="xmlcharrefreplace"), content_type="text/html")
        else:
            routes[path] = _html_route(page)
        articles.append(
            ExpectedArticle(
                path=path,
                title=story.title,
                author=story.author,
                published=published,
                marker=story.marker,
                language=story.language,
                discovered_by=discovered_by,
            )
        )
        return path

    def archived(path: str, story: _Story, published: datetime) -> None:
        routes[path] = _html_route(_article_page(HERALD, story, canonical=url(path), published=published, year=year))

    # Current articles, newest first within each discovery path.
    feed_stories = [
        (RAIL_TRAINING, _ago(now, 3, 10)),
        (PORT_DWELL, _ago(now, 7, 45)),
        (LIKONI_FERRY, _ago(now, 12, 20)),
    ]
    news_stories = [
        (WATER_TARIFF, _ago(now, 5, 5)),
        (SOLAR_MINIGRIDS, _ago(now, 16, 40)),
        (AGRI_COOPERATION_ZH, _ago(now, 22, 15)),
    ]
    sitemap_stories = [(NYALI_BRIDGE, _ago(now, 28, 30))]
    listing_stories = [
        (CORAL_SURVEY, _ago(now, 35, 50)),
        (SHIMONI_COLD_ROOMS, _ago(now, 41, 25)),
        (ENGINEERING_EXCHANGE, _ago(now, 49, 5)),
        (TRADE_FORUM, _ago(now, 58, 35)),
    ]
    for group, how in (
        (feed_stories, "feed"),
        (news_stories, "news-sitemap"),
        (sitemap_stories, "sitemap"),
        (listing_stories, "listing"),
    ):
        for story, published in group:
            publish(story, published, how)

    # Pages that exist but must never be stored.
    old_feed_path = "/2026/01/old-story.html"
    old_feed_date = _ago(now, 41 * 24, 30)
    archived(old_feed_path, OLD_BERTH_CLOSURE, old_feed_date)
    old_sitemap_date = _ago(now, 90 * 24)
    old_ym = f"/{old_sitemap_date:%Y}/{old_sitemap_date:%m}"
    old_sitemap_paths = [f"{old_ym}/{OLD_LAMU_SHIP.slug}.html", f"{old_ym}/{OLD_MARATHON.slug}.html"]
    archived(old_sitemap_paths[0], OLD_LAMU_SHIP, old_sitemap_date)
    archived(old_sitemap_paths[1], OLD_MARATHON, old_sitemap_date - timedelta(hours=5))
    blocked_path = f"/private/{EMBARGOED_BUDGET.slug}.html"
    archived(blocked_path, EMBARGOED_BUDGET, _ago(now, 1, 30))

    bad_paths = {
        name: f"{ym}/{slug}.html"
        for name, slug in (
            ("bomb", "bomb"),
            ("empty", "empty"),
            ("junk", "junk"),
            ("error500", "broken"),
            ("notfound", "missing"),
        )
    }
    routes[bad_paths["bomb"]] = Route(_bomb_body(), content_type="text/html", headers={"Content-Encoding": "gzip"})
    routes[bad_paths["empty"]] = Route(b"")
    routes[bad_paths["junk"]] = Route(random.Random(7).randbytes(20_000), content_type="application/octet-stream")
    routes[bad_paths["error500"]] = Route(
        b"<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head>"
        b"<body><h1>Internal Server Error</h1><p>The server encountered an unexpected "
        b"condition.</p></body></html>",
        status=500,
    )
    # bad_paths["notfound"] deliberately has no route: the server answers 404.

    rail_path = current(RAIL_TRAINING)
    redirect_path = f"/go/{RAIL_TRAINING.slug}"
    routes[redirect_path] = Route.redirect(url(rail_path), 301)

    # RSS feed: the 3 feed articles (the ferry one linked with "#comments"), then the traps.
    utm_url = url(current(PORT_DWELL)) + "?utm_source=rss&utm_medium=feed"
    fragment_url = url(current(LIKONI_FERRY)) + "#comments"
    feed_items = [
        _FeedItem(RAIL_TRAINING.title, url(rail_path), feed_stories[0][1], RAIL_TRAINING.author, RAIL_TRAINING.summary),
        _FeedItem(
            PORT_DWELL.title, url(current(PORT_DWELL)), feed_stories[1][1], PORT_DWELL.author, PORT_DWELL.summary
        ),
        _FeedItem(LIKONI_FERRY.title, fragment_url, feed_stories[2][1], LIKONI_FERRY.author, LIKONI_FERRY.summary),
        _FeedItem(f"Trending: {PORT_DWELL.title}", utm_url, _ago(now, 2, 0), PORT_DWELL.author, PORT_DWELL.summary),
        _FeedItem(
            EMBARGOED_BUDGET.title,
            url(blocked_path),
            _ago(now, 1, 30),
            EMBARGOED_BUDGET.author,
            EMBARGOED_BUDGET.summary,
        ),
        _FeedItem(
            OLD_BERTH_CLOSURE.title,
            url(old_feed_path),
            old_feed_date,
            OLD_BERTH_CLOSURE.author,
            OLD_BERTH_CLOSURE.summary,
        ),
        _FeedItem(
            "Live: County Assembly Debates Finance Bill",
            url(bad_paths["bomb"]),
            _ago(now, 0, 50),
            "Web Desk",
            "Follow the debate as it happens.",
        ),
        _FeedItem(
            "Photos: Mombasa Carnival Floats Take Shape",
            url(bad_paths["empty"]),
            _ago(now, 1, 5),
            "Web Desk",
            "A gallery from the carnival workshops.",
        ),
        _FeedItem(
            "Download: Full Text of the Coast Tourism Report",
            url(bad_paths["junk"]),
            _ago(now, 2, 40),
            "Web Desk",
            "The report as published by the ministry.",
        ),
        _FeedItem(
            "Election Results Tracker",
            url(bad_paths["error500"]),
            _ago(now, 4, 15),
            "Data Desk",
            "Ward-by-ward results as they come in.",
        ),
        _FeedItem(
            "Opinion: What the Port Numbers Do Not Tell Us",
            url(bad_paths["notfound"]),
            _ago(now, 6, 0),
            "Opinion Desk",
            "A columnist reads between the lines.",
        ),
    ]
    feed_url = url("/rss.xml")
    routes["/rss.xml"] = Route(
        _rss(HERALD, site_url=server.base_url, feed_url=feed_url, items=feed_items, built=now),
        content_type="application/rss+xml; charset=utf-8",
    )

    # Sitemaps. The news sitemap's last <url> is the /go/ redirect to the rail story (a feed
    # article): the crawler must follow the 301 and store that story once, not twice.
    sitemap_url = url("/sitemap_index.xml")
    routes["/robots.txt"] = Route(
        f"User-agent: *\nDisallow: /private/\n\nSitemap: {sitemap_url}\n".encode(),
        content_type="text/plain; charset=utf-8",
    )
    routes["/sitemap_index.xml"] = Route(
        _sitemap_index([url("/sitemap-news.xml"), url("/sitemap-archive.xml.gz")], now),
        content_type="application/xml; charset=utf-8",
    )
    news_entries = [
        (url(current(story)), story.title, published, "zh-cn" if story.language == "zh" else "en")
        for story, published in news_stories
    ]
    news_entries.append((url(redirect_path), RAIL_TRAINING.title, feed_stories[0][1], "en"))
    routes["/sitemap-news.xml"] = Route(
        _news_sitemap(HERALD.name, news_entries), content_type="application/xml; charset=utf-8"
    )
    archive = [(url(current(story)), published) for story, published in sitemap_stories]
    archive += [(url(path), old_sitemap_date) for path in old_sitemap_paths]
    routes["/sitemap-archive.xml.gz"] = Route(
        gzip.compress(_urlset(archive), mtime=0), content_type="application/x-gzip"
    )

    # /world/ section front, three pages linked by rel=next.
    pages = [
        [(current(s), s) for s, _ in listing_stories[:2]],
        [(current(listing_stories[2][0]), listing_stories[2][0])],
        [(current(listing_stories[3][0]), listing_stories[3][0])],
    ]
    for number, teasers in enumerate(pages, start=1):
        path = "/world/" if number == 1 else f"/world/?page={number}"
        next_path = f"/world/?page={number + 1}" if number < len(pages) else None
        routes[path] = _html_route(
            _listing_page(
                HERALD,
                heading="World",
                teasers=teasers,
                canonical=url(path),
                page=number,
                next_path=next_path,
                year=year,
            )
        )

    return NewsSite(
        server=server.start(),
        articles=articles,
        boilerplate=_boilerplate(HERALD, year),
        feed_url=feed_url,
        sitemap_url=sitemap_url,
        listing_url=url("/world/"),
        bad_paths=bad_paths,
        old_paths=[old_feed_path, *old_sitemap_paths],
        robots_blocked_path=blocked_path,
        redirect_path=redirect_path,
        utm_url=utm_url,
        fragment_url=fragment_url,
    )


def build_second_outlet(now: datetime | None = None) -> NewsSite:
    """Start "Coast Daily Wire": two current articles in /feed.xml and no robots.txt."""
    now = _start_now(now)
    server = SiteServer()
    url = server.url
    ym = f"/{now:%Y}/{now:%m}"
    articles: list[ExpectedArticle] = []
    items: list[_FeedItem] = []
    for story, published in ((MALINDI_BOOKINGS, _ago(now, 4, 20)), (KWALE_BURSARIES, _ago(now, 26, 55))):
        path = f"{ym}/{story.slug}.html"
        server.routes[path] = _html_route(
            _article_page(WIRE, story, canonical=url(path), published=published, year=now.year)
        )
        articles.append(
            ExpectedArticle(
                path=path,
                title=story.title,
                author=story.author,
                published=published,
                marker=story.marker,
                language="en",
                discovered_by="feed",
            )
        )
        items.append(_FeedItem(story.title, url(path), published, story.author, story.summary))
    feed_url = url("/feed.xml")
    server.routes["/feed.xml"] = Route(
        _rss(WIRE, site_url=server.base_url, feed_url=feed_url, items=items, built=now),
        content_type="application/rss+xml; charset=utf-8",
    )
    return NewsSite(
        server=server.start(), articles=articles, boilerplate=_boilerplate(WIRE, now.year), feed_url=feed_url
    )


def build_unreachable_url() -> str:
    """An http://127.0.0.1:<port>/ URL on which nothing listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
