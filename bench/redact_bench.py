"""What the blind face costs: redaction per proposal, in-process, no database.

    .venv/bin/python bench/redact_bench.py [--proposals 200] [--repeat 3]

Builds proposals like the benchmark data set's (venture/bench/texts.py:
Chinese and English sentences, a budget table, two attachments), each of a
group of its own with members, a contact person, a phone number, an e-mail
address and a credit code, and some of them naming the group in their text.
Prints, in CPU milliseconds (process time, so a busy machine bends the
figures less than wall time would):

* the one-off cost of the reading-form table (OpenCC, confusables, NFKD);
* ``face.public_face`` of a proposal whose group's patterns are compiled for
  the first time (a group not seen since the process started), of one
  whose patterns are compiled but whose face is not cached, and of a cached
  one (what a public page pays on every view after the first);
* a listing page of 20 proposals of 20 groups, cold and cached;
* the redaction of a comment, and ``find_leaks`` of a 100 KB attachment text.

No figure is asserted anywhere: see docs/PERFORMANCE.md for what they were.
"""
from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any


def cpu_ms(action: Callable[[], Any]) -> float:
    started = time.process_time()
    action()
    return (time.process_time() - started) * 1000


def summary(label: str, values: list[float]) -> None:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    print(f"  {label:<52} p50 {statistics.median(ordered):8.2f}   p95 {p95:8.2f}   n={len(ordered)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--proposals", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from venture.bench import texts
    from venture.groups import creditcode
    from venture.proposals import face, leaks

    rng = random.Random(2026)
    started = time.process_time()
    leaks.reading_form("陽光")
    table_ms = (time.process_time() - started) * 1000
    started = time.process_time()
    leaks.person_forms("欧阳晓红")  # loads pypinyin's dictionary
    pinyin_ms = (time.process_time() - started) * 1000

    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    given = "晓慧敏明珠红芳丽伟强军华建国平志刚秀英玉兰桂梅海燕霞静娟文杰"

    def person() -> str:
        return rng.choice(surnames) + "".join(rng.choice(given) for _ in range(rng.choice((1, 2))))

    class Version:
        def __init__(self, content: dict[str, Any], fingerprint: str) -> None:
            self.content, self.fingerprint, self.identity = content, fingerprint, {}

    proposals = []
    for number in range(args.proposals):
        community = rng.choice(texts.COMMUNITIES)
        group = f"{community}{rng.choice(['邻里互助队', '长者关爱服务中心', '志愿服务队', '社会工作服务中心', '读书会'])}{number}"
        members = [person() for _ in range(rng.randint(2, 6))]
        identity = face._identity(group, [f"{community}互助社{number}"], [f"{community} Volunteers {number}"], "",
                                  members[0], f"team{number}@example.org", f"139{number:08d}",
                                  creditcode.complete(f"52440106MJL{number:06d}"),
                                  [(name, f"m{number}.{k}@example.org") for k, name in enumerate(members)])
        sentences = [rng.choice(texts.SENTENCES_ZH if rng.random() < 0.7 else texts.SENTENCES_EN) for _ in range(24)]
        if number % 4 == 0:  # a quarter of them name themselves somewhere
            sentences[5] = f"我们{community}互助社{number}的{members[0][0]}老师负责，电话 139{number:08d}。"
        sections = [{"key": f"s{k}", "title": f"第{k}部分", "text": "".join(sentences[k * 6:(k + 1) * 6])}
                    for k in range(4)]
        content = {"title": f"{community}长者助餐计划", "summary": sentences[0], "sections": sections,
                   "budget": [{"item": rng.choice(texts.BUDGET_ITEMS_ZH), "unit_cost_fen": 10000, "quantity": "2",
                               "subtotal_fen": 20000} for _ in range(8)],
                   "attachments": [{"id": 1, "slot": "a1", "filename": f"{group}预算表.pdf", "kind": "pdf"},
                                   {"id": 2, "slot": "other", "filename": "照片.png", "kind": "png"}]}
        proposals.append((Version(content, f"bench-{number}"), identity))

    print(f"Redaction on {len(proposals)} proposals (about "
          f"{sum(len(str(v.content)) for v, _i in proposals) // len(proposals):,} characters of content each)")
    print(f"  reading-form table, once per process: {table_ms:.0f} ms CPU; pinyin dictionary: {pinyin_ms:.0f} ms")

    first, compiled, cached = [], [], []
    for version, identity in proposals:
        first.append(cpu_ms(lambda v=version, i=identity: face.public_face(v, i, blind=True)))
    for _ in range(args.repeat):
        face.clear_cache()
        for version, identity in proposals:
            compiled.append(cpu_ms(lambda v=version, i=identity: face.public_face(v, i, blind=True)))
        for version, identity in proposals:
            cached.append(cpu_ms(lambda v=version, i=identity: face.public_face(v, i, blind=True)))
    summary("a proposal's face, its group's patterns new (ms CPU)", first)
    summary("a proposal's face, patterns compiled, face not cached", compiled)
    summary("a proposal's face from the cache", cached)

    pages_cold, pages_cached = [], []
    for _ in range(args.repeat):
        face.clear_cache()
        leaks._patterns.cache_clear()
        for start in range(0, len(proposals) - 19, 20):
            page = proposals[start:start + 20]
            pages_cold.append(cpu_ms(lambda p=page: [face.public_face(v, i, blind=True) for v, i in p]))
            pages_cached.append(cpu_ms(lambda p=page: [face.public_face(v, i, blind=True) for v, i in p]))
    summary("a listing of 20, cold (patterns and faces new)", pages_cold)
    summary("a listing of 20, cached", pages_cached)

    comment = "<p>谢谢大家支持！周末也送餐，有问题可以留言。我们会在活动室等大家。</p>" * 3
    version, identity = proposals[0]
    summary("a comment's markup (redact_html)", [cpu_ms(lambda: leaks.redact_html(comment, identity))
                                                 for _ in range(50)])
    chunk = "本项目面向社区独居长者，2026年计划服务 100人，开展 12 场活动，预算 150000.00 元。The team will visit weekly. "
    big = (chunk * (100_000 // len(chunk) + 1))[:100_000]
    summary("find_leaks of a 100 KB attachment text", [cpu_ms(lambda: leaks.find_leaks({"a": big}, identity))
                                                       for _ in range(5)])


if __name__ == "__main__":
    main()
