"""A small, deterministic amoCRM account for the simulator and connector tests (docs/sources/amocrm.md).

4 users, 2 pipelines (Продажи with "Неразобранное" type 1; Интернет-магазин), 4 loss reasons, 600 leads
(so paging over 250 matters; 30 share one updated_at after a bulk reassignment; 5 deleted), ~300
contacts with phones spelled differently (4 strangers share an office switchboard), one stage-change
event per step plus lead_deleted / contact_deleted, call notes with the same `uniq` on the lead and
the contact, a few common notes, and tasks.
"""

from __future__ import annotations

import random
import uuid

ACCOUNT_ID = 30817394
HOST = "https://romashka.amocrm.ru/api/v4"
T0 = 1696118400  # 2023-10-01T00:00:00Z
DAY = 86400
BULK_EDIT_AT = T0 + 200 * DAY
SALES, SHOP = 5510001, 5510002
WON, LOST = 142, 143
UNSORTED = 55100010
SALES_STAGES = [55100011, 55100012, 55100013, 55100014]
SHOP_STAGES = [55100021, 55100022]
USERS = [(8100101, "Анна Смирнова"), (8100102, "Игорь Петров"), (8100103, "Ольга Кузнецова")]
ADMIN = (8100104, "Администратор")
REASONS = [
    (7700001, "Дорого"),
    (7700002, "Выбрали конкурента"),
    (7700003, "Не отвечает"),
    (7700004, "Неактуально"),
]
SWITCHBOARD = "+7 (495) 123-45-67"
UTM = {"form": [("yandex", "cpc"), ("google", "cpc"), ("yandex", "organic"), ("vk", "social")]}
UTM_FIELDS = [(600101, "UTM_SOURCE"), (600102, "UTM_MEDIUM"), (600103, "UTM_CAMPAIGN")]
_B32 = "0123456789abcdefghjkmnpqrstvwxyz"


def links(path: str) -> dict:
    return {"self": {"href": f"{HOST}/{path}"}}


def make_store(seed: int = 2024) -> dict:
    rng = random.Random(seed)
    store = {"account": _account(), "users": _users(), "pipelines": _pipelines(), "loss_reasons": _reasons()}
    store["contacts"] = _contacts(rng)
    people = [c for c in store["contacts"] if not c["is_deleted"]]
    store["leads"], store["events"] = _leads_and_events(rng, people)
    store["lead_notes"], store["contact_notes"] = _notes(rng, store["leads"])
    store["tasks"] = _tasks(rng, store["leads"])
    return store


def _account() -> dict:
    return {
        "id": ACCOUNT_ID,
        "name": "Ромашка",
        "subdomain": "romashka",
        "currency": "RUB",
        "timezone": "Europe/Moscow",
        "country": "RU",
        "_links": links("account"),
    }


def _users() -> list[dict]:
    return [
        {
            "id": uid,
            "name": name,
            "email": f"user{uid}@romashka.ru",
            "lang": "ru",
            "rights": {
                "is_admin": (uid, name) == ADMIN,
                "is_free": False,
                "is_active": True,
                "group_id": None,
            },
            "_links": links(f"users/{uid}"),
        }
        for uid, name in [*USERS, ADMIN]
    ]


def _status(sid: int, name: str, sort: int, pipeline: int, kind: int = 0) -> dict:
    fixed = sid in (WON, LOST, UNSORTED)
    color = {WON: "#CCFF66", LOST: "#D5D8DB"}.get(sid, "#99ccff")
    return {
        "id": sid,
        "name": name,
        "sort": sort,
        "is_editable": not fixed,
        "pipeline_id": pipeline,
        "color": color,
        "type": kind,
        "account_id": ACCOUNT_ID,
        "_links": links(f"leads/pipelines/{pipeline}/statuses/{sid}"),
    }


def _pipelines() -> list[dict]:
    closed = [(WON, "Успешно реализовано", 10000), (LOST, "Закрыто и не реализовано", 11000)]
    sales = [(UNSORTED, "Неразобранное", 10, 1)] + [
        (sid, name, 20 + 10 * i, 0)
        for i, (sid, name) in enumerate(
            zip(
                SALES_STAGES,
                ["Новая заявка", "Квалификация", "Коммерческое предложение", "Согласование договора"],
                strict=True,
            )
        )
    ]
    shop = [(55100021, "Новый заказ", 10, 0), (55100022, "Подтверждён", 20, 0)]
    result = []
    for pid, name, sort, stages in ((SALES, "Продажи", 1, sales), (SHOP, "Интернет-магазин", 2, shop)):
        statuses = [_status(sid, n, s, pid, k) for sid, n, s, k in stages]
        statuses += [_status(sid, n, s, pid) for sid, n, s in closed]
        result.append(
            {
                "id": pid,
                "name": name,
                "sort": sort,
                "is_main": pid == SALES,
                "is_unsorted_on": pid == SALES,
                "is_archive": False,
                "account_id": ACCOUNT_ID,
                "_links": links(f"leads/pipelines/{pid}"),
                "_embedded": {"statuses": statuses},
            }
        )
    return result


