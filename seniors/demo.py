"""About fifty made-up seniors in Hohhot's districts, with contacts; same data every time."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from seniors import service
from seniors.identity import check_digit
from seniors.models import Senior
from seniors.schemas import (
    ConsentIn,
    ConsentMethod,
    ConsentPurpose,
    ContactIn,
    SeniorCreate,
    Sex,
    SubsidyCategory,
)


@dataclass(frozen=True)
class District:
    name: str
    area_code: str
    latitude: float
    longitude: float
    streets: tuple[str, ...]
    city: str = "呼和浩特市"


HOHHOT = (
    District("新城区", "150102", 40.858, 111.665, ("新华大街", "锡林郭勒北路", "海拉尔东街")),
    District("回民区", "150103", 40.808, 111.623, ("中山西路", "通道北街", "光明大街")),
    District("玉泉区", "150104", 40.753, 111.675, ("大南街", "石羊桥路", "南二环路")),
    District("赛罕区", "150105", 40.792, 111.702, ("大学西街", "昭乌达路", "敕勒川大街")),
    District("土默特左旗", "150121", 40.722, 111.163, ("察素齐镇中街", "兴业路")),
    District("托克托县", "150122", 40.277, 111.194, ("双河镇云中路", "黄河大街")),
    District("和林格尔县", "150123", 40.379, 111.822, ("盛乐镇新华街", "盛乐大街")),
    District("清水河县", "150124", 39.921, 111.647, ("城关镇迎宾路", "清水河大街")),
    District("武川县", "150125", 41.096, 111.451, ("可可以力更镇北街", "振华路")),
)
# The border stations (their own seniors beside Hohhot's): a county-level city each.
BORDER = (
    District("二连浩特市", "152501", 43.653, 111.977, ("前进路", "友谊大街", "二连口岸路"), ""),
    District("满洲里市", "150781", 49.598, 117.379, ("中苏路", "一道街", "五道街"), ""),
)
BORDER_SENIORS = 6  # per station
SURNAMES = ("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯"
            "于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏")
GIVEN = ("秀英", "桂兰", "玉兰", "淑珍", "凤英", "建国", "建华", "国强", "志明", "德胜",
         "福全", "玉珍", "桂芳", "秀兰", "长海", "振华", "宝山", "金花", "巴特尔", "其其格",
         "乌云", "满都拉")
CONDITIONS = ("高血压", "2型糖尿病", "冠心病，服用阿司匹林", "轻度认知障碍，夜间易走失",
              "髋关节置换术后", "慢阻肺，家中有制氧机", "青霉素过敏", "")
RELATIONS = ("儿子", "女儿", "儿媳", "侄子", "邻居", "社区网格员")
LANGUAGES = (["zh-CN"], ["zh-CN"], ["zh-CN"], ["zh-CN", "mn"], ["zh-CN", "晋语"])
SUBSIDIES: tuple[list[str], ...] = (
    [], ["old_age_allowance"], ["old_age_allowance", "care_subsidy"], ["disability"],
    ["veterans"], ["low_income", "old_age_allowance"],
)
DEMO_SENIORS = 50


def _resident_id(rng: random.Random, district: District, birth: date, sex: str) -> str:
    sequence = rng.randrange(0, 50) * 2 + (1 if sex == "male" else 0)  # odd digit: male
    first17 = f"{district.area_code}{birth:%Y%m%d}{rng.randrange(10)}{sequence:02d}"
    return first17 + check_digit(first17)


def _mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10)}{rng.randrange(10**8):08d}"


def demo_senior(rng: random.Random, today: date,
                district: District | None = None) -> SeniorCreate:
    district = district or rng.choice(HOHHOT)
    sex = rng.choice(("male", "female"))
    birth = today - timedelta(days=rng.randrange(65 * 365, 95 * 365))
    surname = rng.choice(SURNAMES)
    phones = [_mobile(rng)]
    if rng.random() < 0.4:
        phones.append(f"0471-{rng.randrange(2000000, 6999999)}")
    contacts = [
        ContactIn(name=rng.choice(SURNAMES) + rng.choice(GIVEN), relation=rng.choice(RELATIONS),
                  phones=[_mobile(rng)])
        for _ in range(rng.randint(1, 3))
    ]
    return SeniorCreate(
        name=surname + rng.choice(GIVEN), sex=Sex(sex),
        resident_id=_resident_id(rng, district, birth, sex),
        address=f"{district.city}{district.name}{rng.choice(district.streets)}"
                f"{rng.randint(1, 300)}号"
                f"{rng.randint(1, 12)}单元{rng.randint(101, 1802)}室",
        district=district.name,
        latitude=round(district.latitude + rng.uniform(-0.03, 0.03), 5),
        longitude=round(district.longitude + rng.uniform(-0.03, 0.03), 5),
        lives_alone=rng.random() < 0.45, languages=rng.choice(LANGUAGES),
        medical_notes=rng.choice(CONDITIONS),
        subsidy_categories=[SubsidyCategory(c) for c in rng.choice(SUBSIDIES)],
        phones=phones, contacts=contacts,
    )


async def seed_seniors(session: AsyncSession, *, now: datetime, count: int = DEMO_SENIORS) -> int:
    """Seed the demo seniors unless the registry already holds some; returns how many."""
    existing = await session.scalar(select(func.count()).select_from(Senior))
    if existing:
        return 0
    rng = random.Random(12349)
    for _ in range(count):
        await _seed_one(session, demo_senior(rng, now.date()), now=now)
    return count


async def seed_border_seniors(session: AsyncSession, *, now: datetime) -> int:
    """A few seniors at each border station, unless the station already has some."""
    rng = random.Random(152501)
    added = 0
    for district in BORDER:
        if await session.scalar(select(func.count()).select_from(Senior)
                                .where(Senior.area_code == district.area_code)):
            continue
        for _ in range(BORDER_SENIORS):
            await _seed_one(session, demo_senior(rng, now.date(), district), now=now)
            added += 1
    return added


async def _seed_one(session: AsyncSession, data: SeniorCreate, *, now: datetime) -> None:
    senior = await service.create_senior(session, data=data, now=now)
    await service.add_consent(
        session, senior_id=senior.id, recorded_by="demo", now=now,
        data=ConsentIn(purpose=ConsentPurpose.DATA_PROCESSING, granted=True,
                       method=ConsentMethod.SIGNED_FORM, notes="demo record"),
    )
