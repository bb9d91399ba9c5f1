#!/usr/bin/env python3
"""Writes data/jinzhou/works.json, the catalogue of the Jinzhou plan's works.

Run from the repository root: `python3 data/jinzhou/works.py`. The output is deterministic.

Sources: ../shared/seed/README.md (the plan: works P1-P12, E1-E6, with the article's words) and
the estimated street/river lines of ../shared/data/jinzhou-geo.md. The article gives no dates,
budgets, coordinates, nor the names of 14 of the 15 streets and 14 of the 15 choke points: every
such value below is marked `estimate:<why>` (or `model:<method>` for model-identified choke points,
which come from data/jinzhou/hotspots.json). Budgets are left out: no source gives one.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
YEAR = 2022  # the article speaks of "this year" (今年); its content dates it to about 2022.

# River lines of the Jinzhou source (data/jinzhou/source/rivers.csv; hand-drawn estimates), used
# to put the two ends of each new bridge on opposite banks.
XIAOLING = [[121.06, 41.128], [121.072, 41.126], [121.08, 41.116], [121.09, 41.1045],
            [121.105, 41.101], [121.12, 41.099], [121.135, 41.0975], [121.15, 41.0965],
            [121.16, 41.0925], [121.172, 41.087], [121.185, 41.075], [121.2, 41.055]]
NUER = [[121.02, 41.065], [121.06, 41.0665], [121.1, 41.0665], [121.14, 41.068],
        [121.165, 41.071], [121.18, 41.07]]

SEASON = ("estimate:the article gives no dates; outdoor civil works in Liaoning run in the "
          "frost-free season (about April to October)")


def d(y, m, dd):
    return f"{y:04d}-{m:02d}-{dd:02d}"


def street(names, a, b=None, radius=400):
    t = {"type": "street", "streets": names, "from": a, "radius_m": radius}
    if b is not None:
        t["to"] = b
    return t


def eff(phase, action, target):
    return {"phase": phase, "action": action, "target": target}


def close():
    return {"kind": "close"}


def cut(n=1):
    return {"kind": "cut_lanes", "lanes": n}


def speed(v):
    return {"kind": "set_speed", "speed_kmh": v}


def add_lanes(n=1):
    return {"kind": "add_lanes", "lanes": n}


def scale(f):
    return {"kind": "scale_capacity", "factor": f}


def open_link(link):
    return eff("completion", {"kind": "open_link"}, {"type": "link", "link": link})


def work(id, name_zh, name_en, kind, status, status_source, start, end, dates_source, source,
         quote, geometry=None, effects=(), parent=None, notes="", hotspot=None):
    w = {
        "id": id, "name_zh": name_zh, "name_en": name_en, "kind": kind, "status": status,
        "status_source": status_source,
        "planned": {"start": start, "end": end}, "dates_source": dates_source,
        "effects": list(effects), "source": source, "seed_quote": quote,
    }
    if parent:
        w["parent"] = parent
    if geometry:
        w["geometry"] = geometry
    if notes:
        w["notes"] = notes
    if hotspot:
        w["hotspot"] = hotspot
    return w


def line(*pts):
    return {"type": "LineString", "coordinates": [list(p) for p in pts]}


def link(id, work_id, name_zh, name_en, cls, lanes, kmh, a, a_streets, b, b_streets, via=(),
         bridge=False, across=None, source=None):
    l = {"id": id, "work": work_id, "name_zh": name_zh, "name_en": name_en, "class": cls,
         "lanes": lanes, "speed_kmh": kmh, "bridge": bridge,
         "from": {"at": a, "streets": a_streets}, "to": {"at": b, "streets": b_streets},
         "via": [list(v) for v in via],
         "source": source or f"seed:{work_id.split('-')[0]}; geometry estimate:anchored to the "
                             "estimated street lines of shared/data/jinzhou-geo.md"}
    if across:
        l["across"] = across
    return l


links = []
works = []

# ---------------------------------------------------------------- P1, P2: the two new bridges
links.append(link("P1-bridge", "P1", "锦州街", "Jinzhou Street", "primary", 2, 50,
                  [121.105, 41.0983], ["锦州街"], [121.105, 41.1037], ["锦州街"],
                  bridge=True, across=XIAOLING))
works.append(work(
    "P1", "锦州街跨小凌河大桥", "Jinzhou Street bridge over the Xiaoling River", "bridge",
    "under_construction",
    "estimate:the article says 重点推进 (key project pushed forward this year), read as on site",
    d(YEAR, 4, 1), d(YEAR + 1, 10, 31),
    "estimate:a river bridge of this size takes about two construction seasons (April 2022 to "
    "October 2023); the article gives no dates",
    "seed:P1", "重点推进锦州街跨小凌河大桥",
    geometry=line([121.105, 41.0985], [121.105, 41.1035]),
    effects=[
        # The bridge heads are site compounds: the last stretch of Jinzhou Street on each bank
        # is closed while the bridge is built.
        eff("construction", close(), street(["锦州街"], [121.105, 41.095], [121.105, 41.109], 250)),
        open_link("P1-bridge"),
    ],
    notes="The bridge links the two ends of Jinzhou Street on either bank of the Xiaoling River."))

links.append(link("P2-bridge", "P2", "福州街", "Fuzhou Street", "primary", 2, 50,
                  [121.115, 41.0690], ["福州街"], [121.115, 41.0644], ["福州街"],
                  bridge=True, across=NUER))
works.append(work(
    "P2", "女儿河福州街大桥", "Fuzhou Street bridge over the Nüer River", "bridge",
    "under_construction",
    "estimate:the article says 重点推进 (key project pushed forward this year), read as on site",
    d(YEAR, 4, 15), d(YEAR + 1, 10, 31),
    "estimate:two construction seasons, as P1; the article gives no dates",
    "seed:P2", "重点推进女儿河福州街大桥",
    geometry=line([121.115, 41.0688], [121.115, 41.0646]),
    effects=[
        eff("construction", close(), street(["福州街"], [121.115, 41.071], [121.115, 41.062], 250)),
        open_link("P2-bridge"),
    ],
    notes="Position estimate: the Jinzhou source draws the Nüer River along the south of "
          "松山新区 because of this item; the link joins the two ends of Fuzhou Street there."))

# ------------------------------------------------------------- P3, P10: the riverside roads
links += [
    link("P3-south", "P3", "百股河滨河路", "Baigu Riverside Road", "secondary", 2, 40,
         [121.103, 41.112], ["解放路"], [121.103, 41.121], ["上海路"], via=[[121.103, 41.1155]]),
    link("P3-north", "P3", "百股河滨河路", "Baigu Riverside Road", "secondary", 2, 40,
         [121.103, 41.121], ["上海路"], [121.103, 41.129], ["北京路"], via=[[121.103, 41.125]]),
    link("P10-south", "P10", "二道河滨河路", "Erdao Riverside Road", "secondary", 2, 40,
         [121.166, 41.112], ["解放路"], [121.166, 41.121], ["上海路"], via=[[121.166, 41.1165]]),
    link("P10-north", "P10", "二道河滨河路", "Erdao Riverside Road", "secondary", 2, 40,
         [121.166, 41.121], ["上海路"], [121.166, 41.129], ["北京路"], via=[[121.1665, 41.125]]),
]
works.append(work(
    "P3", "百股河滨河路", "Baigu River riverside road", "new_road", "under_construction",
    "estimate:the article says 重点推进 (pushed forward this year), read as on site",
    d(YEAR, 5, 1), d(YEAR, 10, 31), SEASON + "; a 2 km urban road fits one season",
    "seed:P3", "重点推进…百股河滨河路等项目; 百股河滨河路…在设计上要规范美观,项目建设要高标准、高质量",
    geometry=line([121.103, 41.112], [121.103, 41.121], [121.103, 41.129]),
    effects=[open_link("P3-south"), open_link("P3-north")],
    notes="Alignment estimate: along the east bank of the Baigu River (estimated at 121.10) "
          "from Jiefang Road to Beijing Road."))
works.append(work(
    "P10", "二道河滨河路", "Erdao River riverside road", "new_road", "design",
    "estimate:the article only asks that its design be 规范美观 and its building of high "
    "standard, read as in design this year",
    d(YEAR + 1, 4, 1), d(YEAR + 1, 10, 31), SEASON + "; construction assumed the season after design",
    "seed:P10", "二道河滨河路…在设计上要规范美观,项目建设要高标准、高质量",
    geometry=line([121.166, 41.112], [121.166, 41.121], [121.166, 41.129]),
    effects=[open_link("P10-south"), open_link("P10-north")],
    notes="Alignment estimate: along the east bank of the Erdao River (estimated at 121.16) from Jiefang Road "
          "to Beijing Road."))

# ---------------------------------------------------------------------------- P4: 15 streets
# P4-01 is named by the plan; the other 14 are chosen by the rule stated in P4's notes.
P4_STREETS = [
    # (id suffix, name_zh, name_en, from, to, source)
    ("01", "科技西路", "Keji West Road", [121.05, 41.088], [121.08, 41.089], "seed:P4"),
]
with open(os.path.join(HERE, "works.p4.json"), encoding="utf-8") as f:
    for i, st in enumerate(json.load(f)["streets"]):
        P4_STREETS.append((f"{i + 2:02d}", st["name_zh"], st["name_en"], st["extent"][0],
                           st["extent"][1],
                           f"model:gravity-aon-vc-proxy street rank (score {st['score']:.3f}); "
                           "estimate:the plan does not name this street"))
p4_rule = ("The plan names only Keji West Road of its 15 streets. The other 14 (estimate) are "
           "the named urban streets of the embedded network with the highest demand-proxy "
           "load/capacity (model:gravity-aon-vc-proxy), leaving out placeholder names of the "
           "hand-drawn source, highways, and streets with their own work (data/jinzhou/hotspots.py).")
works.append(work(
    "P4", "科技西路等15条街路新改扩建工程", "New-build, rebuild and widening of 15 streets",
    "programme", "under_construction", "estimate:the article says 组织实施 (being carried out)",
    d(YEAR, 4, 15), d(YEAR, 10, 31), SEASON, "seed:P4", "组织实施科技西路等15条街路新改扩建工程",
    notes=p4_rule))
for i, (sfx, zh, en, a, b, src) in enumerate(P4_STREETS):
    start_month = 4 + (i % 4)  # staggered starts, April to July
    works.append(work(
        f"P4-{sfx}", f"{zh}新改扩建", f"{en} widening", "widening", "under_construction",
        "estimate:as its programme P4", d(YEAR, start_month, 15), d(YEAR, start_month + 3, 14),
        SEASON + "; each street assumed to take 3 months, starts staggered April-July",
        src, "科技西路等15条街路新改扩建工程" if src == "seed:P4" else "",
        geometry=line(a, b), parent="P4",
        effects=[eff("construction", cut(1), street([zh], a, b)),
                 eff("construction", speed(30), street([zh], a, b)),
                 eff("completion", add_lanes(1), street([zh], a, b))],
        notes="" if src == "seed:P4" else p4_rule))

# --------------------------------------------------------------------- P5: Nanguang Road
links.append(link("P5-new", "P5", "南广路", "Nanguang Road (new alignment)", "secondary", 2, 40,
                  [121.06, 41.072], ["南广路"], [121.14, 41.072], ["南广路"],
                  via=[[121.07, 41.0695], [121.13, 41.0695]],
                  source="seed:P5; geometry estimate:placeholder alignment 300 m south of the "
                         "source line: the article only says 南迁改线 (moved southwards)"))
works.append(work(
    "P5", "南广路南迁改线工程", "Nanguang Road relocation southwards", "realignment",
    "preliminary_work", "seed:P5 (启动…前期工作: only the preliminary work starts this year)",
    d(YEAR + 2, 4, 1), d(YEAR + 3, 10, 31),
    "estimate:preliminary work in 2022, so construction is assumed for the 2024-2025 seasons",
    "seed:P5", "启动南广路南迁改线工程前期工作",
    geometry=line([121.06, 41.072], [121.07, 41.0695], [121.13, 41.0695], [121.14, 41.072]),
    effects=[open_link("P5-new"),
             eff("completion", {"kind": "remove"},
                 street(["南广路"], [121.075, 41.072], [121.125, 41.072], 150))],
    notes="On completion the new alignment opens and the old line between its two ends is "
          "removed; both geometries are estimates."))

# ------------------------------------------------------------------ P6: 15 choke points
with open(os.path.join(HERE, "hotspots.json"), encoding="utf-8") as f:
    HOTSPOTS = json.load(f)["hotspots"]
works.append(work(
    "P6", "打通南阳东路等15条城市交通堵点", "Open up 15 urban traffic choke points",
    "programme", "under_construction", "estimate:the article says 打通 (to be opened) this year",
    d(YEAR, 4, 1), d(YEAR, 10, 31), SEASON, "seed:P6", "打通南阳东路等15条城市交通堵点",
    notes="One child per choke point of data/jinzhou/hotspots.json: H01 Nanyang East Road is "
          "named by the plan (seed:P6); the others are model-identified (see that file)."))
for i, h in enumerate(HOTSPOTS):
    n = i + 1
    start_month = 4 + (i % 5)  # staggered starts, April to August
    at = h["at"]
    names = h["streets"]
    eff_list = [eff("construction", cut(1), street(names, at, None, 200)),
                eff("completion", scale(1.3), street(names, at, None, 200))]
    works.append(work(
        f"P6-{n:02d}", f"打通{h['name_zh']}堵点", f"Open the {h['name_en']} choke point",
        "choke_point", "under_construction", "estimate:as its programme P6",
        d(YEAR, start_month, 1), d(YEAR, start_month + 1, 30),
        SEASON + "; two months per choke point, starts staggered April-August",
        "seed:P6" if h["evidence"].startswith("seed:") else h["evidence"],
        "打通南阳东路等15条城市交通堵点" if h["evidence"].startswith("seed:") else "",
        geometry={"type": "Point", "coordinates": at}, parent="P6", hotspot=h["id"],
        effects=eff_list,
        notes="Effects estimate: one lane per street closed while the junction is rebuilt; "
              "afterwards +30 % capacity (turn lanes, signal timing) — a modelling assumption."))

# ------------------------------------------------------------------------ P7: Songpo Road
works.append(work(
    "P7", "松坡路修整", "Songpo Road resurfacing", "repair", "under_construction",
    "estimate:the article says 完成 (to be completed) this year, read as on site",
    d(YEAR, 5, 1), d(YEAR, 8, 31), SEASON + "; resurfacing assumed to take 4 months",
    "seed:P7", "完成松坡路修整工作",
    geometry=line([121.092, 41.075], [121.092, 41.110]),
    effects=[eff("construction", cut(1), street(["松坡路"], [121.092, 41.075], [121.092, 41.110])),
             eff("construction", speed(30), street(["松坡路"], [121.092, 41.075], [121.092, 41.110]))]))

# ------------------------------------------------------------------- P8: pipe renewal
# 47 compounds; their locations are not given. Estimate: the old-city streets of Guta and
# Linghe (where the old compounds are) each get one pipe work, compounds shared out evenly.
P8_STREETS = [
    ("人民街", "Renmin Street", [121.118, 41.105], [121.118, 41.128]),
    ("中央大街", "Zhongyang Street", [121.127, 41.105], [121.127, 41.128]),
    ("士英街", "Shiying Street", [121.112, 41.105], [121.112, 41.128]),
    ("云飞街", "Yunfei Street", [121.140, 41.105], [121.140, 41.128]),
    ("上海路", "Shanghai Road", [121.10, 41.120], [121.17, 41.121]),
    ("重庆路", "Chongqing Road", [121.12, 41.124], [121.17, 41.125]),
    ("北京路", "Beijing Road", [121.10, 41.127], [121.17, 41.130]),
    ("解放路", "Jiefang Road", [121.09, 41.111], [121.17, 41.113]),
]
works.append(work(
    "P8", "老旧管网改造工程(改造老旧小区47个)", "Old pipe-network renewal, 47 old compounds",
    "programme", "under_construction", "estimate:the article says 实施 (carried out) this year",
    d(YEAR, 4, 1), d(YEAR, 10, 31), SEASON, "seed:P8", "实施老旧管网改造工程,改造老旧小区47个",
    notes="Children are pipe works on the old-city streets around the compounds: locations "
          "estimate (the article names no compound); 47 compounds shared out 6,6,6,6,6,6,6,5."))
for i, (zh, en, a, b) in enumerate(P8_STREETS):
    n = i + 1
    compounds = 6 if n < 8 else 5
    start_month = 4 + (i % 4) * 1
    works.append(work(
        f"P8-{n:02d}", f"{zh}沿线老旧管网改造", f"Pipe renewal along {en}", "pipe_renewal",
        "under_construction", "estimate:as its programme P8",
        d(YEAR, start_month, 1), d(YEAR, start_month + 2, 31 if start_month + 2 in (5, 7, 8) else 30),
        SEASON + "; three months per street, starts staggered April-July",
        "estimate:seed:P8 location not given; street chosen among the old-city streets",
        "", geometry=line(a, b), parent="P8",
        effects=[eff("construction", cut(1), street([zh], a, b))],
        notes=f"About {compounds} of the 47 old compounds (estimate)."))

# ----------------------------------------------------------------------------- P9: greening
works.append(work(
    "P9", "城区绿化工程", "Urban greening works", "greening", "under_construction",
    "estimate:the article says 组织实施 (carried out) this year", d(YEAR, 4, 1), d(YEAR, 10, 31),
    SEASON, "seed:P9", "组织实施城区绿化工程",
    geometry={"type": "Polygon", "coordinates": [[[121.09, 41.10], [121.17, 41.10],
                                                   [121.17, 41.135], [121.09, 41.135],
                                                   [121.09, 41.10]]]},
    notes="Area estimate: the urban districts; greening has no effect on the road network."))

# --------------------------------------------------------------------------- P11: ring road
RING = [
    ("a", [121.060, 41.112], ["解放西路", "G102国道"], [121.080, 41.129], ["北京路", "锦朝公路"],
     [[121.062, 41.124]], True),
    ("b", [121.080, 41.129], ["北京路", "锦朝公路"], [121.127, 41.160], ["中央北街", "锦义公路"],
     [[121.075, 41.158]], False),
    ("c", [121.127, 41.160], ["中央北街", "锦义公路"], [121.215, 41.129], ["北京路", "锦北公路"],
     [[121.180, 41.158]], False),
    ("d", [121.215, 41.129], ["北京路", "锦北公路"], [121.215, 41.112], ["解放路", "G102国道"],
     [[121.222, 41.120]], False),
    ("e", [121.215, 41.112], ["解放路", "G102国道"], [121.165, 41.080], ["南阳东路"],
     [[121.205, 41.085]], True),
    ("f", [121.165, 41.080], ["南阳东路"], [121.130, 41.058], ["女儿河南岸支路"],
     [[121.160, 41.062]], True),
    ("g", [121.130, 41.058], ["女儿河南岸支路"], [121.050, 41.072], ["南广路"],
     [[121.060, 41.060]], True),
    ("h", [121.050, 41.072], ["南广路"], [121.060, 41.112], ["解放西路", "G102国道"],
     [[121.035, 41.090]], False),
]
for sfx, a, an, b, bn, via, bridge in RING:
    links.append(link(f"P11-{sfx}", "P11", "绕城公路", "Ring Road", "trunk", 2, 70, a, an, b, bn,
                      via=via, bridge=bridge,
                      source="seed:P11; geometry estimate:sections joining the outer ends of the "
                             "estimated arterials; the article gives no alignment"))
works.append(work(
    "P11", "绕城公路", "Ring road around the city", "ring_road", "design",
    "estimate:the article only asks that its design be 规范美观, read as in design this year",
    d(YEAR + 1, 4, 1), d(YEAR + 3, 10, 31),
    "estimate:a ring road takes several seasons; assumed 2023-2025 after design in 2022",
    "seed:P11", "绕城公路…在设计上要规范美观,项目建设要高标准、高质量",
    geometry={"type": "LineString", "coordinates":
              [p for r in RING for p in [r[1]] + r[5]] + [RING[0][1]]},
    effects=[open_link(f"P11-{r[0]}") for r in RING]))

# --------------------------------------------------------------------- P12: the interchange
JG = ([121.0992, 41.086], [121.0988, 41.074])
works.append(work(
    "P12", "锦港大街立交桥", "Jingang Street interchange", "interchange", "design",
    "estimate:the article only asks that its design be 规范美观, read as in design this year",
    d(YEAR + 1, 4, 1), d(YEAR + 2, 10, 31),
    "estimate:an urban flyover takes about two seasons, assumed 2023-2024 after design in 2022",
    "seed:P12", "锦港大街立交桥…在设计上要规范美观,项目建设要高标准、高质量",
    geometry={"type": "Point", "coordinates": [121.0990, 41.080]},
    effects=[eff("construction", cut(1), street(["锦港大街"], JG[0], JG[1])),
             eff("construction", speed(30), street(["锦港大街"], JG[0], JG[1])),
             eff("completion", scale(1.6), street(["锦港大街"], JG[0], JG[1]))],
    notes="Location estimate: where Jingang Street meets Nanyang Road (estimated lines). "
          "After completion the grade separation is modelled as +60 % capacity "
          "(modelling assumption)."))

# ------------------------------------------------------------------- E1-E6: environment
ENV_DATES = ("estimate:the 环境建设年 programme runs from early February to the end of the "
             "year (seed); the article gives no dates for this work")
envs = [
    ("E1", "辽东河、东沙河生态修复工程", "Ecological restoration of the Liaodong and Dongsha rivers",
     "river_restoration", "加快推进辽东河、东沙河生态修复工程", None,
     "The article gives no location for these rivers; no geometry is drawn."),
    ("E2", "锦凌水库等17个饮用水源地巡查整治",
     "Patrols and clean-up of 17 drinking-water sources, Jinling Reservoir among them",
     "water_source_protection", "持续对锦凌水库等17个地级、县级和“千吨万人”饮用水源地…开展巡查、排查和整治",
     {"type": "Polygon", "coordinates": [[[121.00, 41.13], [121.04, 41.13], [121.04, 41.15],
                                          [121.00, 41.15], [121.00, 41.13]]]},
     "Polygon estimate: around the estimated Jinling Reservoir dam (121.03, 41.135; "
     "shared/data/jinzhou-geo.md, itself known to be off); the 16 other sources are not located."),
    ("E3", "5条农村黑臭水体治理", "Treatment of 5 rural black and odorous water bodies",
     "outfall_cleanup", "完成5条农村黑臭水体治理任务", None,
     "The article does not say where the 5 water bodies are; no geometry is drawn."),
    ("E4", "大小凌河生态廊道", "Ecological corridors along the Daling and Xiaoling rivers",
     "river_restoration", "加快大小凌河生态廊道…项目建设",
     {"type": "LineString", "coordinates": XIAOLING},
     "Line estimate: the estimated Xiaoling River line through the city; the Daling River "
     "is not drawn."),
    ("E5", "大小凌河口生态湿地修复", "Wetland restoration at the Daling and Xiaoling estuaries",
     "wetland", "大小凌河口生态湿地修复项目建设",
     {"type": "Polygon", "coordinates": [[[121.23, 40.88], [121.30, 40.88], [121.30, 40.93],
                                          [121.23, 40.93], [121.23, 40.88]]]},
     "Polygon estimate: around the estimated Xiaoling River mouth (121.26, 40.90)."),
    ("E6", "入海排污口年度整治", "This year's clean-up of sea outfalls", "outfall_cleanup",
     "完成入海排污口年度整治任务", None,
     "The article does not locate the outfalls; no geometry is drawn."),
]
for id, zh, en, kind, quote, geom, notes in envs:
    works.append(work(
        id, zh, en, kind, "under_construction",
        "estimate:the article lists it among this year's tasks (加快推进/完成), read as under way",
        d(YEAR, 2, 7), d(YEAR, 12, 31), ENV_DATES, f"seed:{id}", quote, geometry=geom,
        notes=notes + " No effect on the road network."))

about = ("Works of the Jinzhou plan (shared/seed/README.md, article of about 2022). Generated by "
         "data/jinzhou/works.py; every record cites its seed line; values the article does not "
         "give are marked estimate:<why>.")
out = {"about": about, "links": links, "works": works}
with open(os.path.join(HERE, "works.json"), "w", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=False, indent=1)
    f.write("\n")
print(f"{len(works)} works, {len(links)} links")
