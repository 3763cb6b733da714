"""Invented place and person names, drawn from a seeded generator.

Two-syllable place names from common Enshi roots and plausible local names
for household heads, so the demo reads right without naming anyone real.
"""
from __future__ import annotations

import numpy as np

_FIRST = (
    ("龙", "Long"), ("凤", "Feng"), ("白", "Bai"), ("石", "Shi"), ("青", "Qing"), ("红", "Hong"),
    ("黄", "Huang"), ("高", "Gao"), ("新", "Xin"), ("长", "Chang"), ("沙", "Sha"), ("茶", "Cha"),
    ("花", "Hua"), ("金", "Jin"), ("柏", "Bai"), ("木", "Mu"), ("桃", "Tao"), ("竹", "Zhu"),
    ("云", "Yun"), ("板", "Ban"), ("双", "Shuang"), ("太", "Tai"), ("大", "Da"), ("小", "Xiao"),
    ("官", "Guan"), ("团", "Tuan"), ("三", "San"), ("望", "Wang"), ("铜", "Tong"), ("椒", "Jiao"),
    ("马", "Ma"), ("杨", "Yang"), ("柳", "Liu"), ("梅", "Mei"), ("松", "Song"), ("枫", "Feng"),
    ("鱼", "Yu"), ("猫", "Mao"), ("凉", "Liang"), ("万", "Wan"), ("天", "Tian"), ("观", "Guan"),
    ("东", "Dong"), ("西", "Xi"), ("南", "Nan"), ("北", "Bei"), ("中", "Zhong"), ("上", "Shang"),
    ("下", "Xia"), ("麻", "Ma"), ("芭", "Ba"), ("狮", "Shi"), ("象", "Xiang"), ("鹿", "Lu"),
)
_SECOND = (
    ("坪", "ping"), ("溪", "xi"), ("山", "shan"), ("河", "he"), ("坝", "ba"), ("口", "kou"),
    ("岩", "yan"), ("桥", "qiao"), ("湾", "wan"), ("塘", "tang"), ("田", "tian"), ("岭", "ling"),
    ("垭", "ya"), ("关", "guan"), ("堡", "bao"), ("池", "chi"), ("洞", "dong"), ("阳", "yang"),
    ("水", "shui"), ("湖", "hu"), ("园", "yuan"), ("冲", "chong"), ("槽", "cao"), ("台", "tai"),
    ("峡", "xia"), ("庄", "zhuang"), ("寨", "zhai"), ("沟", "gou"), ("林", "lin"), ("潭", "tan"),
)
_SURNAMES = tuple("向田谭覃彭黄张李王刘杨陈周吴邓冉胡龚朱谢牟姚唐罗肖舒秦余熊赵杜万何吕滕姜钟严龙文")
_SURNAME_W = np.array([3.0] * 5 + [2.0] * 9 + [1.0] * (len(_SURNAMES) - 14))
_GIVEN = tuple("建国华明军平春秋兰英芳红玉桂林德志文成海永光金顺福清秀云翠梅勇强伟刚斌丽霞洪贵生先应祥富学远树松家新")


def _place_names(rng: np.random.Generator, count: int, taken: set[str]) -> list[tuple[str, str]]:
    """``count`` two-syllable names (zh, pinyin) not in ``taken``; adds them to it.

    ``taken`` is only tested for membership, never iterated, so order stays seeded.
    """
    names: list[tuple[str, str]] = []
    while len(names) < count:
        (a, pa), (b, pb) = _FIRST[rng.integers(len(_FIRST))], _SECOND[rng.integers(len(_SECOND))]
        if a == b or a + b in taken:
            continue
        taken.add(a + b)
        names.append((a + b, pa + pb))
    return names


def _person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` full names: a weighted common local surname and one or two given characters."""
    surnames = np.asarray(_SURNAMES, dtype=object)[rng.choice(len(_SURNAMES), n, p=_SURNAME_W / _SURNAME_W.sum())]
    given = np.asarray(_GIVEN, dtype=object)
    first = given[rng.integers(len(given), size=n)]
    second = np.where(rng.random(n) < 0.7, given[rng.integers(len(given), size=n)], "")
    return surnames + first + second
