"""One test per cause of the relevance rules, each in the five languages it applies to.

Every article here was written for its test: it isolates one cause (a homograph from another
language, a Chinese term inside a longer word, a country and its own region, a list of
partners, a Northern donor, triangular cooperation, Southern development finance, a flagship
phrase in a domestic story, a short Chinese article, a Southern country's envoys, a marker
alone, plain loans, the topic's name in passing in an aid report, a Southern bloc's trade talks,
a language's name that is a demonym, firefighters and relief supplies, a pavilion at a trade
fair, a weekday that looks like a fair, Nigeria's South-South zone in each language).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from newsalert.config.loader import load_topics
from newsalert.domain import Contribution, Extracted, Relevance, Tokenized
from newsalert.pipelines.extract import extract_article
from newsalert.pipelines.matching import PhraseMatcher
from newsalert.pipelines.relevance import RelevanceModel
from newsalert.pipelines.tagging import place_salience

TOPICS = load_topics(Path(__file__).parents[1] / "config" / "topics.yaml")


@pytest.fixture(scope="module")
def model() -> RelevanceModel:
    return RelevanceModel(TOPICS)


def judge(model: RelevanceModel, language: str, article: tuple[str, str]) -> Relevance:
    return model.score(*article, language=language)


def partnership_rule(result: Relevance) -> Contribution:
    return next(c for c in result.contributions if c.rule == "partnership")


def partnership(result: Relevance) -> str:
    rule = partnership_rule(result)
    return f"{rule.weight:+g} {rule.label} [{rule.note}] partners={rule.partners} terms={rule.terms}"


def explain(result: Relevance) -> str:
    return f"score {result.score} via " + "; ".join(
        f"{c.weight:+g} {c.rule}: {c.label} ({c.note})" for c in result.contributions
    )


# --- a term from another language never fires ----------------------------------------------------

HOMOGRAPHS = {
    # French "don" (gift) and "aide" (aid), and "formation" (training), in English text.
    "en": (
        "Kenya and Uganda draw in Kampala as fans say they don't mind",
        "Kenya and Uganda shared a goalless draw in Kampala on Saturday. Supporters said they don't mind a "
        "point away from home. The coach's aide blamed the pitch, and the team's formation changed twice. "
        "Kenya host Uganda in the return leg in Nairobi next month; Uganda's fans don't expect an easy game.",
    ),
    # English "training", Spanish "socio" (partner, in "socio-économique") in French text.
    "fr": (
        "Sénégal-Mali : les Lions peaufinent leur préparation",
        "Les Lions du Sénégal ont enchaîné une séance de training à huis clos avant le derby face au Mali. "
        "Le sélectionneur a évoqué un contexte socio-économique difficile pour le football malien, mais "
        "refuse de sous-estimer les Aigles. Le Mali a battu le Sénégal lors de la dernière confrontation.",
    ),
    # French "don" and English "partner" in Spanish text, where "don" is a title of courtesy.
    "es": (
        "Perú vence a Bolivia y don Julián Ramos celebra en Lima",
        "Perú derrotó a Bolivia por 2-0 en Lima. Don Julián Ramos, presidente del club, celebró en el palco "
        "junto a su partner comercial, un empresario boliviano. Bolivia no ganaba en Perú desde hace años y "
        "don Julián prometió un estadio lleno para el partido de vuelta en La Paz.",
    ),
    # Spanish "dona" and "socio" (as Portuguese "dona" and "sócio") in Portuguese text.
    "pt": (
        "Angola vence Moçambique e dona Francisca festeja em Luanda",
        "Angola venceu Moçambique por 3-1 em Luanda. Dona Francisca, sócia mais antiga do clube, festejou "
        "com os netos. O sócio-gerente do estádio disse que Moçambique jogou bem na primeira parte. Angola "
        "visita Moçambique em Maputo no próximo mês, e dona Francisca promete viajar.",
    ),
    # English "partner" and "training" in Chinese text.
    "zh": (
        "肯尼亚队与乌干达队战平",
        "周六，肯尼亚队在坎帕拉与乌干达队零比零战平。肯尼亚队赛前在Training Camp封闭集训，赞助商的Partner活动"
        "吸引了大批球迷。乌干达队主教练表示，下个月在内罗毕的次回合比赛将更加艰难。",
    ),
}


@pytest.mark.parametrize("language", HOMOGRAPHS)
def test_a_term_of_another_language_never_fires(model: RelevanceModel, language: str) -> None:
    result = judge(model, language, HOMOGRAPHS[language])
    assert not result.kept, explain(result)
    rule = partnership_rule(result)
    assert "cooperation term" in (rule.note or ""), partnership(result)


def test_each_language_matches_its_own_terms_and_the_language_independent_ones() -> None:
    matcher = PhraseMatcher(
        [("don", "gift", "fr"), ("BRICS", "brics", None), ("partner", "partner", "en")], uncovered="any"
    )
    assert [m.key for m in matcher.find(Tokenized.of("Un don de la Chine aux BRICS", "fr"))] == ["gift", "brics"]
    assert [m.key for m in matcher.find(Tokenized.of("They don't want a partner outside BRICS", "en"))] == [
        "partner",
        "brics",
    ]
    assert [m.key for m in matcher.find(Tokenized.of("Ein partner, kein don, die BRICS", "de"))] == ["brics"]


# --- a Chinese term never matches inside a longer word ------------------------------------------


def test_a_chinese_term_never_matches_inside_a_longer_word(model: RelevanceModel) -> None:
    cooperatives = (
        "肯尼亚茶农合作社代表团考察乌干达合作社",
        "肯尼亚基里尼亚加县的茶农合作社代表团本周前往乌干达，考察当地的咖啡合作社。合作社负责人说，两国"
        "合作社的管理方式差别很大。代表团还参加了乌干达合作社联合会举办的培训班，学习记账和仓储管理。",
    )
    result = judge(model, "zh", cooperatives)
    assert not result.kept, explain(result)
    terms = partnership_rule(result).terms
    assert "合作" not in terms and "培训" not in terms

    matcher = PhraseMatcher([("合作", "cooperation", "zh")])
    found = lambda text: [m.phrase for m in matcher.find(Tokenized.of(text, "zh"))]  # noqa: E731
    assert found("农民专业合作社召开大会") == []
    assert found("双方签署合作协议") == ["合作"]
    assert found("中非经贸合作不断深化") == ["合作"], "a compound of two words keeps its boundary"


# --- a country and its own region are one partner -----------------------------------------------

COUNTRY_AND_REGION = {
    "en": (
        "China hosts Asian youth training camp on cooperation and partnership",
        "China opened a training camp for Asian youth leaders in Hangzhou on Monday. Organisers said the "
        "camp promotes cooperation and partnership among young people across Asia. Participants will "
        "attend workshops on entrepreneurship and visit technology parks in China during the two weeks.",
    ),
    "fr": (
        "Oman accueille un forum sur la coopération au Moyen-Orient",
        "Oman a accueilli lundi à Mascate un forum sur la coopération et le partenariat au Moyen-Orient. "
        "Les participants ont plaidé pour davantage de formation des jeunes au Moyen-Orient. Oman souhaite "
        "devenir un centre de formation et d'échange pour toute la région, selon le ministre omanais.",
    ),
    "es": (
        "Brasil impulsa la cooperación en América Latina con un foro juvenil",
        "Brasil organizó en Brasilia un foro de cooperación y capacitación para jóvenes de América Latina. "
        "El gobierno brasileño busca fortalecer la cooperación y el intercambio en América Latina, dijo la "
        "organizadora. Brasil repetirá el encuentro el próximo año con más talleres de capacitación.",
    ),
    "pt": (
        "Angola promove cooperação em África com fórum de jovens",
        "Angola acolheu em Luanda um fórum de cooperação e formação de jovens de África. O governo angolano "
        "quer reforçar a parceria e o intercâmbio em África, disse a ministra da Juventude. Angola prevê "
        "repetir o fórum no próximo ano, com mais oficinas de formação.",
    ),
    "zh": (
        "中国举办亚洲青年合作培训营",
        "中国周一在杭州开办亚洲青年领袖培训营。主办方表示，培训营旨在促进亚洲各国青年之间的合作与交流。"
        "在为期两周的活动中，学员将参加创业讲座，并参观中国的科技园区。",
    ),
}


@pytest.mark.parametrize("language", COUNTRY_AND_REGION)
def test_a_country_and_its_own_region_are_one_partner(model: RelevanceModel, language: str) -> None:
    result = judge(model, language, COUNTRY_AND_REGION[language])
    assert not result.kept, explain(result)
    assert "too few Southern partners" in partnership(result), partnership(result)


# --- countries named in a list count ---------------------------------------------------------

PARTNER_LIST = {
    "en": (
        "Indian institute graduates its largest class of foreign technicians",
        "The National Institute of Rural Development in Hyderabad graduated 120 technicians on Friday "
        "after a six-month course in solar pump maintenance offered by the Indian government. The trainees "
        "came from Ghana, Zambia, Laos and Bolivia, among other countries, and will return home to train "
        "others. The course is part of India's technical cooperation programme, officials said.",
    ),
    "fr": (
        "Le Maroc forme des techniciens de l'eau venus de quatre pays",
        "L'Office national de l'eau du Maroc a remis vendredi leurs diplômes à 80 techniciens après une "
        "formation de quatre mois à Rabat sur la gestion des barrages. Les stagiaires venaient du Niger, du "
        "Tchad, de Madagascar et de Haïti. Cette coopération technique est financée par le Royaume, selon "
        "l'agence marocaine.",
    ),
    "es": (
        "Cuba gradúa a médicos de cuatro países en La Habana",
        "La Escuela Latinoamericana de Medicina graduó el viernes a 200 médicos en La Habana. Los becarios "
        "llegaron de Haití, Guatemala, Namibia y Timor Oriental, y regresarán a sus comunidades. Las becas "
        "forman parte de la cooperación médica que Cuba mantiene desde hace dos décadas.",
    ),
    "pt": (
        "Brasil forma técnicos agrícolas de quatro países em Brasília",
        "A Embrapa concluiu na sexta-feira um curso de três meses para 60 técnicos agrícolas em Brasília. Os "
        "participantes vieram de Angola, Cabo Verde, Timor-Leste e Paraguai. A capacitação faz parte da "
        "cooperação técnica brasileira e inclui bolsas de estudo para os melhores alunos.",
    ),
    "zh": (
        "援外培训班在京结业",
        "商务部主办的农业机械援外培训班周五在北京结业。来自加纳、赞比亚、老挝和玻利维亚的四十名学员参加了"
        "为期一个月的培训，学习农机维修技术。中方专家表示，培训是中国对外援助的重要组成部分。",
    ),
}


@pytest.mark.parametrize("language", PARTNER_LIST)
def test_countries_named_once_in_a_list_are_partners(model: RelevanceModel, language: str) -> None:
    result = judge(model, language, PARTNER_LIST[language])
    assert result.kept, explain(result)
    rule = partnership_rule(result)
    assert rule.weight > 0 and len(rule.partners) >= 3, partnership(result)


# --- a Northern donor giving to the South is not South-South ---------------------------------

NORTHERN_DONOR = {
    "en": (
        "Japan trains Kenyan and Tanzanian nurses in new aid programme",
        "Japan will train 300 nurses from Kenya and Tanzania under a new aid programme announced in Nairobi. "
        "Japan's aid agency JICA said the training would take place in Japanese hospitals and in Nairobi. "
        "Japan has supported health training in East Africa for decades, the ambassador said.",
    ),
    "fr": (
        "L'Union européenne finance la formation de jeunes au Sénégal et au Mali",
        "L'Union européenne a annoncé une aide de 40 millions d'euros pour la formation professionnelle de "
        "jeunes au Sénégal et au Mali. L'ambassadeur de l'Union européenne a présenté ce partenariat à Dakar. "
        "Les formations seront assurées par l'Agence française de développement et ses partenaires.",
    ),
    "es": (
        "España dona equipos médicos a Honduras y Guatemala",
        "El Gobierno de España donó equipos médicos por valor de cinco millones de euros a Honduras y "
        "Guatemala. La Agencia Española de Cooperación Internacional para el Desarrollo (AECID) dijo que la "
        "donación incluye capacitación para el personal sanitario. España es el principal socio de la región.",
    ),
    "pt": (
        "Alemanha apoia formação de professores em Moçambique e Angola",
        "A Alemanha vai financiar a formação de 2.000 professores em Moçambique e Angola, anunciou a "
        "embaixada alemã em Maputo. A cooperação alemã, através da GIZ, prevê também bolsas de estudo e "
        "assistência técnica. A Alemanha é um dos maiores parceiros de Moçambique.",
    ),
    "zh": (
        "日本向肯尼亚和坦桑尼亚提供护士培训援助",
        "日本宣布将为肯尼亚和坦桑尼亚培训三百名护士。日本国际协力机构表示，培训将在日本的医院和内罗毕进行。"
        "日本驻肯尼亚大使说，日本多年来一直援助东非的医疗培训。",
    ),
}


@pytest.mark.parametrize("language", NORTHERN_DONOR)
def test_a_northern_donor_giving_to_the_south_is_not_south_south(model: RelevanceModel, language: str) -> None:
    result = judge(model, language, NORTHERN_DONOR[language])
    assert not result.kept, explain(result)
    assert "North-South" in partnership(result), partnership(result)


# --- triangular cooperation is South-South ----------------------------------------------------

TRIANGULAR = {
    # A Southern provider's development agency named beside the Northern funder.
    "en": (
        "Japan-backed project sends Brazilian agronomists to train Mozambican farmers",
        "Japan will pay for a project in which Brazilian agronomists train 2,000 Mozambican farmers in soybean "
        "and maize growing. The Brazilian Cooperation Agency said its experts would work in Mozambique's "
        "Nacala corridor, where Brazil already runs a research station. Japan is paying for the equipment.",
    ),
    # The story says it is trilateral.
    "fr": (
        "Avec l'appui de l'Allemagne, le Maroc forme des agriculteurs du Bénin",
        "Des ingénieurs marocains formeront 500 agriculteurs du Bénin à l'irrigation au goutte-à-goutte, "
        "dans un projet trilatéral appuyé par l'Allemagne. Le Maroc enverra ses experts au Bénin pendant "
        "deux ans, et le Bénin accueillera un centre de démonstration. L'Allemagne financera le matériel.",
    ),
    "es": (
        "Con apoyo de España, Chile capacita a técnicos de El Salvador",
        "Chile capacitará a 150 técnicos de El Salvador en gestión de emergencias, en un proyecto apoyado "
        "por España. Los expertos de la Agencia Chilena de Cooperación Internacional para el Desarrollo "
        "trabajarán en El Salvador durante un año, y El Salvador enviará becarios a Santiago. España aporta "
        "la financiación del proyecto.",
    ),
    "pt": (
        "Com apoio do Japão, Brasil forma agricultores em Moçambique",
        "Agrónomos do Brasil vão formar 2.000 agricultores de Moçambique no cultivo de soja, num projeto "
        "trilateral apoiado pelo Japão. O Brasil enviará especialistas para o corredor de Nacala, em "
        "Moçambique, onde já mantém uma estação de pesquisa. O Japão financia os equipamentos.",
    ),
    "zh": (
        "日本出资 巴西专家赴莫桑比克培训农民",
        "巴西农业专家将在莫桑比克培训两千名农民种植大豆和玉米，这一三方合作项目由日本出资。巴西合作署表示，"
        "巴西专家将在莫桑比克北部的纳卡拉走廊工作。日本负责提供设备。",
    ),
}


@pytest.mark.parametrize("language", TRIANGULAR)
def test_triangular_cooperation_is_south_south(model: RelevanceModel, language: str) -> None:
    result = judge(model, language, TRIANGULAR[language])
    assert result.kept, explain(result)
    assert partnership_rule(result).weight > 0, partnership(result)


# --- loans and grants from a Southern lender ---------------------------------------------------

SOUTHERN_FINANCE = {
    "en": (
        "Saudi Fund for Development signs $60 million loan with Niger",
        "The Saudi Fund for Development signed a $60 million loan with Niger on Tuesday to build a water "
        "supply network in Zinder. The concessional loan will be repaid over 30 years. Niger's finance "
        "minister said the network would serve 400,000 people.",
    ),
    "fr": (
        "Le Fonds koweïtien accorde un prêt au Burkina Faso pour une route",
        "Le Fonds koweïtien pour le développement économique arabe a signé un prêt de 25 millions de dollars "
        "avec le Burkina Faso pour une route entre Dori et Gorom-Gorom. Ce prêt concessionnel sera remboursé "
        "sur 25 ans, selon le ministre burkinabè de l'Économie.",
    ),
    "es": (
        "CAF aprueba préstamo a Bolivia para agua potable",
        "El Banco de Desarrollo de América Latina y el Caribe aprobó un préstamo de 80 millones de dólares a "
        "Bolivia para ampliar el agua potable en El Alto. El préstamo tiene un plazo de 18 años, informó el "
        "ministro boliviano de Planificación.",
    ),
    "pt": (
        "Banco indiano concede linha de crédito a Moçambique",
        "O Banco de Exportação e Importação da Índia concedeu a Moçambique uma linha de crédito de 50 "
        "milhões de dólares para sistemas de rega em Gaza. O empréstimo será pago em 20 anos, disse o "
        "ministro moçambicano da Agricultura.",
    ),
    "zh": (
        "中国进出口银行向老挝提供优惠贷款建设电网",
        "中国进出口银行与老挝财政部签署协议，向老挝提供五亿元人民币优惠贷款，用于建设北部电网。老挝财政部长"
        "表示，贷款期限为二十年，将惠及北部六省。",
    ),
}

NORTHERN_LOAN = (
    "World Bank approves loan to Niger for water supply",
    "The World Bank approved a $60 million loan to Niger on Tuesday to build a water supply "
    "network in Zinder. The concessional loan will be repaid over 30 years. Niger's finance "
    "minister said the network would serve 400,000 people in Niger.",
)


@pytest.mark.parametrize("language", SOUTHERN_FINANCE)
def test_loans_from_a_southern_lender_are_cooperation(model: RelevanceModel, language: str) -> None:
    result = judge(model, language, SOUTHERN_FINANCE[language])
    assert result.kept, explain(result)
    assert partnership_rule(result).weight > 0, partnership(result)


def test_a_loan_from_a_multilateral_lender_is_not(model: RelevanceModel) -> None:
    result = judge(model, "en", NORTHERN_LOAN)
    assert not result.kept, explain(result)


# --- a flagship phrase needs a cross-border context -------------------------------------------

DOMESTIC_FLAGSHIP = {
    "en": (
        "Xinjiang logistics park adds cold storage",
        "A logistics park in Urumqi, described by local officials as a Belt and Road hub, opened a cold "
        "storage warehouse on Monday. The warehouse can hold 20,000 tonnes of fruit from farms in Xinjiang. "
        "The park's manager said it would cut losses for growers in Turpan and Hami.",
    ),
    "fr": (
        "Le Xinjiang inaugure un entrepôt frigorifique",
        "Un parc logistique d'Urumqi, présenté comme un pôle de la Ceinture et la Route, a ouvert lundi un "
        "entrepôt frigorifique. Il peut stocker 20 000 tonnes de fruits des fermes du Xinjiang, selon son "
        "directeur, qui espère réduire les pertes des producteurs de Turpan.",
    ),
    "es": (
        "Xinjiang abre un almacén frigorífico",
        "Un parque logístico de Urumqi, presentado como un nodo de la Franja y la Ruta, abrió el lunes un "
        "almacén frigorífico con capacidad para 20.000 toneladas de fruta de las granjas de Xinjiang. Su "
        "director dijo que reducirá las pérdidas de los productores de Turpan.",
    ),
    "pt": (
        "Xinjiang inaugura armazém frigorífico",
        "Um parque logístico de Urumqi, apresentado como um polo do Cinturão e Rota, inaugurou na "
        "segunda-feira um armazém frigorífico para 20 mil toneladas de fruta das quintas de Xinjiang. O "
        "diretor disse que vai reduzir as perdas dos produtores de Turpan.",
    ),
    "zh": (
        "乌鲁木齐物流园冷库投用",
        "被当地官员称为一带一路物流枢纽的乌鲁木齐某物流园周一启用新冷库，可储存两万吨新疆水果。园区负责人"
        "说，冷库将减少吐鲁番和哈密果农的损失。",
    ),
}


@pytest.mark.parametrize("language", DOMESTIC_FLAGSHIP)
def test_a_flagship_phrase_alone_in_a_domestic_story_is_not_enough(model: RelevanceModel, language: str) -> None:
    title, text = DOMESTIC_FLAGSHIP[language]
    result = judge(model, language, (title, text))
    assert not result.kept, explain(result)
    flagship = [c for c in result.contributions if c.rule == "cross-border phrase"]
    assert flagship and all(c.weight == 0 for c in flagship), explain(result)
    # The same phrase with a partner abroad counts.
    abroad = {
        "en": " The first train to Kazakhstan leaves next week.",
        "fr": " Le premier train vers le Kazakhstan part la semaine prochaine.",
        "es": " El primer tren a Kazajistán sale la próxima semana.",
        "pt": " O primeiro comboio para o Cazaquistão parte na próxima semana.",
        "zh": "首趟开往哈萨克斯坦的班列下周发车。",
    }[language]
    crossing = judge(model, language, (title, text + abroad))
    assert any(c.rule == "cross-border phrase" and c.weight > 0 for c in crossing.contributions), explain(crossing)


# --- a short Chinese article is an article ------------------------------------------------------

SHORT_CHINESE = (
    "中国援建的卢旺达职业学校举行首届毕业典礼。来自卢旺达各地的一百二十名学员完成了为"
    "期两年的电工、焊接和汽车维修课程，其中八十人已与当地企业签订就业合同。学校由中国"
    "援建，中方派出十二名教师任教，并为学校提供了全套实训设备。卢旺达教育部长在典礼上"
    "表示，职业教育是国家发展的关键，希望学校明年将招生规模扩大一倍。中国驻卢旺达大使"
    "说，中方愿继续与卢方开展职业教育合作，为当地培养更多技术人才。明年学校还将开设太"
    "阳能设备安装专业。"
)


def _page(title: str, text: str) -> str:
    return (
        f'<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title></head><body>'
        f"<article><h1>{title}</h1><p>{text}</p></article></body></html>"
    )


def test_a_short_chinese_news_item_is_an_article() -> None:
    assert 200 <= len(SHORT_CHINESE) <= 220
    page = _page("卢旺达职业学校首届学员毕业", SHORT_CHINESE)
    article = extract_article(page, "https://news.example.cn/2026/11/29/rwanda.html", min_text_chars=250)
    assert isinstance(article, Extracted), article
    teaser = extract_article(
        _page("卢旺达职业学校", SHORT_CHINESE[:60]), "https://news.example.cn/t.html", min_text_chars=250
    )
    assert not isinstance(teaser, Extracted) and teaser.status == "too_short"


# --- a Southern country's envoys are a sign of cooperation ---------------------------------------

ENVOYS = {
    # Envoys from one Southern country at work in another, and one other cooperation word.
    "en": (
        "Rice yields rise in Sierra Leone's Bombali district",
        "Vietnamese agronomists spent the rainy season in Bombali, where farmers on 40 pilot plots "
        "harvested 5.2 tonnes of rice a hectare, twice the district's average. Sierra Leone's agriculture "
        "ministry wants the planting methods used on 300 more plots next year, with training for extension "
        "officers in Makeni.",
    ),
    "fr": (
        "Au Tchad, l'hôpital d'Abéché rouvre son bloc opératoire",
        "L'hôpital régional d'Abéché a rouvert lundi son bloc opératoire, fermé depuis huit mois. Des "
        "médecins égyptiens y opéreront pendant un an, et la formation de douze infirmiers tchadiens "
        "commence la semaine prochaine, a indiqué le directeur de l'établissement.",
    ),
    "es": (
        "Honduras estrena un laboratorio de semillas de frijol",
        "Un laboratorio de semillas de frijol abrió sus puertas en Comayagua. Técnicos mexicanos ayudaron a "
        "montar las cámaras de germinación y darán capacitación a 60 productores de Honduras durante la "
        "próxima siembra, según la Secretaría de Agricultura hondureña.",
    ),
    "pt": (
        "Timor-Leste abre primeira unidade de hemodiálise em Díli",
        "O Hospital Nacional Guido Valadares abriu a primeira unidade de hemodiálise de Timor-Leste. "
        "Especialistas brasileiros instalaram as máquinas e ficam seis meses em Díli para a formação de "
        "enfermeiros timorenses, disse o diretor do hospital.",
    ),
    "zh": (
        "尼泊尔加德满都新建水稻示范田喜获丰收",
        "今年雨季，越南专家在尼泊尔加德满都河谷的四十块示范田推广水稻新品种，平均亩产比当地提高近一倍。"
        "尼泊尔农业部表示，明年将在更多地区推广，并为农技人员举办培训。",
    ),
}


@pytest.mark.parametrize("language", ENVOYS)
def test_a_southern_countrys_envoys_at_work_in_another_are_cooperation(model: RelevanceModel, language: str) -> None:
    result = judge(model, language, ENVOYS[language])
    assert result.kept, explain(result)
    rule = partnership_rule(result)
    assert rule.weight > 0 and any(term.endswith(" experts") for term in rule.terms), partnership(result)


# --- a marker alone does not make an article -----------------------------------------------------

MARKER_ALONE = {
    # A bloc's name in the title of a story with no word of cooperation.
    "en": (
        "BRICS Games: India finishes fifth in the medal table",
        "India finished fifth at the BRICS Games in Kazan on Sunday with 14 golds, most of them in "
        "wrestling and shooting. The team flies home on Tuesday.",
    ),
    "fr": (
        "Bourse : le rand grimpe avant le sommet des BRICS",
        "Le rand sud-africain a gagné 1,2 % face au dollar et l'indice de Johannesburg a clôturé en hausse, "
        "porté par les minières, à la veille du sommet des BRICS. Les investisseurs attendent les chiffres "
        "de l'inflation jeudi.",
    ),
    "es": (
        "Juegos BRICS: Brasil termina tercero en el medallero",
        "Brasil terminó tercero en los Juegos BRICS de Kazán con 19 oros, la mayoría en judo y natación. "
        "La delegación regresa a São Paulo el martes.",
    ),
    "pt": (
        "Bolsa: rand sobe antes da cimeira dos BRICS",
        "O rand sul-africano ganhou 1,2% face ao dólar e a bolsa de Joanesburgo fechou em alta, puxada "
        "pelas mineradoras, na véspera da cimeira dos BRICS. Os investidores esperam os dados da inflação.",
    ),
    "zh": (
        "金砖运动会收官 中国队位列奖牌榜首位",
        "金砖国家运动会周日在喀山闭幕，中国队以三十二枚金牌位列奖牌榜首位，游泳和举重贡献了大部分金牌。"
        "代表团将于周二回国。",
    ),
}


@pytest.mark.parametrize("language", MARKER_ALONE)
def test_a_marker_alone_without_a_word_of_cooperation_is_not_enough(model: RelevanceModel, language: str) -> None:
    result = judge(model, language, MARKER_ALONE[language])
    assert not result.kept, explain(result)
    markers = [c for c in result.contributions if c.rule == "phrase"]
    assert markers and all(c.weight == 0 and "a marker alone" in (c.note or "") for c in markers), explain(result)


# --- plain loans, the topic's name in passing in an aid report, a Southern bloc ------------------

CAR_LOANS = (
    "Kenyan banks cut rates on car loans as Chinese brands expand",
    "Kenyan banks cut interest rates on car loans this month as Chinese carmakers opened showrooms in "
    "Nairobi and Mombasa. Dealers said Chinese electric vehicles now make up a tenth of new sales in "
    "Kenya, and two lenders offer loans over six years. A Chinese brand said it was looking for a local "
    "partner to assemble minibuses.",
)


def test_plain_loans_need_a_southern_lender(model: RelevanceModel) -> None:
    result = judge(model, "en", CAR_LOANS)
    assert not result.kept, explain(result)
    assert "loans" not in partnership_rule(result).terms, partnership(result)
    # The same word, with a Southern lender named, is development finance.
    lender = (CAR_LOANS[0], CAR_LOANS[1] + " China Exim Bank signed loans for a Nairobi rail line with Kenya.")
    assert "loans" in partnership_rule(judge(model, "en", lender)).terms


AID_REPORT = (
    "经合组织：官方发展援助连续第二年下降",
    "经济合作与发展组织周三发布初步数据，发展援助委员会成员去年提供的官方发展援助按实际价值计算下降百分之七，"
    "降至二千一百亿美元。德国、法国和英国削减了援助预算，对撒哈拉以南非洲的双边援助减少百分之四。"
    "经合组织发展合作局局长说，许多发展中国家用于偿债的支出已超过卫生和教育。报告还提到，南南合作的规模"
    "难以统计。",
)


def test_the_topics_name_in_passing_does_not_carry_an_aid_report(model: RelevanceModel) -> None:
    result = judge(model, "zh", AID_REPORT)
    assert not result.kept, explain(result)
    name = next(c for c in result.contributions if c.label == "南南合作")
    assert name.weight == 0 and "North-South" in (name.note or ""), explain(result)


BLOC_TRADE = (
    "Mercosur and the United Arab Emirates close a fourth round of talks",
    "Negotiators from Mercosur and the United Arab Emirates closed a fourth round of talks in Montevideo "
    "on an economic partnership agreement. Mercosur wants lower duties on beef and soybeans; the Emirates "
    "want access for petrochemicals. Mercosur's chief negotiator expects a text by June.",
)


def test_a_southern_blocs_agreement_with_another_southern_partner_is_cooperation(model: RelevanceModel) -> None:
    result = judge(model, "en", BLOC_TRADE)
    assert result.kept, explain(result)
    assert "MERCOSUR" in partnership_rule(result).terms, partnership(result)


# --- a language's name is not its country ------------------------------------------------------

LUSOPHONE = {
    "pt": (
        "Universidade de Moçambique forma professores de Timor-Leste",
        "A Universidade Pedagógica de Maputo recebeu 30 professores timorenses para um curso de formação em "
        "português. Os países de língua portuguesa financiam bolsas de estudo para o intercâmbio entre "
        "Moçambique e Timor-Leste, e os professores voltam a Díli em julho.",
    ),
    "fr": (
        "Le Sénégal forme des enseignants haïtiens",
        "Dakar accueille 25 enseignants haïtiens pour une formation en français et en pédagogie. Les pays de "
        "langue française de l'Afrique de l'Ouest financent les bourses d'études ; les enseignants rentrent "
        "en Haïti en juin.",
    ),
    "es": (
        "Cuba forma a maestros de Guinea Ecuatorial",
        "La Habana recibió a 40 maestros ecuatoguineanos para un curso de formación en español. Los países de "
        "lengua española del Caribe aportan becas para el intercambio entre Cuba y Guinea Ecuatorial.",
    ),
    "en": (
        "Brazil trains teachers from Mozambique",
        "Brazil's federal universities trained 60 Mozambican teachers this year under a scholarship programme "
        "for Portuguese-speaking countries. The Portuguese-language courses run in Brasília and Maputo.",
    ),
}


@pytest.mark.parametrize("language", LUSOPHONE)
def test_a_languages_name_does_not_name_its_country(model: RelevanceModel, language: str) -> None:
    title, text = (Tokenized.of(part, language) for part in LUSOPHONE[language])
    named = {code for kind, code in place_salience(title, text) if kind == "country"}
    assert {"pt": "PT", "fr": "FR", "es": "ES", "en": "PT"}[language] not in named, named
    assert judge(model, language, LUSOPHONE[language]).kept


# --- humanitarian aid and trade fairs between Southern states ---------------------------------

RELIEF = {
    "en": (
        "Ghanaian firefighters land in Côte d'Ivoire to fight forest fires",
        "A team of 80 Ghanaian firefighters arrived in Yamoussoukro on Monday with pumps and emergency "
        "supplies to help Côte d'Ivoire contain fires in its western forests.",
    ),
    "fr": (
        "Des pompiers marocains en renfort en Tunisie",
        "Une centaine de sapeurs-pompiers marocains sont arrivés à Tabarka avec du matériel de secours pour "
        "aider la Tunisie à maîtriser les incendies de forêt du nord-ouest.",
    ),
    "es": (
        "Bomberos peruanos llegan a Bolivia para combatir incendios",
        "Un contingente de 90 bomberos y brigadistas peruanos llegó a Santa Cruz con insumos de emergencia "
        "para apoyar a Bolivia en el combate de los incendios forestales de la Chiquitanía.",
    ),
    "pt": (
        "Bombeiros angolanos chegam a Moçambique após o ciclone",
        "Uma equipa de 70 bombeiros angolanos chegou à Beira com suprimentos de emergência para ajudar "
        "Moçambique a desobstruir estradas depois da passagem do ciclone.",
    ),
    "zh": (
        "巴基斯坦消防员抵达尼泊尔协助扑灭山火",
        "巴基斯坦派出的60名消防员周一抵达加德满都，携带救援物资，协助尼泊尔扑灭西部山区的森林大火。尼泊尔内政部表示，"
        "火势已蔓延至三个县，当地消防力量严重不足。巴基斯坦消防员将与尼泊尔军队一道在山区设立防火隔离带，并为当地"
        "村民提供紧急医疗服务。",
    ),
}


@pytest.mark.parametrize("language", RELIEF)
def test_a_southern_states_firefighters_and_supplies_are_cooperation(model: RelevanceModel, language: str) -> None:
    result = judge(model, language, RELIEF[language])
    assert result.kept, explain(result)


TRADE_FAIR = {
    "en": (
        "Forty Zambian firms take a pavilion at the Canton trade fair",
        "Forty Zambian exporters of honey, copper goods and coffee opened their pavilion at the trade fair "
        "in Guangzhou, China, seeking buyers among the fair's 25,000 exhibitors and visitors.",
    ),
    "es": (
        "Paraguay lleva 30 empresas a una feria de alimentos en la India",
        "Treinta empresas paraguayas de carne, chía y yerba mate montaron su pabellón en la feria de alimentos "
        "de Nueva Delhi, donde buscan compradores entre los 1.200 expositores de la India y de Asia.",
    ),
    "pt": (
        "Cabo Verde leva artesãos à feira internacional de Luanda",
        "Vinte artesãos cabo-verdianos abriram na segunda-feira o pavilhão de Cabo Verde na feira internacional "
        "de Luanda, onde procuram compradores angolanos entre os 500 expositores.",
    ),
}


@pytest.mark.parametrize("language", TRADE_FAIR)
def test_a_southern_countrys_pavilion_at_anothers_trade_fair_is_cooperation(
    model: RelevanceModel, language: str
) -> None:
    result = judge(model, language, TRADE_FAIR[language])
    assert result.kept, explain(result)


WEEKDAYS = (
    "Ibovespa sobe com Vale e dados da China",
    "O Ibovespa subiu 1,2% nesta segunda-feira, puxado pela Vale depois de dados da siderurgia na China. Na "
    "terça-feira sai a inflação do Brasil; o acordo entre os acionistas da Vale e a parceria com a Índia "
    "seguem em discussão, e na quarta-feira o mercado espera o Copom.",
)


def test_a_portuguese_weekday_is_not_a_fair(model: RelevanceModel) -> None:
    result = judge(model, "pt", WEEKDAYS)
    assert not result.kept, explain(result)


NIGERIA_ZONE = {
    "fr": (
        "Nigeria : les gouverneurs du Sud-Sud réclament une part plus grande du pétrole",
        "Réunis à Port Harcourt, les gouverneurs du Sud-Sud ont demandé une révision de la formule de partage "
        "des revenus pétroliers. La zone Sud-Sud, qui produit l'essentiel du brut nigérian, parle de "
        "coopération Sud-Sud entre ses six États pour peser à Abuja.",
    ),
    "es": (
        "Nigeria: los gobernadores del Sur-Sur piden más renta petrolera",
        "Reunidos en Port Harcourt, los gobernadores del Sur-Sur pidieron revisar el reparto de la renta "
        "petrolera. La zona Sur-Sur, que produce casi todo el crudo nigeriano, invoca la cooperación Sur-Sur "
        "entre sus seis estados para pesar en Abuja.",
    ),
    "pt": (
        "Nigéria: governadores do Sul-Sul pedem mais receitas do petróleo",
        "Reunidos em Port Harcourt, os governadores do Sul-Sul pediram a revisão da partilha das receitas do "
        "petróleo. A zona Sul-Sul, que produz quase todo o crude nigeriano, fala de cooperação Sul-Sul entre "
        "os seus seis estados para pesar em Abuja.",
    ),
    "zh": (
        "尼日利亚南南地区六州州长要求提高石油收入分成",
        "尼日利亚南南地区六州州长周二在哈科特港举行会议，要求联邦政府修改石油收入分配方案。南南地缘政治区出产该国大部分"
        "原油，州长们表示将加强南南合作，以便在阿布贾争取更大发言权。联邦财政部尚未回应。与会人士说，南南六州还将联合"
        "成立一个基础设施基金，用于修建连接各州的公路。",
    ),
}


@pytest.mark.parametrize("language", NIGERIA_ZONE)
def test_nigerias_south_south_zone_is_not_the_topic_in_any_language(model: RelevanceModel, language: str) -> None:
    result = judge(model, language, NIGERIA_ZONE[language])
    assert not result.kept, explain(result)


def test_a_phrase_that_is_a_whole_text_is_found_without_segmenting_it() -> None:
    matcher = PhraseMatcher([("中非经贸博览会", "CAETE", None), ("Belt and Road", "BRI", None)])
    assert matcher.whole(Tokenized.of("中非经贸博览会", "zh")) == "CAETE"
    assert matcher.whole(Tokenized.of("the Belt and Road", "en")) is None  # more than the phrase
    assert matcher.whole(Tokenized.of("belt-and-road", "en")) == "BRI"