def _reason(rid: int, name: str, sort: int) -> dict:
    stamps = {"created_at": T0 - DAY, "updated_at": T0 - DAY}
    return {"id": rid, "name": name, "sort": sort, **stamps, "_links": links(f"leads/loss_reasons/{rid}")}


def _reasons() -> list[dict]:
    return [_reason(rid, name, 10 * i) for i, (rid, name) in enumerate(REASONS)]


def _phone_spellings(digits: str) -> list[str]:
    a, b, c, d = digits[:3], digits[3:6], digits[6:8], digits[8:]
    return [f"8 ({a}) {b}-{c}-{d}", f"+7 {a} {b}{c}{d}", f"7{digits}", f"+7 ({a}) {b}-{c}-{d}"]


def _field(fid: int, name: str, code: str, kind: str, values: list[dict]) -> dict:
    return {"field_id": fid, "field_name": name, "field_code": code, "field_type": kind, "values": values}


def _contact(cid, first, last, created, phone, email, extra=()) -> dict:
    fields = [
        _field(264911, "Телефон", "PHONE", "multitext", [{"value": phone, "enum_id": 1, "enum_code": "MOB"}])
    ]
    if email:
        fields.append(
            _field(
                264913, "Email", "EMAIL", "multitext", [{"value": email, "enum_id": 3, "enum_code": "WORK"}]
            )
        )
    return {
        "id": cid,
        "name": f"{first} {last}",
        "first_name": first,
        "last_name": last,
        "responsible_user_id": USERS[cid % 3][0],
        "group_id": 0,
        "created_by": USERS[cid % 3][0],
        "updated_by": USERS[cid % 3][0],
        "created_at": created,
        "updated_at": created + 3600,
        "closest_task_at": None,
        "is_deleted": False,
        "is_unsorted": False,
        "custom_fields_values": fields + list(extra),
        "account_id": ACCOUNT_ID,
        "_embedded": {"tags": [], "companies": []},
        "_links": links(f"contacts/{cid}"),
    }


