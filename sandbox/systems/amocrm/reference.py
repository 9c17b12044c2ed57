"""amoCRM's reference records: the account, users, pipelines with statuses, loss reasons, and the custom
fields (docs/sources/amocrm.md). The managers are the 1C managers under the same names.
"""

from __future__ import annotations

from datetime import datetime

from sandbox.world.documents import Model
from sandbox.world.people import translit
from sandbox.world.sources_model import (
    ACCOUNT_ID,
    ADMIN_ID,
    FIRST_USER_ID,
    LOSS_REASONS,
    LOST,
    OPEN_STAGES,
    PIPELINE_NAMES,
    SALES,
    STAGE_NAMES,
    UNSORTED,
    WON,
    unix,
)

HOST = "https://uyutdom.amocrm.ru/api/v4"
CREATED = unix(datetime(2023, 9, 20, 10, 0))  # the account was set up before the shop opened
FIELDS = {  # field_code -> (field_id, field_name, field_type)
    "PHONE": (1_104_001, "Телефон", "multitext"),
    "EMAIL": (1_104_003, "Email", "multitext"),
    "BIRTHDAY": (1_104_011, "День рождения", "birthday"),
    "CITY": (1_104_013, "Город", "text"),
    "GENDER": (1_104_015, "Пол", "select"),
    "UTM_SOURCE": (1_104_101, "utm_source", "tracking_data"),
    "UTM_MEDIUM": (1_104_102, "utm_medium", "tracking_data"),
    "UTM_CAMPAIGN": (1_104_103, "utm_campaign", "tracking_data"),
    "UTM_CONTENT": (1_104_104, "utm_content", "tracking_data"),
    "UTM_TERM": (1_104_105, "utm_term", "tracking_data"),
}


def links(path: str) -> dict:
    return {"self": {"href": f"{HOST}/{path}"}}


def field(code: str, values: list[dict]) -> dict:
    field_id, name, kind = FIELDS[code]
    return {
        "field_id": field_id,
        "field_name": name,
        "field_code": code,
        "field_type": kind,
        "values": values,
    }


def account() -> dict:
    return {
        "id": ACCOUNT_ID,
        "name": "Уютный дом",
        "subdomain": "uyutdom",
        "created_at": CREATED,
        "created_by": ADMIN_ID,
        "updated_at": CREATED,
        "updated_by": ADMIN_ID,
        "current_user_id": ADMIN_ID,
        "country": "RU",
        "currency": "RUB",
        "currency_symbol": "₽",
        "customers_mode": "disabled",
        "is_unsorted_on": True,
        "is_loss_reason_enabled": True,
        "is_helpbot_enabled": False,
        "is_technical_account": False,
        "contact_name_display_order": 1,
        "timezone": "Europe/Moscow",
        "_links": links("account"),
    }


def users(model: Model) -> list[dict]:
    """The 1C managers under their own names (the one who left is inactive), and the account's admin."""
    people = [
        (FIRST_USER_ID + i, m.name, not m.deletion_mark, "{1}.{0}".format(*map(translit, m.name.split(" "))))
        for i, m in enumerate(model.managers)
    ]
    out = []
    for user_id, name, active, login in people + [(ADMIN_ID, "Администратор", True, "admin")]:
        rights = {"is_admin": user_id == ADMIN_ID, "is_free": False, "is_active": active, "group_id": None}
        email = f"{login}@uyutdom.ru"
        out.append(
            {
                "id": user_id,
                "name": name,
                "email": email,
                "lang": "ru",
                "rights": rights,
                "_links": links(f"users/{user_id}"),
            }
        )
    return out


def pipelines() -> list[dict]:
    out = []
    for sort, (pipeline, stages) in enumerate(OPEN_STAGES.items(), start=1):
        statuses = []
        for i, status in enumerate((*stages, WON, LOST)):
            fixed = status in (WON, LOST, UNSORTED)
            statuses.append(
                {
                    "id": status,
                    "name": STAGE_NAMES[status],
                    "sort": {WON: 10000, LOST: 11000}.get(status, 10 * (i + 1)),
                    "is_editable": not fixed,
                    "pipeline_id": pipeline,
                    "color": {WON: "#CCFF66", LOST: "#D5D8DB"}.get(status, "#99ccff"),
                    "type": 1 if status == UNSORTED else 0,
                    "account_id": ACCOUNT_ID,
                    "_links": links(f"leads/pipelines/{pipeline}/statuses/{status}"),
                }
            )
        out.append(
            {
                "id": pipeline,
                "name": PIPELINE_NAMES[pipeline],
                "sort": sort,
                "is_main": pipeline == SALES,
                "is_unsorted_on": pipeline == SALES,
                "is_archive": False,
                "account_id": ACCOUNT_ID,
                "_links": links(f"leads/pipelines/{pipeline}"),
                "_embedded": {"statuses": statuses},
            }
        )
    return out


def loss_reason(reason_id: int) -> dict:
    sort = 10 * (reason_id - min(LOSS_REASONS) + 1)
    return {
        "id": reason_id,
        "name": LOSS_REASONS[reason_id],
        "sort": sort,
        "created_at": CREATED,
        "updated_at": CREATED,
        "_links": links(f"leads/loss_reasons/{reason_id}"),
    }