def _contacts(rng: random.Random) -> list[dict]:
    firsts = [
        ("Пётр", "М"),
        ("Мария", "Ж"),
        ("Алексей", "М"),
        ("Елена", "Ж"),
        ("Дмитрий", "М"),
        ("Ольга", "Ж"),
    ]
    lasts = ["Иванов", "Соколов", "Попов", "Лебедев", "Козлов", "Новиков", "Морозов", "Волков"]
    cities = ["Москва", "Казань", "Тула", None]
    contacts = []
    for i in range(290):
        (first, gender), last = rng.choice(firsts), rng.choice(lasts) + ("а" if rng.random() < 0.5 else "")
        digits = f"9{rng.randrange(10**9):09d}"
        email = f"{first[0]}.{last}{i}@Mail.ru".replace("ё", "e") if rng.random() < 0.6 else None
        extra = [
            _field(512005, "Пол", "GENDER", "select", [{"value": gender, "enum_id": "МЖ".index(gender) + 1}])
        ]
        if rng.random() < 0.5:
            birthday = [{"value": 315532800 + i * 9 * DAY}]  # unix seconds
            extra.append(_field(512001, "День рождения", "BIRTHDAY", "birthday", birthday))
        if (city := rng.choice(cities)) is not None:
            extra.append(_field(512003, "Город", "CITY", "text", [{"value": city}]))
        created = T0 + rng.randrange(330 * DAY)
        spelled = rng.choice(_phone_spellings(digits))
        contacts.append(_contact(40000000 + i, first, last, created, spelled, email, extra))
        if i % 25 == 0:  # the same person again, phone typed another way
            again = _phone_spellings(digits)[(i // 25) % 4]
            contacts.append(_contact(40100000 + i, first, last, created + DAY, again, None, extra))
    for j, (first, last) in enumerate(
        [("Сергей", "Орлов"), ("Нина", "Белова"), ("Павел", "Зайцев"), ("Вера", "Гусева")]
    ):
        contacts.append(_contact(40200000 + j, first, last, T0 + (40 + j) * DAY, SWITCHBOARD, None))
    contacts[-1]["name"] = "Гусева Вера (ООО Ландыш)"
    merged = _contact(40300000, "Пётр", "Иванов", T0 + 50 * DAY, "89120000000", None)
    merged.update(is_deleted=True, updated_at=T0 + 60 * DAY)
    return [*contacts, merged]


def event_id(rng: random.Random) -> str:
    return "01" + "".join(rng.choice(_B32) for _ in range(24))


def _event(rng, kind: str, lead_id: int, at: int, by: int, before=None, after=None, entity="lead") -> dict:
    return {
        "id": event_id(rng),
        "type": kind,
        "entity_id": lead_id,
        "entity_type": entity,
        "created_by": by,
        "created_at": at,
        "value_after": after or [],
        "value_before": before or [],
        "account_id": ACCOUNT_ID,
        "_embedded": {"entity": {"id": lead_id, "_links": links(f"{entity}s/{lead_id}")}},
        "_links": links("events"),
    }


def _status_value(status: int, pipeline: int) -> list[dict]:
    return [{"lead_status": {"id": status, "pipeline_id": pipeline}}]


def _lead_path(rng: random.Random, pipeline: int, origin: str) -> list[int]:
    stages = SALES_STAGES if pipeline == SALES else SHOP_STAGES
    path = [UNSORTED] if origin == "call" else []
    reached = rng.randrange(1, len(stages) + 1)
    path += stages[:reached]
    outcome = rng.random()
    if outcome < 0.35:
        return path + ([WON] if reached == len(stages) else stages[reached:] + [WON])
    return path + [LOST] if outcome < 0.75 else path


def _leads_and_events(rng: random.Random, people: list[dict]) -> tuple[list[dict], list[dict]]:
    leads, events = [], []
    for i in range(600):
        lead_id, contact = 21000000 + i, rng.choice(people)
        origin = rng.choice(["form", "form", "order", "call", "referral"])
        pipeline = SHOP if origin == "order" else SALES
        user = USERS[i % 3][0]
        created = T0 + rng.randrange(330 * DAY)
        path, at = _lead_path(rng, pipeline, origin), created
        for before, after in zip(path[:-1], path[1:], strict=True):
            at += rng.randrange(3600, 6 * DAY)
            by = 0 if pipeline == SHOP else user
            change = _status_value(before, pipeline), _status_value(after, pipeline)
            events.append(_event(rng, "lead_status_changed", lead_id, at, by, *change))
        status = path[-1]
        lost = status == LOST
        reason = REASONS[i % 4] if lost else None
        utm = UTM["form"][i % 4] if origin == "form" else ("yandex", "cpc") if origin == "order" else None
        fields = (
            None
            if utm is None
            else [
                _field(fid, code, code, "tracking_data", [{"value": v}])
                for (fid, code), v in zip(UTM_FIELDS, [*utm, f"camp{i % 7}"], strict=True)
            ]
        )
        embedded = {
            "tags": [{"id": 101, "name": "сайт", "color": None}] if utm else [],
            "companies": [],
            "contacts": [{"id": contact["id"], "is_main": True}],
        }
        if lost:
            embedded["loss_reason"] = [_reason(*reason, 10 * (i % 4))]
        name = {"order": f"Заказ с сайта №{5000 + i}", "call": "Входящий звонок", "referral": "Рекомендация"}
        leads.append(
            {
                "id": lead_id,
                "name": name.get(origin, "Заявка с сайта"),
                "price": rng.randrange(5, 300) * 1000,
                "responsible_user_id": user,
                "group_id": 0,
                "status_id": status,
                "pipeline_id": pipeline,
                "loss_reason_id": reason[0] if lost else None,
                "source_id": None,
                "created_by": 0 if utm else user,
                "updated_by": user,
                "created_at": created,
                "updated_at": at + 60,
                "closed_at": at if status in (WON, LOST) else None,
                "closest_task_at": None,
                "is_deleted": False,
                "custom_fields_values": fields,
                "score": None,
                "account_id": ACCOUNT_ID,
                "_links": links(f"leads/{lead_id}"),
                "_embedded": embedded,
            }
        )
    _bulk_reassign(rng, leads, events)
    for lead in leads[7::120]:  # five leads deleted by a manager
        lead.update(is_deleted=True, updated_at=lead["updated_at"] + DAY)
        events.append(_event(rng, "lead_deleted", lead["id"], lead["updated_at"], ADMIN[0]))
    events.append(_event(rng, "contact_deleted", 40300000, T0 + 60 * DAY, ADMIN[0], entity="contact"))
    return leads, events


def _bulk_reassign(rng: random.Random, leads: list[dict], events: list[dict]) -> None:
    # 30 open leads get a new manager in one action: 30 leads share one updated_at (ties across pages)
    open_early = [lead for lead in leads if lead["closed_at"] is None and lead["updated_at"] < BULK_EDIT_AT]
    for lead in open_early[:30]:
        lead.update(responsible_user_id=USERS[0][0], updated_by=ADMIN[0], updated_at=BULK_EDIT_AT)
        events.append(_event(rng, "entity_responsible_changed", lead["id"], BULK_EDIT_AT, ADMIN[0]))


def _note(nid, entity_id, kind, at, user, params) -> dict:
    path = "leads" if nid < 9500000 else "contacts"
    return {
        "id": nid,
        "entity_id": entity_id,
        "created_by": user,
        "updated_by": user,
        "created_at": at,
        "updated_at": at,
        "responsible_user_id": user,
        "group_id": 0,
        "note_type": kind,
        "params": params,
        "account_id": ACCOUNT_ID,
        "_links": links(f"{path}/{entity_id}/notes/{nid}"),
    }


def _call(uniq: str, duration: int, phone: str, status: int, result: str) -> dict:
    link = f"https://pbx.example/rec/{uniq}.mp3" if duration else ""
    return {"uniq": uniq, "duration": duration, "source": "onlinePBX", "link": link, "phone": phone,
            "call_status": status, "call_result": result}  # fmt: skip


def _notes(rng: random.Random, leads: list[dict]) -> tuple[list[dict], list[dict]]:
    on_leads, on_contacts, n = [], [], 0
    for lead in leads[::3]:
        contact_id = lead["_embedded"]["contacts"][0]["id"]
        at, user = lead["created_at"], lead["responsible_user_id"]
        for k in range(rng.randrange(1, 4)):
            at += rng.randrange(300, 2 * DAY)
            kind = "call_out" if k == 0 or rng.random() < 0.5 else "call_in"
            uniq = str(uuid.UUID(int=rng.getrandbits(128)))
            talked = rng.random() < 0.7
            phone, duration = f"+7912{rng.randrange(10**7):07d}", rng.randrange(20, 900) if talked else 0
            params = _call(uniq, duration, phone, 4 if talked else 6, "Обсудили заказ" if talked else "")
            n += 1
            on_leads.append(_note(9000000 + n, lead["id"], kind, at, user, params))
            if rng.random() < 0.85:  # the telephony integration writes the call on the contact too
                on_contacts.append(_note(9500000 + n, contact_id, kind, at, user, dict(params)))
    for k in range(4):  # calls from a known contact that never became a lead
        uniq = str(uuid.UUID(int=rng.getrandbits(128)))
        params = _call(uniq, 45, SWITCHBOARD, 4, "")
        on_contacts.append(
            _note(9600000 + k, 40200000 + k, "call_in", T0 + (70 + k) * DAY, USERS[1][0], params)
        )
    for lead in leads[1:100:5]:  # ordinary notes the call filter must leave out
        text, user = {"text": "Клиент просил перезвонить"}, lead["responsible_user_id"]
        on_leads.append(
            _note(9400000 + lead["id"] % 1000, lead["id"], "common", lead["created_at"] + 60, user, text)
        )
    return on_leads, on_contacts


def _tasks(rng: random.Random, leads: list[dict]) -> list[dict]:
    tasks = []
    for n, lead in enumerate(leads[::2]):
        created = lead["created_at"] + rng.randrange(60, 3 * 3600)
        done = rng.random() < 0.7
        updated = created + rng.randrange(600, 2 * DAY) if done else created
        tasks.append(
            {
                "id": 3300000 + n,
                "created_by": lead["responsible_user_id"],
                "updated_by": lead["responsible_user_id"],
                "created_at": created,
                "updated_at": updated,
                "responsible_user_id": lead["responsible_user_id"],
                "group_id": 0,
                "entity_id": lead["id"],
                "entity_type": "leads",
                "duration": 0,
                "is_completed": done,
                "task_type_id": 1 if n % 3 else 2,
                "text": "Связаться с клиентом",
                "result": {"text": "Созвонились"} if done else {},
                "complete_till": created + DAY,
                "account_id": ACCOUNT_ID,
                "_links": links(f"tasks/{3300000 + n}"),
            }
        )
    return tasks
